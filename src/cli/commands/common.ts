import type { Command } from 'commander';
import { findKind, type KindDefinition } from '../../model/kinds.js';
import { API_VERSION } from '../../model/object.js';
import { StrataClient } from '../client.js';
import { resolveConnection } from '../context-file.js';
import { UsageError } from '../output.js';

export interface GlobalFlags {
  server?: string;
  token?: string;
  context?: string;
  caFile?: string;
}

/** A client for the server named by flags, environment or the current context. */
export async function clientFor(command: Command): Promise<StrataClient> {
  const flags = command.optsWithGlobals<GlobalFlags>();
  return new StrataClient(await resolveConnection(flags));
}

export function kindArg(name: string): KindDefinition {
  const def = findKind(name);
  if (!def) throw new UsageError(`unknown kind "${name}"; try \`strata api-resources\``);
  return def;
}

/** The API path of a kind, in a project when it is project-scoped. */
export function collectionPath(def: KindDefinition, project: string | undefined): string {
  if (def.scope === 'project' && project !== undefined) {
    return `/apis/${API_VERSION}/namespaces/${encodeURIComponent(project)}/${def.plural}`;
  }
  return `/apis/${API_VERSION}/${def.plural}`;
}

export function objectPath(def: KindDefinition, project: string | undefined, name: string): string {
  if (def.scope === 'project' && project === undefined) {
    throw new UsageError(`${def.plural} are project-scoped: pass -p PROJECT`);
  }
  return `${collectionPath(def, project)}/${encodeURIComponent(name)}`;
}
