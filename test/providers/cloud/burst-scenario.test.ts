/**
 * Issue 6's "Done when" for bursting, on a real control plane (SQLite, HTTP, every controller) with
 * the demo fleet and a manual clock: a queue that may burst gets more EU work than Frankfurt's free
 * H100 nodes hold; burst nodes are rented from the simulated cloud's EU catalog, the overflow runs
 * there and succeeds (simulated provider), and the idle burst nodes are given back after the grace
 * period. The cloud is the built-in simulated one: no real cloud API is involved.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { NodeStatus } from '../../../src/model/fleet.js';
import { API_VERSION, type ApiObject } from '../../../src/model/object.js';
import type { WorkloadStatus } from '../../../src/model/scheduling.js';
import { ManualClock } from '../../../src/runtime/clock.js';
import { type ControlPlane, startControlPlane } from '../../../src/server/control-plane.js';

const clock = new ManualClock('2026-03-02T10:00:00Z');
let plane: ControlPlane;
let dataDir: string;

const OVERFLOW = 2;
/** Frankfurt has 5 HGX nodes; the demo's llama-8b-finetune holds one. */
const ON_PREM = 4;
const NAMES = Array.from({ length: ON_PREM + OVERFLOW }, (_, i) => `burst-train-${i}`);

beforeAll(async () => {
  dataDir = await mkdtemp(join(tmpdir(), 'strata-burst-'));
  plane = await startControlPlane({
    dataDir,
    port: 0,
    host: '127.0.0.1',
    demo: true,
    tls: false,
    localNode: false,
    clock,
    // The clock jumps minutes at a time: the lease must outlast the jumps.
    leaseTtlMs: 24 * 3600_000,
  });
});

afterAll(async () => {
  await plane?.close();
  if (dataDir) await rm(dataDir, { recursive: true, force: true });
});

async function call(method: string, path: string, body?: unknown) {
  const response = await fetch(`${plane.url}${path}`, {
    method,
    headers: {
      authorization: `Bearer ${plane.bootstrap.adminToken}`,
      ...(body !== undefined && { 'content-type': 'application/json' }),
    },
    ...(body !== undefined && { body: JSON.stringify(body) }),
  });
  return { status: response.status, body: (await response.json()) as unknown };
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function workloads(): Promise<Map<string, ApiObject<unknown, WorkloadStatus>>> {
  const list = await plane.store.list({ kind: 'Workload', project: 'acme-research' });
  return new Map(list.items.map((w) => [w.metadata.name, w as ApiObject<unknown, WorkloadStatus>]));
}

async function burstNodes(): Promise<ApiObject<unknown, NodeStatus>[]> {
  const list = await plane.store.list({ kind: 'Node' });
  return list.items.filter((n) => n.metadata.labels?.['strata.dev/burst'] === 'true') as ApiObject<
    unknown,
    NodeStatus
  >[];
}

/**
 * Moves the clock `stepSeconds` at a time, giving the controllers real time to react after each
 * step, until `done` holds; fails after `maxSteps`.
 */
async function advanceUntil(
  done: () => Promise<boolean>,
  stepSeconds: number,
  maxSteps: number,
  what: string,
) {
  for (let step = 0; step <= maxSteps; step++) {
    for (let i = 0; i < 10; i++) {
      if (await done()) return;
      await sleep(100);
    }
    clock.advance(stepSeconds * 1000);
  }
  throw new Error(`timed out waiting for ${what}`);
}

function trainer(name: string) {
  return {
    apiVersion: API_VERSION,
    kind: 'Workload',
    metadata: { name, project: 'acme-research' },
    spec: {
      queue: 'burst-training',
      podSets: [
        {
          name: 'trainer',
          resources: { cpu: 96, memory: '1Ti', accelerators: { count: 8, models: ['H100-SXM-80GB'] } },
        },
      ],
      topology: { nvlink: 'required' },
      residency: { jurisdictions: ['EU'] },
      // One virtual hour: six clock minutes at the demo's 10x, longer than provisioning (5 min).
      simulation: { durationSeconds: 3600 },
      maxRuntimeSeconds: 7200,
    },
  };
}

describe('cloud bursting on the demo fleet', () => {
  it('the demo’s own workloads run on the simulated nodes: llama-8b-finetune is Running', async () => {
    await advanceUntil(
      async () => (await workloads()).get('llama-8b-finetune')?.status?.phase === 'Running',
      1,
      30,
      'llama-8b-finetune Running',
    );
    const llama = (await workloads()).get('llama-8b-finetune')!;
    expect(llama.status?.pods?.[0]?.message).toMatch(/simulated on fra-h100-\d+ \(digital twin\)/);
    const node = await plane.store.get({ kind: 'Node', name: llama.status!.pods![0]!.node });
    expect(node?.status).toMatchObject({ state: 'Ready', simulated: true });
  });

  it('more EU work than Frankfurt holds: the overflow waits for placement and burst nodes are rented', async () => {
    const queue = await call('POST', `/apis/${API_VERSION}/queues`, {
      apiVersion: API_VERSION,
      kind: 'Queue',
      metadata: { name: 'burst-training' },
      spec: {
        resources: [{ resourceClass: 'h100', nominal: { gpus: 128 } }],
        bursting: { enabled: true, maxNodes: 4, maxCostPerHour: 200, currency: 'USD' },
      },
    });
    expect(queue.status, JSON.stringify(queue.body)).toBe(201);
    for (const name of NAMES) {
      const created = await call(
        'POST',
        `/apis/${API_VERSION}/namespaces/acme-research/workloads`,
        trainer(name),
      );
      expect(created.status, JSON.stringify(created.body)).toBe(201);
    }
    await advanceUntil(async () => (await burstNodes()).length === OVERFLOW, 1, 30, 'burst nodes');

    const nodes = await burstNodes();
    for (const node of nodes) {
      expect(node.metadata.labels).toMatchObject({
        'strata.dev/instance-type': 'p5-48xlarge-eu-central-1',
        'strata.dev/burst-queue': 'burst-training',
        'strata.dev/price-per-second': '0.017583',
        'strata.dev/currency': 'USD',
        'strata.dev/capacity-type': 'on-demand',
      });
      expect(node.status).toMatchObject({
        state: 'NotReady',
        message: expect.stringMatching(/^provisioning/),
      });
    }
    const cluster = await plane.store.get({ kind: 'Cluster', name: 'simcloud-eu-central-1' });
    expect(cluster?.spec).toMatchObject({ provider: 'cloud', site: 'simcloud-eu-central-1' });
    const site = await plane.store.get({ kind: 'Site', name: 'simcloud-eu-central-1' });
    expect(site?.spec).toMatchObject({ jurisdiction: { country: 'DE', regime: 'EU' } });

    const rented = (w: ApiObject<unknown, WorkloadStatus> | undefined) =>
      w?.status?.conditions?.find((c) => c.type === 'Burst' && c.reason === 'Rented');
    await advanceUntil(
      async () => [...(await workloads()).values()].filter((w) => rented(w)).length === OVERFLOW,
      1,
      10,
      'the Burst conditions',
    );
    const all = await workloads();
    const waiting = NAMES.filter((n) => all.get(n)?.status?.phase === 'Pending');
    expect(waiting).toHaveLength(OVERFLOW);
    for (const name of waiting) {
      expect(all.get(name)?.status?.pending?.reason).toBe('placement');
      expect(rented(all.get(name))).toMatchObject({
        status: 'True',
        message: expect.stringMatching(
          /^rented 1 burst node in simcloud-eu-central-1 for it \(p5-48xlarge-eu-central-1-\d\), 63\.30 USD\/h$/,
        ),
      });
    }
  });

  it('work no instance type may host is not burst: its Burst condition says why (residency)', async () => {
    const uk = trainer('uk-only');
    const created = await call('POST', `/apis/${API_VERSION}/namespaces/acme-research/workloads`, {
      ...uk,
      spec: { ...uk.spec, residency: { jurisdictions: ['UK'] } },
    });
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    await advanceUntil(
      async () =>
        (await workloads())
          .get('uk-only')
          ?.status?.conditions?.some((c) => c.type === 'Burst' && c.reason === 'Residency') ?? false,
      1,
      30,
      'the refusal',
    );
    const condition = (await workloads()).get('uk-only')?.status?.conditions?.find((c) => c.type === 'Burst');
    expect(condition).toMatchObject({
      status: 'False',
      message: expect.stringContaining('outside residency UK'),
    });
    expect(await burstNodes()).toHaveLength(OVERFLOW);
    await call('DELETE', `/apis/${API_VERSION}/namespaces/acme-research/workloads/uk-only`);
  });

  it('once provisioned, the burst nodes are Ready (simulated) and the overflow runs there', async () => {
    await advanceUntil(
      async () => {
        const all = await workloads();
        return NAMES.every((n) => ['Running', 'Succeeded'].includes(all.get(n)?.status?.phase ?? ''));
      },
      30,
      30,
      'every workload running',
    );
    const burst = new Set((await burstNodes()).map((n) => n.metadata.name));
    for (const node of await burstNodes())
      expect(node.status).toMatchObject({ state: 'Ready', simulated: true });
    const all = await workloads();
    const onBurst = NAMES.filter((n) => all.get(n)?.status?.admission?.pods.some((p) => burst.has(p.node)));
    expect(onBurst).toHaveLength(OVERFLOW);
  });

  it('the overflow succeeds, and the idle burst nodes are given back after the grace period', async () => {
    await advanceUntil(
      async () => {
        const all = await workloads();
        return NAMES.every((n) => all.get(n)?.status?.phase === 'Succeeded');
      },
      30,
      40,
      'every workload Succeeded',
    );
    expect((await burstNodes()).length).toBe(OVERFLOW);
    await advanceUntil(async () => (await burstNodes()).length === 0, 30, 40, 'burst nodes deleted');
  });

  it('every autoscaler step is in the audit trail as system:autoscaler', async () => {
    const records = await plane.store.readAudit(0, 100_000);
    const steps = records
      .filter((r) => r.subject.name === 'system:autoscaler' && r.object.kind === 'Node')
      .map((r) => r.verb);
    expect(new Set(steps)).toEqual(new Set(['create', 'update-status', 'update', 'delete']));
  });
});
