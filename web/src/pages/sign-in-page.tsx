import { useState } from 'react';

/** Paste an API token (`strata token create`, or the admin token `strata up` wrote). */
export function SignInPage({
  error,
  onToken,
}: {
  error: string | undefined;
  onToken: (token: string) => void;
}) {
  const [value, setValue] = useState('');
  return (
    <form
      className="signin"
      onSubmit={(e) => {
        e.preventDefault();
        if (value.trim() !== '') onToken(value.trim());
      }}
    >
      <h1>Strata</h1>
      <label>
        API token
        <input
          name="token"
          type="password"
          autoComplete="off"
          placeholder="strata_…"
          value={value}
          onChange={(e) => setValue(e.target.value)}
        />
      </label>
      <button type="submit">Sign in</button>
      {error && <p className="error">Sign-in failed: {error}</p>}
      <p className="hint">
        The admin token is in the data dir (<code>admin-token</code>); others come from{' '}
        <code>strata token create</code>. The token is kept in this tab only.
      </p>
    </form>
  );
}
