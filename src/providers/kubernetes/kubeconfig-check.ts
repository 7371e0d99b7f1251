import { parse as parseYaml } from 'yaml';

/**
 * Checks an inline kubeconfig before a Cluster is stored, so a bad one is refused with a reason at
 * apply time rather than failing every pod later. Pure (YAML only): the model validates with it,
 * and the client library is loaded only where pods really run. It checks what the client needs to
 * reach a server (the selected context exists and names a cluster with a server URL and a user),
 * and that the kubeconfig is self-contained: no exec or auth-provider plugin (the client would run
 * the program it names, on the control plane, for whoever may apply a Cluster) and no file paths.
 */
export function kubeconfigProblem(text: string, context?: string): string | undefined {
  let document: unknown;
  try {
    document = parseYaml(text);
  } catch (error) {
    return `is not valid YAML: ${firstLine((error as Error).message)}`;
  }
  if (!isRecord(document))
    return 'must be a YAML mapping (apiVersion: v1, kind: Config, clusters, users, contexts)';
  if (document.kind !== undefined && document.kind !== 'Config')
    return `must be of kind Config, not ${JSON.stringify(document.kind)}`;
  const clusters = namedEntries(document, 'clusters', 'cluster');
  if (typeof clusters === 'string') return clusters;
  const users = namedEntries(document, 'users', 'user');
  if (typeof users === 'string') return users;
  const contexts = namedEntries(document, 'contexts', 'context');
  if (typeof contexts === 'string') return contexts;

  const wanted = context ?? document['current-context'];
  if (typeof wanted !== 'string' || wanted === '')
    return 'names no context: set current-context in the kubeconfig or spec.kubernetes.context';
  const selected = contexts.get(wanted);
  if (selected === undefined)
    return `has no context "${wanted}" (contexts: ${[...contexts.keys()].join(', ')})`;
  const clusterName = selected.cluster;
  if (typeof clusterName !== 'string' || !clusters.has(clusterName))
    return `context "${wanted}" names cluster ${JSON.stringify(clusterName)}, which clusters does not define`;
  const userName = selected.user;
  if (typeof userName !== 'string' || !users.has(userName))
    return `context "${wanted}" names user ${JSON.stringify(userName)}, which users does not define`;
  const user = users.get(userName) ?? {};
  const runs = ['exec', 'auth-provider'].find((key) => user[key] !== undefined);
  if (runs !== undefined)
    return `user "${userName}" uses ${runs}: a Cluster's kubeconfig may not make the control plane run a program (use a token or an inline client certificate)`;
  const file = [...FILE_FIELDS.user].find((key) => user[key] !== undefined);
  if (file !== undefined) return `user "${userName}" names a file (${file}): inline it (${INLINE[file]})`;
  const cluster = clusters.get(clusterName);
  const caFile = [...FILE_FIELDS.cluster].find((key) => cluster?.[key] !== undefined);
  if (caFile !== undefined)
    return `cluster "${clusterName}" names a file (${caFile}): inline it (${INLINE[caFile]})`;
  const server = cluster?.server;
  if (typeof server !== 'string' || !isHttpUrl(server))
    return `cluster "${clusterName}" has no server URL (clusters[].cluster.server must be http(s)://…)`;
  // The official client refuses plain HTTP unless TLS verification is explicitly off.
  if (server.startsWith('http:') && cluster?.['insecure-skip-tls-verify'] !== true)
    return `cluster "${clusterName}" serves plain HTTP (${server}): use https://, or set insecure-skip-tls-verify: true`;
  return undefined;
}

/**
 * Fields that name files on the machine that reads the kubeconfig: an inline kubeconfig stored in
 * a Cluster must carry its credentials itself, and must not make the control plane read its files.
 */
const FILE_FIELDS = {
  user: new Set(['client-certificate', 'client-key', 'tokenFile']),
  cluster: new Set(['certificate-authority']),
};
const INLINE: Readonly<Record<string, string>> = {
  'client-certificate': 'client-certificate-data',
  'client-key': 'client-key-data',
  tokenFile: 'token',
  'certificate-authority': 'certificate-authority-data',
};

/** The entries of a kubeconfig list (`clusters`, `users`, `contexts`) by name, or the problem with the list. */
function namedEntries(
  document: Record<string, unknown>,
  list: string,
  body: string,
): Map<string, Record<string, unknown>> | string {
  const items = document[list];
  if (!Array.isArray(items) || items.length === 0) return `has no ${list} (a non-empty list is required)`;
  const byName = new Map<string, Record<string, unknown>>();
  for (const [index, item] of items.entries()) {
    if (!isRecord(item) || typeof item.name !== 'string' || item.name === '')
      return `${list}[${index}] has no name`;
    const inner = item[body];
    if (!isRecord(inner)) return `${list}[${index}] ("${item.name}") has no ${body} mapping`;
    byName.set(item.name, inner);
  }
  return byName;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function isHttpUrl(value: string): boolean {
  try {
    const url = new URL(value);
    return url.protocol === 'https:' || url.protocol === 'http:';
  } catch {
    return false;
  }
}

function firstLine(message: string): string {
  return message.split('\n')[0] ?? message;
}
