import { describe, expect, it } from 'vitest';
import {
  authorize,
  canSeeTenant,
  coversRules,
  effectiveGrants,
  type Grant,
  type GrantScope,
  mayEver,
  type Principal,
  type Target,
  visibleTenants,
} from '../../../src/governance/auth/rbac.js';
import type { Tenancy } from '../../../src/model/kinds.js';
import type { PolicyRule, Verb } from '../../../src/model/tenancy.js';

// ---- builders -------------------------------------------------------------

const EVERYTHING: PolicyRule = { verbs: ['*'], kinds: ['*'] };
const READ_EVERYTHING: PolicyRule = { verbs: ['get', 'list', 'watch'], kinds: ['*'] };
const WORKLOADS: PolicyRule = { verbs: ['*'], kinds: ['Workload'] };
const TENANT_ADMIN: readonly PolicyRule[] = [
  { verbs: ['*'], kinds: ['Project', 'Queue', 'Role', 'RoleBinding', 'Workload', 'Token'] },
  READ_EVERYTHING,
];

const CLUSTER: GrantScope = { type: 'cluster' };
const tenantScope = (tenant: string): GrantScope => ({ type: 'tenant', tenant });
const projectScope = (tenant: string, project: string): GrantScope => ({ type: 'project', tenant, project });

function grant(rules: readonly PolicyRule[], scope: GrantScope, role = 'test-role'): Grant {
  return { role, binding: `${role}-binding`, scope, rules };
}

function principal(grants: readonly Grant[], pinnedTo?: string): Principal {
  return pinnedTo === undefined ? { name: 'bob', grants } : { name: 'bob', tenant: pinnedTo, grants };
}

/** A target described the way the resource service describes one. */
function target(
  verb: Verb,
  kind: string,
  tenancy: Tenancy,
  where: { tenant?: string; project?: string } = {},
): Target {
  return { verb, kind, tenancy, ...where };
}

const sharedNode = (verb: Verb) => target(verb, 'Node', 'none');
const queueOf = (tenant: string, verb: Verb) => target(verb, 'Queue', 'optional', { tenant });
const workloadIn = (tenant: string, project: string, verb: Verb) =>
  target(verb, 'Workload', 'project', { tenant, project });
const projectObject = (tenant: string, project: string, verb: Verb) =>
  target(verb, 'Project', 'required', { tenant, project });
const tenantObject = (tenant: string, verb: Verb) => target(verb, 'Tenant', 'self', { tenant });

type Expected = 'allowed' | 'forbidden' | 'hidden';

function outcome(principalUnderTest: Principal, t: Target): Expected {
  const decision = authorize(principalUnderTest, t);
  if (decision.allowed) return 'allowed';
  return decision.hidden ? 'hidden' : 'forbidden';
}

// ---- authorize --------------------------------------------------------------

describe('authorize', () => {
  const clusterAdmin = principal([grant([EVERYTHING], CLUSTER)]);
  const clusterViewer = principal([grant([READ_EVERYTHING], CLUSTER)]);
  const acmeAdmin = principal([grant([EVERYTHING], tenantScope('acme'))]);
  const acmeViewer = principal([grant([READ_EVERYTHING], tenantScope('acme'))]);
  const acmeTenantAdmin = principal([grant(TENANT_ADMIN, tenantScope('acme'))]);
  const developerInA = principal([grant([WORKLOADS, READ_EVERYTHING], projectScope('acme', 'acme-a'))]);
  const adminInA = principal([grant([EVERYTHING], projectScope('acme', 'acme-a'))]);
  const nobody = principal([]);

  it.each<[string, Principal, Target, Expected]>([
    ['a cluster-wide admin may delete a shared node', clusterAdmin, sharedNode('delete'), 'allowed'],
    [
      'a cluster-wide admin may update any tenant’s queue',
      clusterAdmin,
      queueOf('globex', 'update'),
      'allowed',
    ],
    ['a cluster-wide viewer may get a shared node', clusterViewer, sharedNode('get'), 'allowed'],
    [
      'a cluster-wide viewer may list another tenant’s queues',
      clusterViewer,
      queueOf('globex', 'list'),
      'allowed',
    ],
    ['a cluster-wide viewer may not delete a shared node', clusterViewer, sharedNode('delete'), 'forbidden'],
    ['a tenant-scoped viewer may read shared fleet objects', acmeViewer, sharedNode('watch'), 'allowed'],
    [
      'a tenant-scoped admin may not update shared fleet objects',
      acmeAdmin,
      sharedNode('update'),
      'forbidden',
    ],
    [
      'a tenant-scoped admin may not create shared fleet objects',
      acmeAdmin,
      sharedNode('create'),
      'forbidden',
    ],
    [
      'a tenant-scoped admin may not create a tenant (a new tenant belongs to no one yet)',
      acmeAdmin,
      target('create', 'Tenant', 'self'),
      'forbidden',
    ],
    [
      'a tenant-scoped grant never covers a tenant-required kind outside any tenant (the audit trail)',
      acmeViewer,
      target('list', 'AuditEvent', 'required'),
      'forbidden',
    ],
    [
      'a tenant-scoped grant may read a platform-wide queue (optional tenancy, none set)',
      acmeViewer,
      target('get', 'Queue', 'optional'),
      'allowed',
    ],
    [
      'a cluster-wide role binding does not exist for a tenant-scoped subject',
      acmeViewer,
      target('get', 'RoleBinding', 'optional-private'),
      'hidden',
    ],
    [
      'a tenant-scoped grant reads the role bindings of its tenant',
      acmeViewer,
      target('list', 'RoleBinding', 'optional-private', { tenant: 'acme' }),
      'allowed',
    ],
    [
      'a cluster-wide viewer reads cluster-wide role bindings',
      clusterViewer,
      target('get', 'RoleBinding', 'optional-private'),
      'allowed',
    ],
    ['a tenant-scoped admin may update its tenant’s queues', acmeAdmin, queueOf('acme', 'update'), 'allowed'],
    [
      'a tenant-scoped admin may update its own tenant object',
      acmeAdmin,
      tenantObject('acme', 'update'),
      'allowed',
    ],
    [
      'a tenant admin may delete projects of its tenant',
      acmeTenantAdmin,
      projectObject('acme', 'acme-b', 'delete'),
      'allowed',
    ],
    [
      'a tenant admin may not update its tenant object',
      acmeTenantAdmin,
      tenantObject('acme', 'update'),
      'forbidden',
    ],
    [
      'another tenant’s queue is hidden from a tenant-scoped admin',
      acmeAdmin,
      queueOf('globex', 'get'),
      'hidden',
    ],
    [
      'another tenant’s object is hidden even for a verb the role lacks',
      acmeViewer,
      queueOf('globex', 'delete'),
      'hidden',
    ],
    [
      'another tenant itself is hidden from a tenant-scoped viewer',
      acmeViewer,
      tenantObject('globex', 'get'),
      'hidden',
    ],
    [
      'a project developer may create workloads in its project',
      developerInA,
      workloadIn('acme', 'acme-a', 'create'),
      'allowed',
    ],
    [
      'a project developer may not create workloads in another project of its tenant (403, not 404)',
      developerInA,
      workloadIn('acme', 'acme-b', 'create'),
      'forbidden',
    ],
    [
      'a project developer may not even read workloads of another project of its tenant',
      developerInA,
      workloadIn('acme', 'acme-b', 'get'),
      'forbidden',
    ],
    [
      'a project grant reads its own project object',
      developerInA,
      projectObject('acme', 'acme-a', 'get'),
      'allowed',
    ],
    [
      'a project grant never updates its own project object',
      adminInA,
      projectObject('acme', 'acme-a', 'update'),
      'forbidden',
    ],
    [
      'a project grant does not read other projects of its tenant',
      adminInA,
      projectObject('acme', 'acme-b', 'get'),
      'forbidden',
    ],
    ['a project grant reads its tenant object', developerInA, tenantObject('acme', 'get'), 'allowed'],
    [
      'a project grant never updates its tenant object',
      adminInA,
      tenantObject('acme', 'update'),
      'forbidden',
    ],
    [
      'a project grant does not cover tenant-level objects (queues)',
      adminInA,
      queueOf('acme', 'get'),
      'forbidden',
    ],
    [
      'a project grant sees nothing of another tenant',
      adminInA,
      workloadIn('globex', 'globex-x', 'get'),
      'hidden',
    ],
    ['a principal without grants may not read shared objects', nobody, sharedNode('get'), 'forbidden'],
    ['a principal without grants sees no tenant at all', nobody, queueOf('acme', 'get'), 'hidden'],
  ])('%s', (_rule, who, what, expected) => {
    expect(outcome(who, what)).toBe(expected);
  });

  it.each<[string, PolicyRule, Target, Expected]>([
    [
      'a rule for get does not allow list',
      { verbs: ['get'], kinds: ['Node'] },
      sharedNode('list'),
      'forbidden',
    ],
    [
      'a rule for Node does not cover Cluster',
      { verbs: ['get'], kinds: ['Node'] },
      target('get', 'Cluster', 'none'),
      'forbidden',
    ],
    ['verbs "*" covers delete', { verbs: ['*'], kinds: ['Node'] }, sharedNode('delete'), 'allowed'],
    [
      'kinds "*" covers pseudo-kinds',
      { verbs: ['create'], kinds: ['*'] },
      target('create', 'Token', 'optional'),
      'allowed',
    ],
    [
      'a rule on a kind does not cover its status subresource',
      { verbs: ['*'], kinds: ['Workload'] },
      target('update', 'Workload/status', 'project', { tenant: 'acme', project: 'acme-a' }),
      'forbidden',
    ],
    [
      'a rule naming Kind/status covers the status subresource',
      { verbs: ['update'], kinds: ['Workload/status'] },
      target('update', 'Workload/status', 'project', { tenant: 'acme', project: 'acme-a' }),
      'allowed',
    ],
    [
      'kinds "*" covers status subresources',
      { verbs: ['update'], kinds: ['*'] },
      target('update', 'Node/status', 'none'),
      'allowed',
    ],
  ])('rule matching: %s', (_rule, rule, what, expected) => {
    expect(outcome(principal([grant([rule], CLUSTER)]), what)).toBe(expected);
  });

  describe('grants combine: any grant that covers the target allows it', () => {
    const combined = principal([
      grant([READ_EVERYTHING], tenantScope('acme')),
      grant([WORKLOADS], projectScope('acme', 'acme-a')),
    ]);

    it.each<[string, Target, Expected]>([
      ['reads across the tenant', workloadIn('acme', 'acme-b', 'get'), 'allowed'],
      ['writes in its project', workloadIn('acme', 'acme-a', 'delete'), 'allowed'],
      ['does not write in the other project', workloadIn('acme', 'acme-b', 'delete'), 'forbidden'],
    ])('%s', (_rule, what, expected) => {
      expect(outcome(combined, what)).toBe(expected);
    });
  });

  describe('a tenant-pinned principal never uses grants outside its tenant', () => {
    it.each<[string, Principal, Target, Expected]>([
      [
        'a cluster-wide admin grant does not reveal other tenants',
        principal([grant([EVERYTHING], CLUSTER)], 'acme'),
        queueOf('globex', 'get'),
        'hidden',
      ],
      [
        'a cluster-wide admin grant does not allow writing shared objects',
        principal([grant([EVERYTHING], CLUSTER)], 'acme'),
        sharedNode('update'),
        'forbidden',
      ],
      [
        'a cluster-wide admin grant does not even reveal its own tenant',
        principal([grant([EVERYTHING], CLUSTER)], 'acme'),
        queueOf('acme', 'get'),
        'hidden',
      ],
      [
        'a grant in its own tenant keeps working',
        principal([grant([READ_EVERYTHING], tenantScope('acme'))], 'acme'),
        queueOf('acme', 'get'),
        'allowed',
      ],
      [
        'a grant in another tenant does not',
        principal([grant([READ_EVERYTHING], tenantScope('globex'))], 'acme'),
        queueOf('globex', 'get'),
        'hidden',
      ],
    ])('%s', (_rule, who, what, expected) => {
      expect(outcome(who, what)).toBe(expected);
    });
  });

  it.each<[string, Principal, Target, string]>([
    [
      'a refused cluster-wide request says so',
      clusterViewer,
      sharedNode('delete'),
      'bob may not delete Node cluster-wide',
    ],
    [
      'a refused tenant-level request names the tenant',
      developerInA,
      queueOf('acme', 'update'),
      'bob may not update Queue in tenant acme',
    ],
    [
      'a refused project-level request names the project',
      developerInA,
      workloadIn('acme', 'acme-b', 'create'),
      'bob may not create Workload in project acme-b',
    ],
    [
      'a hidden request names the invisible tenant',
      acmeAdmin,
      queueOf('globex', 'get'),
      'tenant globex is not visible to bob',
    ],
  ])('reasons: %s', (_rule, who, what, reason) => {
    const decision = authorize(who, what);
    expect(decision.allowed).toBe(false);
    expect(decision.allowed === false && decision.reason).toBe(reason);
  });
});

// ---- tenant visibility ----------------------------------------------------

describe('visibleTenants and canSeeTenant', () => {
  it.each<[string, Principal, 'all' | string[]]>([
    ['a cluster-wide grant sees every tenant', principal([grant([READ_EVERYTHING], CLUSTER)]), 'all'],
    [
      'tenant grants see exactly their tenants',
      principal([grant([READ_EVERYTHING], tenantScope('acme')), grant([WORKLOADS], tenantScope('initech'))]),
      ['acme', 'initech'],
    ],
    [
      'a project grant sees its tenant',
      principal([grant([WORKLOADS], projectScope('acme', 'acme-a'))]),
      ['acme'],
    ],
    [
      'a pinned principal with a cluster-wide grant sees nothing beyond its tenant grants',
      principal([grant([EVERYTHING], CLUSTER), grant([READ_EVERYTHING], tenantScope('acme'))], 'acme'),
      ['acme'],
    ],
    [
      'a pinned principal does not see tenants it holds grants in but is not pinned to',
      principal([grant([READ_EVERYTHING], tenantScope('globex'))], 'acme'),
      [],
    ],
    ['no grants, no tenants', principal([]), []],
  ])('%s', (_rule, who, expected) => {
    const visible = visibleTenants(who);
    if (expected === 'all') {
      expect(visible).toBe('all');
      expect(canSeeTenant(who, 'any-tenant')).toBe(true);
      return;
    }
    expect(visible).not.toBe('all');
    expect([...(visible as ReadonlySet<string>)].sort()).toEqual(expected);
    for (const tenant of ['acme', 'globex', 'initech']) {
      expect(canSeeTenant(who, tenant), tenant).toBe(expected.includes(tenant));
    }
  });
});

describe('effectiveGrants', () => {
  const clusterGrant = grant([EVERYTHING], CLUSTER, 'cluster-admin');
  const acmeGrant = grant([READ_EVERYTHING], tenantScope('acme'), 'viewer');
  const acmeProjectGrant = grant([WORKLOADS], projectScope('acme', 'acme-a'), 'developer');
  const globexGrant = grant([READ_EVERYTHING], tenantScope('globex'), 'viewer');
  const all = [clusterGrant, acmeGrant, acmeProjectGrant, globexGrant];

  it.each<[string, Principal, readonly Grant[]]>([
    ['an unpinned principal uses every grant', principal(all), all],
    [
      'a principal pinned to a tenant uses only the grants inside that tenant',
      principal(all, 'acme'),
      [acmeGrant, acmeProjectGrant],
    ],
    ['a principal pinned to a tenant it holds nothing in uses no grant', principal(all, 'initech'), []],
  ])('%s', (_rule, who, expected) => {
    expect(effectiveGrants(who)).toEqual(expected);
  });
});

describe('mayEver', () => {
  it.each<[string, Principal, Verb, string, boolean]>([
    [
      'a grant anywhere counts',
      principal([grant([WORKLOADS], projectScope('acme', 'a'))]),
      'delete',
      'Workload',
      true,
    ],
    [
      'a verb held on no kind does not',
      principal([grant([READ_EVERYTHING], CLUSTER)]),
      'delete',
      'Workload',
      false,
    ],
    ['a kind held for no verb does not', principal([grant([WORKLOADS], CLUSTER)]), 'delete', 'Node', false],
    [
      '"*" rules cover every verb and kind',
      principal([grant([EVERYTHING], tenantScope('acme'))]),
      'create',
      'Site',
      true,
    ],
    [
      'a pinned principal’s cluster-wide grant does not count',
      principal([grant([EVERYTHING], CLUSTER)], 'acme'),
      'get',
      'Node',
      false,
    ],
    ['no grants, nothing', principal([]), 'get', 'Node', false],
  ])('%s', (_rule, who, verb, kind, expected) => {
    expect(mayEver(who, verb, kind)).toBe(expected);
  });
});

// ---- escalation -------------------------------------------------------------

describe('coversRules (binding a role must not escalate)', () => {
  const KINDS = ['Site', 'Node', 'Queue', 'Workload', 'Workload/status'];
  const tenantAdmin = principal([grant(TENANT_ADMIN, tenantScope('acme'))]);
  const projectAdmin = principal([grant([EVERYTHING], projectScope('acme', 'acme-a'))]);
  const clusterAdmin = principal([grant([EVERYTHING], CLUSTER)]);

  type Covered = { ok: true } | { ok: false; missing: string };

  it.each<[string, Principal, readonly PolicyRule[], GrantScope, Covered]>([
    ['a cluster admin may bind anything anywhere', clusterAdmin, [EVERYTHING], CLUSTER, { ok: true }],
    [
      'a cluster admin may bind anything in a tenant',
      clusterAdmin,
      [EVERYTHING],
      tenantScope('acme'),
      { ok: true },
    ],
    [
      'a tenant admin may bind a read-everything role in its tenant',
      tenantAdmin,
      [READ_EVERYTHING],
      tenantScope('acme'),
      { ok: true },
    ],
    [
      'a tenant admin may bind workload rights in a project of its tenant',
      tenantAdmin,
      [WORKLOADS],
      projectScope('acme', 'acme-a'),
      { ok: true },
    ],
    [
      'a tenant admin may not bind everything, even in its tenant: the first missing right is named',
      tenantAdmin,
      [EVERYTHING],
      tenantScope('acme'),
      { ok: false, missing: 'create Site' },
    ],
    [
      'a tenant admin may not bind status writes it does not hold',
      tenantAdmin,
      [{ verbs: ['update'], kinds: ['Workload/status'] }],
      tenantScope('acme'),
      { ok: false, missing: 'update Workload/status' },
    ],
    [
      'a tenant admin may not bind even read rights in another tenant',
      tenantAdmin,
      [READ_EVERYTHING],
      tenantScope('globex'),
      { ok: false, missing: 'get Site' },
    ],
    [
      'a tenant admin may not bind cluster-wide',
      tenantAdmin,
      [{ verbs: ['get'], kinds: ['Workload'] }],
      CLUSTER,
      { ok: false, missing: 'get Workload' },
    ],
    [
      'a project admin may bind what it holds in its project',
      projectAdmin,
      [EVERYTHING],
      projectScope('acme', 'acme-a'),
      { ok: true },
    ],
    [
      'a project admin may not bind in the whole tenant',
      projectAdmin,
      [WORKLOADS],
      tenantScope('acme'),
      { ok: false, missing: 'get Workload' },
    ],
    [
      'a project admin may not bind in another project',
      projectAdmin,
      [WORKLOADS],
      projectScope('acme', 'acme-b'),
      { ok: false, missing: 'get Workload' },
    ],
    [
      'a pinned principal’s cluster-wide grant does not back a binding',
      principal([grant([EVERYTHING], CLUSTER)], 'acme'),
      [{ verbs: ['get'], kinds: ['Queue'] }],
      tenantScope('acme'),
      { ok: false, missing: 'get Queue' },
    ],
    [
      'only the listed verbs are checked',
      principal([grant([{ verbs: ['get'], kinds: ['Node'] }], CLUSTER)]),
      [{ verbs: ['get'], kinds: ['Node'] }],
      CLUSTER,
      { ok: true },
    ],
  ])('%s', (_rule, who, rules, scope, expected) => {
    expect(coversRules(who, rules, scope, KINDS)).toEqual(expected);
  });
});
