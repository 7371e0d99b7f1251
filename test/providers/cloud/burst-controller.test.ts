/**
 * The burst controller against a real SQLite store, with a cloud plug-in: the plug-in is a test
 * double standing in for a real cloud's API (which the tests cannot reach); it records what it is
 * asked and hands machines over when the test says so. Workload statuses are written as the
 * admission controller would write them, so the autoscaler is tested on its own.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { NodeSpec, NodeStatus } from '../../../src/model/fleet.js';
import type { ApiObject } from '../../../src/model/object.js';
import type { WorkloadStatus } from '../../../src/model/scheduling.js';
import { burstController } from '../../../src/providers/cloud/burst-controller.js';
import type { CloudProvider, ProvisionRequest } from '../../../src/providers/cloud/cloud-provider.js';
import { ManualClock } from '../../../src/runtime/clock.js';
import { randomIds } from '../../../src/runtime/ids.js';
import { openSqliteStore } from '../../../src/store/sqlite-store.js';
import type { Store } from '../../../src/store/store.js';
import { project, tenant, workload } from '../../support/builders.js';

const LEASE = 'controllers';

/** A cloud plug-in double: records requests and releases; hands machines over once `up` is set. */
class RecordingCloud implements CloudProvider {
  readonly cloud = 'othercloud';
  readonly simulated = false;
  readonly requests: ProvisionRequest[] = [];
  readonly released: string[] = [];
  up = false;
  async provision(request: ProvisionRequest) {
    this.requests.push(request);
    return { readyAt: new Date(request.now.getTime() + 120_000) };
  }
  async handedOver() {
    return this.up;
  }
  async release(node: string) {
    this.released.push(node);
  }
}

describe('the burst controller', () => {
  let dir: string;
  let store: Store;
  let clock: ManualClock;
  let cloud: RecordingCloud;
  let stop: () => void = () => {};
  const errors: unknown[] = [];

  async function apply(...objects: { kind: string; metadata: object; spec: object }[]) {
    for (const { kind, metadata, spec } of objects) {
      await store.write({ requestId: `apply-${kind}`, subject: { name: 'admin' }, verb: 'apply' }, (tx) =>
        tx.apply({ kind, metadata, spec } as Parameters<typeof tx.apply>[0]),
      );
    }
  }

  /** Writes the status the admission controller writes for admissible work no node can take. */
  async function pendingForPlacement(name: string) {
    const w = await store.get({ kind: 'Workload', project: 'p', name });
    const status: WorkloadStatus = {
      phase: 'Pending',
      pending: {
        queue: 'burst',
        reason: 'placement',
        ahead: 0,
        message: 'no node can host pod p/x/main-0 now',
      },
    };
    await store.write(
      { requestId: `pending-${name}`, subject: { name: 'system:admission' }, verb: 'update-status' },
      (tx) => tx.updateStatus({ kind: 'Workload', project: 'p', name }, status, w!.metadata.resourceVersion),
    );
  }

  const burstNodes = async () =>
    (await store.list({ kind: 'Node' })).items.filter(
      (n) => n.metadata.labels?.['strata.dev/burst'] === 'true',
    ) as ApiObject<NodeSpec, NodeStatus>[];

  async function until(what: string, check: () => Promise<boolean>) {
    const deadline = Date.now() + 5_000;
    while (!(await check())) {
      if (Date.now() > deadline) throw new Error(`timed out waiting until ${what}`);
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  }

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'strata-burst-controller-'));
    clock = new ManualClock('2026-06-01T12:00:00Z');
    store = await openSqliteStore({ file: join(dir, 'strata.db'), clock, ids: randomIds });
    cloud = new RecordingCloud();
    errors.length = 0;
    await apply(
      tenant('t'),
      project('p', 't'),
      {
        kind: 'ResourceClass',
        metadata: { name: 'h100' },
        spec: { accelerator: { models: ['H100-SXM-80GB'] } },
      },
      {
        kind: 'Queue',
        metadata: { name: 'burst' },
        spec: {
          resources: [{ resourceClass: 'h100', nominal: { gpus: 64 } }],
          bursting: { enabled: true, maxNodes: 2 },
        },
      },
      {
        kind: 'InstanceType',
        metadata: { name: 'big-h100' },
        spec: {
          cloud: 'othercloud',
          region: 'us-west-2',
          jurisdiction: { country: 'US', regime: 'US' },
          timeZone: 'America/Los_Angeles',
          accelerator: { model: 'H100-SXM-80GB', count: 8 },
          cpu: { cores: 192, numaNodes: 2 },
          memory: '2Ti',
          pricePerSecond: { onDemand: 0.015 },
          currency: 'USD',
          provisioningSeconds: 600,
        },
      },
      workload('x', 'p', {
        queue: 'burst',
        podSets: [{ name: 'main', resources: { cpu: 8, memory: '64Gi', accelerators: { count: 8 } } }],
      }),
    );
    const lease = await store.acquireLease(LEASE, 'me', 60_000);
    const fence = { lease: LEASE, holder: 'me', epoch: lease!.epoch };
    stop = burstController({
      intervalMs: 50,
      idleGraceSeconds: 300,
      clouds: [cloud],
      onError: (e) => errors.push(e),
    }).start({
      store,
      clock,
      fence,
    });
  });

  afterEach(async () => {
    stop();
    await store.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('rents from the plug-in of the instance type’s cloud, and the node is NotReady until the plug-in hands it over', async () => {
    await pendingForPlacement('x');
    await until('a burst node', async () => (await burstNodes()).length === 1);
    const [node] = await burstNodes();
    expect(cloud.requests).toEqual([
      expect.objectContaining({ node: node!.metadata.name, instanceType: 'big-h100', spot: false }),
    ]);
    expect(node!.status).toMatchObject({
      state: 'NotReady',
      message: expect.stringMatching(/^provisioning: othercloud/),
    });
    expect(node!.status?.simulated).toBeUndefined();
    expect(node!.metadata.annotations?.['strata.dev/ready-at']).toBe('2026-06-01T12:02:00.000Z');

    cloud.up = true;
    await until('the node Ready', async () => (await burstNodes())[0]?.status?.state === 'Ready');
    expect((await burstNodes())[0]!.status?.simulated).toBeUndefined();
    expect(errors).toEqual([]);
  });

  it('a workload gets one rental: while its burst node stands, no second one', async () => {
    await pendingForPlacement('x');
    await until('a burst node', async () => (await burstNodes()).length === 1);
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(await burstNodes()).toHaveLength(1);
    expect(cloud.requests).toHaveLength(1);
  });

  it('an idle node is cordoned after the grace period, then released to its cloud and deleted', async () => {
    await pendingForPlacement('x');
    await until('a burst node', async () => (await burstNodes()).length === 1);
    cloud.up = true;
    await until('the node Ready', async () => (await burstNodes())[0]?.status?.state === 'Ready');
    const name = (await burstNodes())[0]!.metadata.name;
    await store.write({ requestId: 'rm', subject: { name: 'admin' }, verb: 'delete' }, (tx) =>
      tx.delete({ kind: 'Workload', project: 'p', name: 'x' }),
    );
    clock.advance(299_000);
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect((await burstNodes())[0]?.spec.unschedulable).toBe(false);
    clock.advance(1_000);
    await until('the node gone', async () => (await burstNodes()).length === 0);
    expect(cloud.released).toEqual([name]);
    const steps = (await store.readAudit(0, 10_000))
      .filter((r) => r.subject.name === 'system:autoscaler' && r.object.name === name)
      .map((r) => r.verb);
    // Rented (node and its provisioning status in one write), handed over, cordoned, deleted.
    expect(steps[0]).toBe('create');
    expect(steps.slice(-3)).toEqual(['update-status', 'update', 'delete']);
  });
});
