import type { ApiObject } from '../../model/object.js';
import type { RoleBindingSpec, RoleSpec } from '../../model/tenancy.js';
import type { Grant, GrantScope } from './rbac.js';

/**
 * Grants per user, from every Role and RoleBinding. A binding whose role is
 * missing, or belongs to another tenant than the binding, grants nothing.
 */
export function buildGrantIndex(
  roles: readonly ApiObject[],
  bindings: readonly ApiObject[],
): ReadonlyMap<string, readonly Grant[]> {
  const roleByName = new Map(roles.map((r) => [r.metadata.name, r]));
  const index = new Map<string, Grant[]>();
  for (const binding of bindings) {
    const spec = binding.spec as RoleBindingSpec;
    const role = roleByName.get(spec.role);
    if (!role) continue;
    if (role.metadata.tenant !== undefined && role.metadata.tenant !== spec.scope.tenant) continue;
    const scope: GrantScope =
      spec.scope.tenant === undefined
        ? { type: 'cluster' }
        : spec.scope.project === undefined
          ? { type: 'tenant', tenant: spec.scope.tenant }
          : { type: 'project', tenant: spec.scope.tenant, project: spec.scope.project };
    const grant: Grant = {
      role: spec.role,
      binding: binding.metadata.name,
      scope,
      rules: (role.spec as RoleSpec).rules,
    };
    for (const subject of spec.subjects) {
      if (subject.kind !== 'User') continue;
      const list = index.get(subject.name) ?? [];
      list.push(grant);
      index.set(subject.name, list);
    }
  }
  return index;
}
