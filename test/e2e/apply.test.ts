/**
 * `strata apply -f` of multi-document files where good and bad documents are
 * mixed: each document succeeds or fails on its own, every failure names its
 * document and field, and the exit code says something failed. Then the
 * idempotence a GitOps loop relies on: unchanged, configured, and stdin.
 */
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { lines, Sandbox } from './support.js';

let sandbox: Sandbox;

beforeAll(async () => {
  sandbox = await Sandbox.create('apply');
  await sandbox.up();
});

afterAll(async () => {
  await sandbox?.dispose();
});

const site = (powerBudgetKW: number) => `apiVersion: strata.dev/v1alpha1
kind: Site
metadata:
  name: e2e-sto
spec:
  region: eu-north
  jurisdiction: { country: SE, regime: EU }
  provider: colo
  timeZone: Europe/Stockholm
  powerBudgetKW: ${powerBudgetKW}
  tariff: { currency: SEK, pricePerKWh: 1.1 }
`;

const cluster = `apiVersion: strata.dev/v1alpha1
kind: Cluster
metadata:
  name: e2e-sto-hgx
spec:
  site: e2e-sto
  provider: agent
`;

/** An A100 node carved 3g.40gb + 2g.20gb + 1g.10gb + 1g.10gb: a valid MIG layout. */
const goodNode = `apiVersion: strata.dev/v1alpha1
kind: Node
metadata:
  name: e2e-sto-a100-01
  labels: { strata.dev/gpu-model: A100-SXM-80GB }
spec:
  cluster: e2e-sto-hgx
  cpu: { cores: 64, numaNodes: 2 }
  memory: 512Gi
  accelerators:
    - index: 0
      model: A100-SXM-80GB
      uuid: GPU-00000000-0000-0000-0000-0000000e2e01
      mig:
        mode: enabled
        layout:
          - { profile: 3g.40gb, start: 0 }
          - { profile: 2g.20gb, start: 4 }
          - { profile: 1g.10gb, start: 6 }
`;

const priorityClass = `apiVersion: strata.dev/v1alpha1
kind: PriorityClass
metadata:
  name: e2e-low
spec:
  value: 5
  preemptionPolicy: Never
`;

const malformed = `apiVersion: strata.dev/v1alpha1
kind: Site
metadata: { name: e2e-broken
spec: {}
`;

const unknownKind = `apiVersion: strata.dev/v1alpha1
kind: Gizmo
metadata:
  name: e2e-gizmo
spec: {}
`;

const unknownField = `apiVersion: strata.dev/v1alpha1
kind: Cluster
metadata:
  name: e2e-flavoured
spec:
  site: e2e-sto
  provider: agent
  flavour: vanilla
`;

/** Two 4g.40gb instances on one A100: NVIDIA allows one, starting at slice 0 only. */
const badMig = `apiVersion: strata.dev/v1alpha1
kind: Node
metadata:
  name: e2e-sto-a100-bad
spec:
  cluster: e2e-sto-hgx
  cpu: { cores: 64, numaNodes: 2 }
  memory: 512Gi
  accelerators:
    - index: 0
      model: A100-SXM-80GB
      uuid: GPU-00000000-0000-0000-0000-0000000e2ebd
      mig:
        mode: enabled
        layout:
          - { profile: 4g.40gb, start: 0 }
          - { profile: 4g.40gb, start: 4 }
`;

const multi = (...docs: string[]) => docs.map((d) => `---\n${d}`).join('');

async function write(name: string, text: string): Promise<string> {
  const file = join(sandbox.root, name);
  await writeFile(file, text);
  return file;
}

describe('strata apply -f of a file mixing good and bad documents', () => {
  // Documents 1..8 in this order; the bad ones are 2, 4, 6 and 8.
  const docs = [site(100), malformed, cluster, unknownKind, goodNode, unknownField, priorityClass, badMig];

  it('creates the good ones, reports each bad one with its document and field, and exits 1', async () => {
    const file = await write('mixed.yaml', multi(...docs));
    const result = await sandbox.strata(['apply', '-f', file]);
    expect(result.code).toBe(1);

    expect(lines(result.stdout).sort()).toEqual([
      'cluster/e2e-sto-hgx created',
      'node/e2e-sto-a100-01 created',
      'priorityclass/e2e-low created',
      'site/e2e-sto created',
    ]);

    const errors = result.stderr;
    expect(errors).toMatch(new RegExp(`${file} document 2: malformed YAML at line \\d+`));
    expect(errors).toContain(`${file} document 4: kind: unknown kind "Gizmo"`);
    expect(errors).toContain(`cluster/e2e-flavoured (${file} document 6)`);
    expect(errors).toContain('spec.flavour: unknown field');
    expect(errors).toContain(`node/e2e-sto-a100-bad (${file} document 8)`);
    expect(errors).toMatch(/spec\.accelerators\[0\]\.mig\.layout\[1\]\.(profile|start): /);
    expect(errors).toContain('4g.40gb');
    expect(lines(errors).at(-1)).toBe('4 documents failed');
    expect(errors).not.toMatch(/^\s+at /m);
  });

  it('the good objects are stored as written; the bad ones do not exist at all', async () => {
    const [node, ...missing] = await Promise.all([
      sandbox.strata(['get', 'node', 'e2e-sto-a100-01', '-o', 'json']),
      sandbox.strata(['get', 'cluster', 'e2e-flavoured']),
      sandbox.strata(['get', 'node', 'e2e-sto-a100-bad']),
      sandbox.strata(['get', 'site', 'e2e-broken']),
    ]);
    expect(node.code, node.stderr).toBe(0);
    const object = JSON.parse(node.stdout);
    expect(object.spec.accelerators[0].mig.layout.map((s: { profile: string }) => s.profile)).toEqual([
      '3g.40gb',
      '2g.20gb',
      '1g.10gb',
    ]);
    for (const result of missing) {
      expect(result.code).toBe(1);
      expect(result.stderr).toMatch(/not found/);
    }
  });

  it('re-applying the good documents prints unchanged for each and exits 0', async () => {
    const file = await write('good.yaml', multi(site(100), cluster, goodNode, priorityClass));
    const result = await sandbox.strata(['apply', '-f', file]);
    expect(result.code, result.stderr).toBe(0);
    expect(lines(result.stdout).sort()).toEqual([
      'cluster/e2e-sto-hgx unchanged',
      'node/e2e-sto-a100-01 unchanged',
      'priorityclass/e2e-low unchanged',
      'site/e2e-sto unchanged',
    ]);
    expect(result.stderr).toBe('');
  });

  it('re-applying the mixed file is unchanged for the good ones and still exits 1 for the bad', async () => {
    const result = await sandbox.strata(['apply', '-f', join(sandbox.root, 'mixed.yaml')]);
    expect(result.code).toBe(1);
    expect(lines(result.stdout).every((l) => l.endsWith(' unchanged'))).toBe(true);
    expect(lines(result.stdout)).toHaveLength(4);
  });

  it('changing one spec prints configured for it (and bumps its generation), unchanged for the rest', async () => {
    const before = JSON.parse((await sandbox.strata(['get', 'site', 'e2e-sto', '-o', 'json'])).stdout);
    const file = await write('good-changed.yaml', multi(site(250), cluster, goodNode, priorityClass));
    const result = await sandbox.strata(['apply', '-f', file]);
    expect(result.code, result.stderr).toBe(0);
    expect(lines(result.stdout).sort()).toEqual([
      'cluster/e2e-sto-hgx unchanged',
      'node/e2e-sto-a100-01 unchanged',
      'priorityclass/e2e-low unchanged',
      'site/e2e-sto configured',
    ]);
    const after = JSON.parse((await sandbox.strata(['get', 'site', 'e2e-sto', '-o', 'json'])).stdout);
    expect(after.spec.powerBudgetKW).toBe(250);
    expect(after.metadata.generation).toBe(before.metadata.generation + 1);
    expect(Number(after.metadata.resourceVersion)).toBeGreaterThan(Number(before.metadata.resourceVersion));
  });
});

describe('strata apply -f - (stdin)', () => {
  it('creates from stdin, then reports unchanged', async () => {
    const doc = priorityClass.replace('e2e-low', 'e2e-stdin');
    const first = await sandbox.strata(['apply', '-f', '-'], { input: doc });
    expect(first.code, first.stderr).toBe(0);
    expect(first.stdout.trim()).toBe('priorityclass/e2e-stdin created');
    const second = await sandbox.strata(['apply', '-f', '-'], { input: doc });
    expect(second.stdout.trim()).toBe('priorityclass/e2e-stdin unchanged');
  });

  it('names <stdin> and the document for a bad document read from stdin', async () => {
    const result = await sandbox.strata(['apply', '-f', '-'], { input: multi(unknownKind) });
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('<stdin> document 1: kind: unknown kind "Gizmo"');
  });

  it('a missing file is a usage error (exit 2) naming it', async () => {
    const result = await sandbox.strata(['apply', '-f', join(sandbox.root, 'nope.yaml')]);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('nope.yaml: no such file or directory');
  });
});
