import YAML from 'yaml';

export interface KubeconfigOptions {
  readonly server: string;
  readonly token: string;
  readonly user: string;
  /** PEM of the CA that signed the server's certificate. */
  readonly ca?: string;
  /** The project kubectl uses as its default namespace. */
  readonly namespace?: string;
}

/** A kubeconfig that points kubectl at a Strata server with a Strata token. */
export function kubeconfigYaml(options: KubeconfigOptions): string {
  const { server, token, user, ca, namespace } = options;
  return YAML.stringify({
    apiVersion: 'v1',
    kind: 'Config',
    clusters: [
      {
        name: 'strata',
        cluster: {
          server,
          ...(ca !== undefined && { 'certificate-authority-data': Buffer.from(ca).toString('base64') }),
        },
      },
    ],
    users: [{ name: user, user: { token } }],
    contexts: [
      { name: 'strata', context: { cluster: 'strata', user, ...(namespace !== undefined && { namespace }) } },
    ],
    'current-context': 'strata',
  });
}
