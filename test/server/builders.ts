import { API_VERSION } from '../../src/model/object.js';

/**
 * Builders for the kinds test/support/builders.ts does not cover, plus the
 * API paths of the server under test. Each builder returns a valid object;
 * tests override only what matters to them.
 */

export { cluster, gpu, node, project, queue, site, tenant, workload } from '../support/builders.js';

export const API = `/apis/${API_VERSION}`;

/** The URL of a collection (or of one object when `name` is given). */
export function apiPath(plural: string, options: { project?: string; name?: string } = {}): string {
  const base = options.project === undefined ? API : `${API}/namespaces/${options.project}`;
  return options.name === undefined ? `${base}/${plural}` : `${base}/${plural}/${options.name}`;
}

export function resourceClass(name: string, spec: Record<string, unknown> = {}) {
  return { apiVersion: API_VERSION, kind: 'ResourceClass', metadata: { name }, spec };
}

export function cohort(name: string, spec: Record<string, unknown> = {}) {
  return { apiVersion: API_VERSION, kind: 'Cohort', metadata: { name }, spec };
}

export function priorityClass(name: string, value = 100) {
  return { apiVersion: API_VERSION, kind: 'PriorityClass', metadata: { name }, spec: { value } };
}

export interface Rule {
  readonly verbs: readonly string[];
  readonly kinds: readonly string[];
}

/** A Role; without a tenant it can be bound anywhere. */
export function role(
  name: string,
  tenantName?: string,
  rules: readonly Rule[] = [{ verbs: ['get'], kinds: ['Workload'] }],
) {
  return {
    apiVersion: API_VERSION,
    kind: 'Role',
    metadata: { name, ...(tenantName !== undefined && { tenant: tenantName }) },
    spec: { rules },
  };
}

/** Binds `roleName` to users, cluster-wide by default, or in a tenant or one of its projects. */
export function roleBinding(
  name: string,
  roleName: string,
  users: readonly string[],
  scope: { tenant?: string; project?: string } = {},
) {
  return {
    apiVersion: API_VERSION,
    kind: 'RoleBinding',
    metadata: { name },
    spec: { role: roleName, subjects: users.map((u) => ({ kind: 'User', name: u })), scope },
  };
}

/** An object with its labels replaced: what a client sends back to relabel it. */
export function withLabels<T extends { metadata: Record<string, unknown> }>(
  object: T,
  labels: Record<string, string>,
): T {
  return { ...object, metadata: { ...object.metadata, labels } };
}
