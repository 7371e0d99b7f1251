import { findKind } from '../../model/kinds.js';
import type { ApiObject } from '../../model/object.js';
import type { StrataClient } from '../client.js';
import { UsageError } from '../output.js';
import { collectionPath, objectPath } from './common.js';

const WORKLOAD = findKind('Workload')!;

/** A lookup that found nothing: exit 1 like any refusal, not 2 (the command was used rightly). */
export class WorkloadNotFound extends Error {}

/** The workload by name: in `project` when given, else the one project the caller can see it in. */
export async function findWorkload(
  client: StrataClient,
  name: string,
  project: string | undefined,
): Promise<ApiObject> {
  if (project !== undefined) {
    return (await client.request<ApiObject>('GET', objectPath(WORKLOAD, project, name))).body;
  }
  const found: ApiObject[] = [];
  let cont: string | undefined;
  do {
    const query = new URLSearchParams({ limit: '500', fieldSelector: `metadata.name=${name}` });
    if (cont) query.set('continue', cont);
    const page = await client.request<{ items: ApiObject[]; metadata: { continue?: string } }>(
      'GET',
      `${collectionPath(WORKLOAD, undefined)}?${query}`,
    );
    found.push(...page.body.items.filter((o) => o.metadata.name === name));
    cont = page.body.metadata.continue;
  } while (cont);
  if (found.length === 0) throw new WorkloadNotFound(`workload ${name} not found in any project you can see`);
  if (found.length > 1) {
    const projects = found.map((o) => o.metadata.project).join(', ');
    throw new UsageError(`workload ${name} exists in several projects (${projects}): pass -p PROJECT`);
  }
  return found[0]!;
}
