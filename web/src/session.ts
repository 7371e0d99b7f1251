/**
 * The signed-in token lives in sessionStorage: it survives a reload of the tab but not the
 * tab itself, and never reaches another origin.
 */
const KEY = 'strata.token';

export function storedToken(): string | undefined {
  return sessionStorage.getItem(KEY) ?? undefined;
}

export function storeToken(token: string | undefined): void {
  if (token === undefined) sessionStorage.removeItem(KEY);
  else sessionStorage.setItem(KEY, token);
}
