import { useEffect, useMemo, useState } from 'react';
import { ApiClient } from './api/client.js';
import { FleetDataProvider, type Whoami } from './fleet-data.js';
import { AuditPage } from './pages/audit-page.js';
import { FleetPage } from './pages/fleet-page.js';
import { QueuesPage } from './pages/queues-page.js';
import { SignInPage } from './pages/sign-in-page.js';
import { SimulatorPage } from './pages/simulator-page.js';
import { WorkloadDetailPage } from './pages/workload-detail-page.js';
import { WorkloadsPage } from './pages/workloads-page.js';
import { navigate, UI, usePath } from './route.js';
import { storedToken, storeToken } from './session.js';

const PAGES = [
  ['fleet', 'Fleet'],
  ['queues', 'Queues'],
  ['workloads', 'Workloads'],
  ['audit', 'Audit'],
  ['simulator', 'Simulator'],
] as const;

export function App() {
  const [token, setToken] = useState(storedToken);
  const [whoami, setWhoami] = useState<Whoami>();
  const [error, setError] = useState<string>();
  const client = useMemo(() => (token === undefined ? undefined : new ApiClient(token)), [token]);

  useEffect(() => {
    if (!client) return;
    client.json<Whoami>('/auth/v1/whoami').then(setWhoami, (e: Error) => {
      storeToken(undefined);
      setToken(undefined);
      setError(e.message);
    });
  }, [client]);

  const signOut = () => {
    storeToken(undefined);
    setWhoami(undefined);
    setToken(undefined);
  };

  if (!client) {
    return (
      <SignInPage
        error={error}
        onToken={(t) => {
          storeToken(t);
          setError(undefined);
          setToken(t);
        }}
      />
    );
  }
  if (!whoami) return <p className="loading">Signing in…</p>;
  return (
    <FleetDataProvider client={client} whoami={whoami}>
      <Shell whoami={whoami} onSignOut={signOut} />
    </FleetDataProvider>
  );
}

function Shell({ whoami, onSignOut }: { whoami: Whoami; onSignOut: () => void }) {
  const path = usePath();
  useEffect(() => {
    if (!path.startsWith(`${UI}/`)) history.replaceState(null, '', `${UI}/fleet`);
  }, [path]);
  const [, section, ...rest] = path.slice(1).split('/');
  return (
    <div className="shell">
      <header>
        <strong>Strata</strong>
        <nav>
          {PAGES.map(([id, label]) => (
            <a
              key={id}
              href={`${UI}/${id}`}
              className={section === id ? 'active' : ''}
              onClick={(e) => {
                e.preventDefault();
                navigate(`${UI}/${id}`);
              }}
            >
              {label}
            </a>
          ))}
        </nav>
        <span className="who" data-testid="whoami">
          {whoami.subject}
          {whoami.tenant ? ` · tenant ${whoami.tenant}` : ' · cluster-wide'}
        </span>
        <button type="button" className="signout" onClick={onSignOut}>
          Sign out
        </button>
      </header>
      <main>
        {section === 'queues' ? (
          <QueuesPage />
        ) : section === 'workloads' && rest.length === 2 ? (
          <WorkloadDetailPage project={decodeURIComponent(rest[0]!)} name={decodeURIComponent(rest[1]!)} />
        ) : section === 'workloads' ? (
          <WorkloadsPage />
        ) : section === 'audit' ? (
          <AuditPage />
        ) : section === 'simulator' ? (
          <SimulatorPage />
        ) : (
          <FleetPage />
        )}
      </main>
    </div>
  );
}
