/**
 * Fields that name another object, checked on every write so that a node
 * never points at a cluster that does not exist. (Queue.cohort and
 * Workload.queue are deliberately absent: like Kueue, a workload may wait on
 * a queue that will be created later, and its pending reason says so.)
 */
export interface Reference {
  readonly kind: string;
  readonly field: string;
  readonly target: string;
  readonly value: (spec: unknown) => string | undefined;
}

export const REFERENCES: readonly Reference[] = [
  { kind: 'Cluster', field: 'spec.site', target: 'Site', value: (s) => (s as { site: string }).site },
  {
    kind: 'Node',
    field: 'spec.cluster',
    target: 'Cluster',
    value: (s) => (s as { cluster: string }).cluster,
  },
  { kind: 'RoleBinding', field: 'spec.role', target: 'Role', value: (s) => (s as { role: string }).role },
  { kind: 'Cohort', field: 'spec.parent', target: 'Cohort', value: (s) => (s as { parent?: string }).parent },
  {
    kind: 'Workload',
    field: 'spec.priorityClass',
    target: 'PriorityClass',
    value: (s) => (s as { priorityClass?: string }).priorityClass,
  },
];
