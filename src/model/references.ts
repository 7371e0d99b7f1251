/**
 * Fields that name another object, checked on every write (inside the write's
 * transaction) so that a node never points at a cluster, nor a queue at a
 * cohort or resource class, that does not exist.
 *
 * Workload.queue is deliberately absent: like Kueue, a workload may wait on a
 * queue that will be created later, and its pending reason says so. When the
 * queue does exist, the server checks the workload could ever fit in it
 * (model/workload-capacity.ts).
 */
export interface Reference {
  readonly kind: string;
  readonly target: string;
  /** The names this spec refers to, each with the field path that holds it. */
  readonly names: (spec: unknown) => readonly NamedField[];
}

export interface NamedField {
  readonly field: string;
  readonly name: string;
}

/** A reference held by one optional or required field. */
function single(kind: string, target: string, key: string): Reference {
  return {
    kind,
    target,
    names: (spec) => {
      const name = (spec as Record<string, unknown>)[key];
      return typeof name === 'string' ? [{ field: `spec.${key}`, name }] : [];
    },
  };
}

export const REFERENCES: readonly Reference[] = [
  single('Cluster', 'Site', 'site'),
  single('Node', 'Cluster', 'cluster'),
  single('RoleBinding', 'Role', 'role'),
  single('Cohort', 'Cohort', 'parent'),
  single('Queue', 'Cohort', 'cohort'),
  single('Workload', 'PriorityClass', 'priorityClass'),
  {
    kind: 'Queue',
    target: 'ResourceClass',
    names: (spec) =>
      ((spec as { resources?: readonly { resourceClass: string }[] }).resources ?? []).map((r, i) => ({
        field: `spec.resources[${i}].resourceClass`,
        name: r.resourceClass,
      })),
  },
];

/** Reads one object by key: a Store, or a WriteTx so the check sees what the write will. */
export interface ObjectReader {
  get(key: { kind: string; name: string }): Promise<{ spec: unknown } | undefined>;
}

/**
 * The cycle a cohort's new parent would close, as the list of cohort names
 * from `name` back to `name` (["a", "b", "a"]), or undefined when the parent
 * chain ends. Walks parents one read at a time; a chain that already loops
 * without reaching `name` (it cannot be written through the API) stops too.
 */
export async function cohortCycle(
  reader: ObjectReader,
  name: string,
  parent: string | undefined,
): Promise<readonly string[] | undefined> {
  const path = [name];
  const seen = new Set(path);
  let next = parent;
  while (next !== undefined) {
    path.push(next);
    if (next === name) return path;
    if (seen.has(next)) return undefined;
    seen.add(next);
    const cohort = await reader.get({ kind: 'Cohort', name: next });
    next = (cohort?.spec as { parent?: string } | undefined)?.parent;
  }
  return undefined;
}
