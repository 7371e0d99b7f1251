import { stringify } from 'yaml';

/** A kubeconfig for one cluster, one user and one context, as `kubectl config view --raw` writes it. */
export function kubeconfig(
  options: { server?: string; context?: string; current?: boolean; token?: string } = {},
): string {
  const server = options.server ?? 'https://10.0.0.1:6443';
  const context = options.context ?? 'strata-test';
  return stringify({
    apiVersion: 'v1',
    kind: 'Config',
    clusters: [
      {
        name: 'test-cluster',
        // The fake API server speaks plain HTTP on loopback; the client only allows http:// with this set.
        cluster: { server, ...(server.startsWith('http://') && { 'insecure-skip-tls-verify': true }) },
      },
    ],
    users: [{ name: 'test-user', user: { token: options.token ?? 'test-token' } }],
    contexts: [{ name: context, context: { cluster: 'test-cluster', user: 'test-user' } }],
    ...(options.current !== false && { 'current-context': context }),
  });
}
