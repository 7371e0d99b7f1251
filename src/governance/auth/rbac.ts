import type { Tenancy } from '../../model/kinds.js';
import { type PolicyRule, READ_VERBS, VERBS, type Verb } from '../../model/tenancy.js';

/** Where a grant applies: everywhere, one tenant, or one project of a tenant. */
export type GrantScope =
  | { readonly type: 'cluster' }
  | { readonly type: 'tenant'; readonly tenant: string }
  | { readonly type: 'project'; readonly tenant: string; readonly project: string };

/** A role's rules, bound in one scope. */
export interface Grant {
  readonly role: string;
  readonly binding: string;
  readonly scope: GrantScope;
  readonly rules: readonly PolicyRule[];
}

/** An authenticated caller and everything they may do. */
export interface Principal {
  readonly name: string;
  /** Set for tokens pinned to a tenant: grants outside it are never consulted. */
  readonly tenant?: string;
  /** Set for tokens pinned to one project of that tenant: tenant-wide grants shrink to it. */
  readonly project?: string;
  readonly grants: readonly Grant[];
}

/** What a request wants to do to what. */
export interface Target {
  readonly verb: Verb;
  /** A kind, "Kind/status", or a pseudo-kind (Token, AuditEvent). */
  readonly kind: string;
  readonly tenancy: Tenancy;
  /** The tenant that owns the object, if any. */
  readonly tenant?: string;
  /** The object's project (project-scoped kinds), or for a Project the project itself. */
  readonly project?: string;
}

export type Decision =
  | { readonly allowed: true }
  /** `hidden`: the object lies in a tenant the caller cannot see at all; answer 404, never 403. */
  | { readonly allowed: false; readonly hidden: boolean; readonly reason: string };

function ruleAllows(rule: PolicyRule, verb: Verb, kind: string): boolean {
  return (
    (rule.verbs.includes('*') || rule.verbs.includes(verb)) &&
    (rule.kinds.includes('*') || rule.kinds.includes(kind))
  );
}

const isRead = (verb: Verb) => READ_VERBS.includes(verb);

/** Objects without a tenant that tenant-scoped subjects may read: the fleet, shared queues, built-in roles. */
const SHARED_WHEN_UNTENANTED: ReadonlySet<Tenancy> = new Set(['none', 'optional', 'self']);

/** Whether a grant's scope covers the target object (independently of its rules). */
function scopeCovers(scope: GrantScope, target: Target): boolean {
  if (scope.type === 'cluster') return true;
  // Shared fleet and platform objects are readable from inside a tenant, never writable.
  if (target.tenant === undefined) return isRead(target.verb) && SHARED_WHEN_UNTENANTED.has(target.tenancy);
  if (target.tenant !== scope.tenant) return false;
  if (scope.type === 'tenant') return true;
  if (target.tenancy === 'project') return target.project === scope.project;
  // Inside a project-scoped grant, the tenant and project objects themselves are read-only context.
  if (target.kind === 'Tenant' || (target.kind === 'Project' && target.project === scope.project)) {
    return isRead(target.verb);
  }
  return false;
}

/**
 * The grants a principal may use at all: a tenant-pinned token loses everything
 * outside its tenant, and a project-pinned one sees its tenant-wide grants
 * narrowed to its project.
 */
export function effectiveGrants(principal: Principal): readonly Grant[] {
  const { tenant, project } = principal;
  if (tenant === undefined) return principal.grants;
  const inTenant = principal.grants.filter((g) => g.scope.type !== 'cluster' && g.scope.tenant === tenant);
  if (project === undefined) return inTenant;
  return inTenant.flatMap((g): Grant[] => {
    if (g.scope.type === 'tenant') return [{ ...g, scope: { type: 'project', tenant, project } }];
    return g.scope.type === 'project' && g.scope.project === project ? [g] : [];
  });
}

function isClusterWide(principal: Principal): boolean {
  return effectiveGrants(principal).some((g) => g.scope.type === 'cluster');
}

/** Whether the principal can see that a tenant exists. */
export function canSeeTenant(principal: Principal, tenant: string): boolean {
  return effectiveGrants(principal).some((g) => g.scope.type === 'cluster' || g.scope.tenant === tenant);
}

/** Tenants whose objects the principal may see; `all` for cluster-wide principals. */
export function visibleTenants(principal: Principal): 'all' | ReadonlySet<string> {
  const grants = effectiveGrants(principal);
  if (isClusterWide(principal)) return 'all';
  return new Set(grants.flatMap((g) => (g.scope.type === 'cluster' ? [] : [g.scope.tenant])));
}

/**
 * Decides one request on one object. Objects in a tenant the caller cannot
 * see are `hidden`, so the API answers exactly as if they did not exist.
 */
export function authorize(principal: Principal, target: Target): Decision {
  if (target.tenant !== undefined && !canSeeTenant(principal, target.tenant)) {
    return {
      allowed: false,
      hidden: true,
      reason: `tenant ${target.tenant} is not visible to ${principal.name}`,
    };
  }
  // Cluster-wide bindings and tokens do not exist for anyone who is not cluster-wide.
  if (
    target.tenant === undefined &&
    target.tenancy === 'optional-private' &&
    target.verb !== 'create' &&
    !isClusterWide(principal)
  ) {
    return {
      allowed: false,
      hidden: true,
      reason: `cluster-wide ${target.kind} objects are not visible to ${principal.name}`,
    };
  }
  const allowed = effectiveGrants(principal).some(
    (g) => scopeCovers(g.scope, target) && g.rules.some((r) => ruleAllows(r, target.verb, target.kind)),
  );
  if (allowed) return { allowed: true };
  const where = target.project
    ? ` in project ${target.project}`
    : target.tenant
      ? ` in tenant ${target.tenant}`
      : ' cluster-wide';
  return {
    allowed: false,
    hidden: false,
    reason: `${principal.name} may not ${target.verb} ${target.kind}${where}`,
  };
}

/** Whether any grant at all lets the principal use `verb` on `kind`, somewhere. */
export function mayEver(principal: Principal, verb: Verb, kind: string): boolean {
  return effectiveGrants(principal).some((g) => g.rules.some((r) => ruleAllows(r, verb, kind)));
}

function scopeContains(outer: GrantScope, inner: GrantScope): boolean {
  if (outer.type === 'cluster') return true;
  if (inner.type === 'cluster' || outer.tenant !== inner.tenant) return false;
  return outer.type === 'tenant' || (inner.type === 'project' && inner.project === outer.project);
}

/**
 * Binding a role must not escalate: the binder must already hold every
 * verb × kind of the role, in a scope that contains the binding's.
 */
export function coversRules(
  principal: Principal,
  rules: readonly PolicyRule[],
  scope: GrantScope,
  allKinds: readonly string[],
): { ok: true } | { ok: false; missing: string } {
  const grants = effectiveGrants(principal).filter((g) => scopeContains(g.scope, scope));
  for (const rule of rules) {
    const verbs = rule.verbs.includes('*') ? VERBS : rule.verbs.filter((v): v is Verb => v !== '*');
    const kinds = rule.kinds.includes('*') ? allKinds : rule.kinds;
    for (const verb of verbs) {
      for (const kind of kinds) {
        if (!grants.some((g) => g.rules.some((r) => ruleAllows(r, verb, kind)))) {
          return { ok: false, missing: `${verb} ${kind}` };
        }
      }
    }
  }
  return { ok: true };
}
