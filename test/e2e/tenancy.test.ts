/**
 * Tenant isolation as a tenant sees it: a token for the demo's second tenant
 * (globex) never sees the first tenant's (acme) objects, through the strata CLI
 * or through kubectl with the kubeconfig `token create --kubeconfig` wrote;
 * the shared fleet stays readable.
 */
import { readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import YAML from 'yaml';
import { lines, parseTable, Sandbox, tokenId, type UpProcess } from './support.js';

let sandbox: Sandbox;
let up: UpProcess;
/** A globex tenant-admin token and the kubeconfig issued with it. */
let globex: string;
let globexKubeconfig: string;

beforeAll(async () => {
  sandbox = await Sandbox.create('tenancy');
  up = await sandbox.up({ demo: true });
  globexKubeconfig = join(sandbox.root, 'globex.kubeconfig');
  const created = await sandbox.strata([
    'token',
    'create',
    '--tenant',
    'globex',
    '--role',
    'tenant-admin',
    '--kubeconfig',
    globexKubeconfig,
  ]);
  if (created.code !== 0) throw new Error(`token create failed: ${created.stderr}`);
  globex = created.stdout.trim();
});

afterAll(async () => {
  await sandbox?.dispose();
});

const asGlobex = (...args: string[]) => sandbox.strata(['--token', globex, ...args]);
const kubectlAsGlobex = (...args: string[]) => sandbox.kubectl(['--kubeconfig', globexKubeconfig, ...args]);

describe('strata token create --tenant globex --role tenant-admin', () => {
  it('prints only the token on stdout and says on stderr what it is bound to', async () => {
    expect(lines(globex)).toHaveLength(1);
    expect(globex).toMatch(/^strata_[0-9a-f]+_\S+$/);
    const list = await sandbox.strata(['token', 'list']);
    const row = parseTable(list.stdout).find((r) => r.ID === tokenId(globex));
    expect(row).toMatchObject({ TENANT: 'globex', REVOKED: '-' });
  });

  it('writes a 0600 kubeconfig for that token, trusting the server CA', async () => {
    expect(((await stat(globexKubeconfig)).mode & 0o777).toString(8)).toBe('600');
    const config = YAML.parse(await readFile(globexKubeconfig, 'utf8'));
    expect(config.users[0].user.token).toBe(globex);
    expect(config.clusters[0].cluster.server).toBe(up.url);
    expect(config.clusters[0].cluster['certificate-authority-data']).toBeTruthy();
    expect(config.clusters[0].cluster['insecure-skip-tls-verify']).toBeUndefined();
  });
});

describe('a globex token through the strata CLI', () => {
  it('the admin sees both tenants (so the checks below are not vacuous)', async () => {
    const [projects, workloads] = await Promise.all([
      sandbox.strata(['get', 'projects', '-o', 'name']),
      sandbox.strata(['get', 'workloads', '-o', 'name']),
    ]);
    expect(lines(projects.stdout)).toEqual(
      expect.arrayContaining(['project/acme-research', 'project/acme-prod', 'project/globex-ml']),
    );
    expect(lines(workloads.stdout)).toEqual(
      expect.arrayContaining(['workload/llama-8b-finetune', 'workload/nightly-embeddings']),
    );
  });

  it('get projects shows only globex projects', async () => {
    const result = await asGlobex('get', 'projects');
    expect(result.code, result.stderr).toBe(0);
    const rows = parseTable(result.stdout);
    expect(rows.map((r) => r.NAME)).toEqual(['globex-ml']);
    expect(rows.every((r) => r.TENANT === 'globex')).toBe(true);
  });

  it('get workloads shows only globex workloads', async () => {
    const result = await asGlobex('get', 'workloads');
    expect(result.code, result.stderr).toBe(0);
    expect(parseTable(result.stdout).map((r) => `${r.PROJECT}/${r.NAME}`)).toEqual([
      'globex-ml/nightly-embeddings',
    ]);
  });

  it('get tenants shows only globex', async () => {
    const result = await asGlobex('get', 'tenants', '-o', 'name');
    expect(result.code, result.stderr).toBe(0);
    expect(lines(result.stdout)).toEqual(['tenant/globex']);
  });

  it("get workload llama-8b-finetune -p acme-research: exit 1, not found (acme's workload does not exist for globex)", async () => {
    const result = await asGlobex('get', 'workload', 'llama-8b-finetune', '-p', 'acme-research');
    expect(result.code).toBe(1);
    expect(result.stdout).toBe('');
    expect(lines(result.stderr)).toHaveLength(1);
    expect(result.stderr).toMatch(/not found/);
    expect(result.stderr).not.toMatch(/forbidden|may not/i);
  });

  it('cannot write into an acme project either: apply and delete fail and change nothing', async () => {
    const manifest = [
      'apiVersion: strata.dev/v1alpha1',
      'kind: Workload',
      'metadata: { name: sneaky, project: acme-research }',
      'spec:',
      '  queue: acme-training',
      '  podSets:',
      '    - { name: main, resources: { cpu: 1, memory: 1Gi }, command: [sleep, "1"] }',
    ].join('\n');
    const [applied, del] = await Promise.all([
      sandbox.strata(['--token', globex, 'apply', '-f', '-'], { input: manifest }),
      asGlobex('delete', 'workload', 'llama-8b-finetune', '-p', 'acme-research'),
    ]);
    expect(applied.code).toBe(1);
    expect(applied.stderr).toMatch(/not found/);
    expect(del.code).toBe(1);
    expect(del.stderr).toMatch(/not found/);
    const [sneaky, llama] = await Promise.all([
      sandbox.strata(['get', 'workload', 'sneaky', '-p', 'acme-research']),
      sandbox.strata(['get', 'workload', 'llama-8b-finetune', '-p', 'acme-research', '-o', 'name']),
    ]);
    expect(sneaky.code).toBe(1);
    expect(llama.code, llama.stderr).toBe(0);
    expect(llama.stdout.trim()).toBe('workload/llama-8b-finetune');
  });

  it('get nodes still works: the fleet is shared and readable', async () => {
    const result = await asGlobex('get', 'nodes', '-o', 'name');
    expect(result.code, result.stderr).toBe(0);
    // The 18 demo nodes and node local, the machine `strata up` runs on (issue 6).
    expect(lines(result.stdout)).toHaveLength(19);
  });

  it('cannot read the audit trail (it needs a cluster-wide grant)', async () => {
    const result = await asGlobex('audit', 'verify');
    expect(result.code).toBe(1);
    expect(result.stdout).toBe('');
  });

  it('token list shows no token outside globex (not even the cluster admin token)', async () => {
    const result = await asGlobex('token', 'list');
    expect(result.code, result.stderr).toBe(0);
    const rows = parseTable(result.stdout);
    expect(rows.map((r) => r.ID)).toContain(tokenId(globex));
    const admin = tokenId(await readFile(join(up.dataDir, 'admin-token'), 'utf8'));
    expect(rows.filter((r) => r.TENANT !== 'globex')).toEqual([]);
    expect(rows.map((r) => r.ID)).not.toContain(admin);
  });
});

describe('a globex token through kubectl (kubeconfig from token create --kubeconfig)', () => {
  it('kubectl get projects shows only globex projects', async () => {
    const result = await kubectlAsGlobex('get', 'projects');
    expect(result.code, result.stderr).toBe(0);
    expect(parseTable(result.stdout).map((r) => r.NAME)).toEqual(['globex-ml']);
  });

  it('kubectl get workloads -A shows only globex workloads', async () => {
    const result = await kubectlAsGlobex('get', 'workloads', '-A');
    expect(result.code, result.stderr).toBe(0);
    expect(parseTable(result.stdout).map((r) => `${r.NAMESPACE}/${r.NAME}`)).toEqual([
      'globex-ml/nightly-embeddings',
    ]);
  });

  it('kubectl get workload llama-8b-finetune -n acme-research: exit 1, NotFound', async () => {
    const result = await kubectlAsGlobex('get', 'workload', 'llama-8b-finetune', '-n', 'acme-research');
    expect(result.code).toBe(1);
    expect(result.stdout).toBe('');
    expect(result.stderr).toMatch(/NotFound/);
    expect(result.stderr).not.toMatch(/Forbidden/);
  });

  it('kubectl get nodes still lists the fleet', async () => {
    const result = await kubectlAsGlobex('get', 'nodes');
    expect(result.code, result.stderr).toBe(0);
    expect(parseTable(result.stdout)).toHaveLength(19);
  });
});

describe('strata token revoke', () => {
  it('a revoked token is refused with exit 1, and list marks it revoked', async () => {
    const created = await sandbox.strata(['token', 'create', '--tenant', 'globex', '--role', 'viewer']);
    expect(created.code, created.stderr).toBe(0);
    const token = created.stdout.trim();
    const before = await sandbox.strata(['--token', token, 'get', 'projects', '-o', 'name']);
    expect(before.stdout.trim()).toBe('project/globex-ml');

    const revoked = await sandbox.strata(['token', 'revoke', tokenId(token)]);
    expect(revoked.code, revoked.stderr).toBe(0);
    expect(revoked.stdout).toContain(`token ${tokenId(token)} revoked`);

    const [after, list] = await Promise.all([
      sandbox.strata(['--token', token, 'get', 'projects']),
      sandbox.strata(['token', 'list']),
    ]);
    expect(after.code).toBe(1);
    expect(after.stderr).toMatch(/invalid, expired or revoked/);
    const row = parseTable(list.stdout).find((r) => r.ID === tokenId(token));
    expect(row?.REVOKED).not.toBe('-');
  });
});
