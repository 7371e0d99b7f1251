import { mkdir, readFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';
import { writeFileAtomic } from '../runtime/atomic-file.js';

/** Like a kubeconfig: named contexts (server URL and token) and the current one. */
export interface ContextFile {
  current?: string;
  contexts: Record<string, { server: string; token: string; ca?: string }>;
}

/** `$STRATA_CONFIG`, else ~/.strata/config.json. */
export function contextFilePath(env: NodeJS.ProcessEnv = process.env): string {
  return env.STRATA_CONFIG ?? join(homedir(), '.strata', 'config.json');
}

export async function readContextFile(path: string): Promise<ContextFile> {
  try {
    const parsed = JSON.parse(await readFile(path, 'utf8')) as Partial<ContextFile>;
    return {
      ...(parsed.current !== undefined && { current: parsed.current }),
      contexts: parsed.contexts ?? {},
    };
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return { contexts: {} };
    throw new Error(`cannot read the CLI context file ${path}: ${(error as Error).message}`);
  }
}

/** Adds or replaces a context and makes it current; the file holds tokens, so it is written 0600. */
export async function saveContext(
  path: string,
  name: string,
  context: { server: string; token: string; ca?: string },
): Promise<void> {
  const file = await readContextFile(path);
  file.contexts[name] = context;
  file.current = name;
  await mkdir(dirname(path), { recursive: true, mode: 0o700 });
  await writeFileAtomic(path, `${JSON.stringify(file, null, 2)}\n`, 0o600);
}

export interface Connection {
  readonly server: string;
  readonly token: string | undefined;
  /** PEM of the CA to trust for an https server (a Strata server's own CA). */
  readonly ca: string | undefined;
}

/** Flags override the environment, which overrides the current context. */
export async function resolveConnection(
  flags: { server?: string; token?: string; context?: string; caFile?: string },
  env = process.env,
): Promise<Connection> {
  const file = await readContextFile(contextFilePath(env));
  const name = flags.context ?? env.STRATA_CONTEXT ?? file.current;
  const context = name === undefined ? undefined : file.contexts[name];
  const caFile = flags.caFile ?? env.STRATA_CA_FILE;
  if (flags.context !== undefined && !context)
    throw new Error(`no context named "${flags.context}" in ${contextFilePath(env)}`);
  return {
    server: flags.server ?? env.STRATA_SERVER ?? context?.server ?? 'http://127.0.0.1:7400',
    token: flags.token ?? env.STRATA_TOKEN ?? context?.token,
    ca: caFile === undefined ? context?.ca : await readFile(caFile, 'utf8'),
  };
}
