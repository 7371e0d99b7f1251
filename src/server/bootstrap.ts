import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Principal } from '../governance/auth/rbac.js';
import { issueToken, parseToken } from '../governance/auth/tokens.js';
import { API_VERSION } from '../model/object.js';
import type { RoleSpec } from '../model/tenancy.js';
import { writeFileAtomic } from '../runtime/atomic-file.js';
import type { AppContext } from './app.js';
import type { RequestContext } from './resource-service.js';

/** The roles every Strata starts with; applied on each start, so an edited built-in role is restored. */
export const BUILT_IN_ROLES: Readonly<Record<string, RoleSpec>> = {
  'cluster-admin': {
    description: 'Everything, everywhere.',
    rules: [{ verbs: ['*'], kinds: ['*'] }],
  },
  viewer: {
    description: 'Read everything in the scope it is bound in.',
    rules: [{ verbs: ['get', 'list', 'watch'], kinds: ['*'] }],
  },
  'tenant-admin': {
    description:
      'Runs a tenant: its projects, queues, roles, bindings, tokens and workloads; reads the fleet.',
    rules: [
      { verbs: ['*'], kinds: ['Project', 'Queue', 'Role', 'RoleBinding', 'Workload', 'Token'] },
      { verbs: ['get', 'list', 'watch'], kinds: ['*'] },
    ],
  },
  developer: {
    description: 'Submits and manages workloads; reads the rest of its scope and the fleet.',
    rules: [
      { verbs: ['*'], kinds: ['Workload'] },
      { verbs: ['get', 'list', 'watch'], kinds: ['*'] },
    ],
  },
  'node-agent': {
    description:
      'What `strata agent` needs: declare its Node and heartbeat its status, read clusters and the workloads to run, write their status and ship their pods’ output.',
    rules: [
      {
        verbs: ['get', 'list', 'watch'],
        kinds: ['Cluster', 'Node', 'Node/status', 'Workload', 'Workload/status'],
      },
      { verbs: ['create', 'update'], kinds: ['Node', 'Node/status'] },
      { verbs: ['update'], kinds: ['Workload/status'] },
    ],
  },
};

/** The identity the server itself acts as when it bootstraps or loads the demo. */
export function systemContext(name: string, requestId: string): RequestContext {
  const principal: Principal = {
    name,
    grants: [
      {
        role: 'cluster-admin',
        binding: '(built-in)',
        scope: { type: 'cluster' },
        rules: BUILT_IN_ROLES['cluster-admin']!.rules,
      },
    ],
  };
  return { principal, requestId };
}

export interface BootstrapResult {
  readonly adminToken: string;
  readonly adminTokenFile: string;
  /** True when this start issued the token (first start, or the old one was revoked). */
  readonly adminTokenCreated: boolean;
}

/**
 * Ensures the built-in roles exist and that `<dataDir>/admin-token` holds a
 * working cluster-admin token, creating one (mode 0600) on first start.
 */
export async function bootstrap(ctx: AppContext, dataDir: string): Promise<BootstrapResult> {
  const system = systemContext('system:bootstrap', `bootstrap-${ctx.ids()}`);
  for (const [name, spec] of Object.entries(BUILT_IN_ROLES)) {
    await ctx.resources.apply(system, {
      apiVersion: API_VERSION,
      kind: 'Role',
      metadata: { name, labels: { 'strata.dev/built-in': 'true' } },
      spec,
    });
  }
  await ctx.resources.apply(system, {
    apiVersion: API_VERSION,
    kind: 'RoleBinding',
    metadata: { name: 'admin-cluster-admin', labels: { 'strata.dev/built-in': 'true' } },
    spec: { role: 'cluster-admin', subjects: [{ kind: 'User', name: 'admin' }] },
  });

  const adminTokenFile = join(dataDir, 'admin-token');
  const existing = await readFile(adminTokenFile, 'utf8').then(
    (text) => text.trim(),
    () => undefined,
  );
  if (existing !== undefined && (await stillValid(ctx, existing))) {
    return { adminToken: existing, adminTokenFile, adminTokenCreated: false };
  }
  const issued = issueToken();
  await ctx.store.write(
    { requestId: system.requestId, subject: { name: system.principal.name }, verb: 'create' },
    (tx) =>
      tx.insertToken({
        id: issued.id,
        secretHash: issued.secretHash,
        subject: 'admin',
        description: 'cluster admin, created by `strata up`',
        createdAt: ctx.clock.now().toISOString(),
      }),
  );
  await writeFileAtomic(adminTokenFile, `${issued.token}\n`, 0o600);
  return { adminToken: issued.token, adminTokenFile, adminTokenCreated: true };
}

async function stillValid(ctx: AppContext, token: string): Promise<boolean> {
  const parsed = parseToken(token);
  if (!parsed) return false;
  const record = await ctx.store.findToken(parsed.id);
  return record !== undefined && record.revokedAt === undefined;
}
