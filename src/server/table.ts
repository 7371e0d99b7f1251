import type { KindDefinition } from '../model/kinds.js';
import type { ApiObject } from '../model/object.js';

/** Human age like kubectl prints it: 45s, 12m, 3h, 5d. */
export function formatAge(from: string, now: Date): string {
  const seconds = Math.max(0, Math.floor((now.getTime() - new Date(from).getTime()) / 1000));
  if (seconds < 120) return `${seconds}s`;
  if (seconds < 120 * 60) return `${Math.floor(seconds / 60)}m`;
  if (seconds < 48 * 3600) return `${Math.floor(seconds / 3600)}h`;
  return `${Math.floor(seconds / 86400)}d`;
}

export interface TableColumn {
  readonly name: string;
  readonly wide: boolean;
}

/** Columns and rows of a kind's printed view, shared by the CLI and kubectl's server-side printing. */
export function tableOf(def: KindDefinition, items: readonly ApiObject[], now: Date, withProject: boolean) {
  const columns: TableColumn[] = [
    ...(withProject && def.scope === 'project' ? [{ name: 'Project', wide: false }] : []),
    { name: 'Name', wide: false },
    ...def.columns.map((c) => ({ name: c.name, wide: c.wide ?? false })),
    { name: 'Age', wide: false },
  ];
  const rows = items.map((item) => [
    ...(withProject && def.scope === 'project' ? [item.metadata.project ?? ''] : []),
    item.metadata.name,
    ...def.columns.map((c) => c.value(item)),
    formatAge(item.metadata.creationTimestamp, now),
  ]);
  return { columns, rows };
}

/**
 * A meta.k8s.io/v1 Table, what kubectl asks for with
 * `Accept: application/json;as=Table;v=v1;g=meta.k8s.io`, so `kubectl get`
 * prints Strata's own columns (accelerators, MIG layout, state).
 */
export function kubernetesTable(
  def: KindDefinition,
  items: readonly ApiObject[],
  revision: number,
  now: Date,
  cont?: string,
) {
  const { columns, rows } = tableOf(def, items, now, false);
  return {
    kind: 'Table',
    apiVersion: 'meta.k8s.io/v1',
    metadata: { resourceVersion: String(revision), ...(cont !== undefined && { continue: cont }) },
    columnDefinitions: columns.map((c) => ({
      name: c.name,
      type: 'string',
      format: c.name === 'Name' ? 'name' : '',
      description: c.name,
      priority: c.wide ? 1 : 0,
    })),
    rows: items.map((item, i) => ({
      cells: rows[i],
      object: {
        kind: 'PartialObjectMetadata',
        apiVersion: 'meta.k8s.io/v1',
        metadata: {
          name: item.metadata.name,
          ...(item.metadata.project !== undefined && { namespace: item.metadata.project }),
          uid: item.metadata.uid,
          resourceVersion: item.metadata.resourceVersion,
          creationTimestamp: item.metadata.creationTimestamp,
          ...(item.metadata.labels !== undefined && { labels: item.metadata.labels }),
        },
      },
    })),
  };
}
