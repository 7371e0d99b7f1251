/**
 * The simulated provider: which nodes are its twins (pure), and workloads admitted onto a
 * `simulated` cluster running to their end on a real control plane (SQLite, HTTP, admission) with
 * a manual clock.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { NodeStatus } from '../../../src/model/fleet.js';
import { API_VERSION, type ApiObject } from '../../../src/model/object.js';
import type { WorkloadStatus } from '../../../src/model/scheduling.js';
import type { PodLaunch } from '../../../src/providers/pod-launch.js';
import {
  simulatedNodes,
  simulatedUtilization,
} from '../../../src/providers/simulated/simulated-provider-controller.js';
import { ManualClock } from '../../../src/runtime/clock.js';
import { type ControlPlane, startControlPlane } from '../../../src/server/control-plane.js';
import { cluster, gpu, node, project, site, tenant } from '../../support/builders.js';

function stored(
  object: { kind: string; metadata: { name: string }; spec: unknown },
  status?: unknown,
): ApiObject {
  return {
    apiVersion: API_VERSION,
    kind: object.kind,
    metadata: {
      ...object.metadata,
      uid: object.metadata.name,
      resourceVersion: '1',
      generation: 1,
      creationTimestamp: 'x',
    },
    spec: object.spec,
    ...(status !== undefined && { status }),
  };
}

function clusterOf(name: string, provider: string) {
  const c = cluster(name);
  return stored({ ...c, spec: { ...c.spec, provider } });
}

describe('simulatedNodes: which nodes the simulated provider runs', () => {
  const clusters = [
    clusterOf('twin', 'simulated'),
    clusterOf('burst', 'cloud'),
    clusterOf('metal', 'agent'),
    clusterOf('here', 'local'),
  ];
  const at = (name: string, clusterName: string, status?: unknown) =>
    stored(node(name, { cluster: clusterName }), status);

  it.each([
    {
      rule: 'a node of a simulated cluster is a twin, marked Ready',
      n: at('a', 'twin'),
      demo: false,
      owned: true,
      writes: true,
      marked: true,
    },
    {
      rule: 'a burst node is a twin, but its lifecycle is the autoscaler’s',
      n: at('a', 'burst'),
      demo: false,
      owned: true,
      writes: false,
      marked: false,
    },
    {
      rule: 'an agent node without a report is not a twin outside the demo',
      n: at('a', 'metal'),
      demo: false,
      owned: false,
      writes: false,
      marked: false,
    },
    {
      rule: 'under --demo, an agent node without a report is a twin',
      n: at('a', 'metal'),
      demo: true,
      owned: true,
      writes: true,
      marked: true,
    },
    {
      rule: 'under --demo, a node already marked simulated stays a twin',
      n: at('a', 'metal', { state: 'Ready', simulated: true }),
      demo: true,
      owned: true,
      writes: true,
      marked: false,
    },
    {
      rule: 'a node an agent reports is never a twin',
      n: at('a', 'metal', { state: 'Ready' }),
      demo: true,
      owned: false,
      writes: false,
      marked: false,
    },
    {
      rule: 'the local node is the local provider’s',
      n: at('a', 'here'),
      demo: true,
      owned: false,
      writes: false,
      marked: false,
    },
  ])('$rule', ({ n, demo, owned, writes, marked }) => {
    const result = simulatedNodes(clusters, [n], demo);
    expect(result.owned.has('a')).toBe(owned);
    expect(result.writesStatus.has('a')).toBe(writes);
    expect(result.toMark.map((x) => x.metadata.name)).toEqual(marked ? ['a'] : []);
  });
});

describe('simulatedUtilization: the synthetic GPU utilisation of a twin', () => {
  const pod = (id: string, devices: PodLaunch['devices'], milliGpu?: number) =>
    ({ id, devices, ...(milliGpu !== undefined && { milliGpu }) }) as unknown as PodLaunch;
  const whole = (index: number) => ({ index, uuid: `GPU-${index}` });

  it('reports nothing for a node no pod runs on', () => {
    expect(simulatedUtilization([0, 1], [])).toBeUndefined();
  });

  it('keeps a whole GPU 55–95% busy, the same figure for the same pod, and idle GPUs at 0', () => {
    const once = simulatedUtilization([0, 1], [pod('lab/a/main-0@t', [whole(1)])])!;
    expect(once[0]).toEqual({ index: 0, utilization: 0 });
    expect(once[1]!.utilization).toBeGreaterThanOrEqual(0.55);
    expect(once[1]!.utilization).toBeLessThan(0.95);
    expect(simulatedUtilization([0, 1], [pod('lab/a/main-0@t', [whole(1)])])).toEqual(once);
  });

  it.each([
    ['a quarter share', pod('p', [whole(0)], 250), 0.25],
    ['a 3g MIG instance', pod('p', [{ ...whole(0), mig: { profile: '3g.40gb' } }]), 3 / 7],
  ])('scales the figure by the pod’s share of the GPU: %s', (_case, shared, share) => {
    const full = simulatedUtilization([0], [pod('p', [whole(0)])])![0]!.utilization;
    expect(simulatedUtilization([0], [shared])![0]!.utilization).toBeCloseTo(full * share, 2);
  });

  it('caps a GPU shared by several pods at 1', () => {
    const pods = ['a', 'b', 'c'].map((id) => pod(id, [whole(0)]));
    expect(simulatedUtilization([0], pods)![0]!.utilization).toBe(1);
  });
});

describe('the simulated provider on a control plane', () => {
  const clock = new ManualClock('2026-03-02T10:00:00Z');
  let plane: ControlPlane;
  let dataDir: string;

  const call = async (method: string, path: string, body?: unknown) => {
    const response = await fetch(`${plane.url}${path}`, {
      method,
      headers: {
        authorization: `Bearer ${plane.bootstrap.adminToken}`,
        ...(body !== undefined && { 'content-type': 'application/json' }),
      },
      ...(body !== undefined && { body: JSON.stringify(body) }),
    });
    return { status: response.status, body: (await response.json()) as unknown };
  };
  const create = async (plural: string, body: unknown, project?: string) => {
    const path = project
      ? `/apis/${API_VERSION}/namespaces/${project}/${plural}`
      : `/apis/${API_VERSION}/${plural}`;
    const response = await call('POST', path, body);
    expect(response.status, JSON.stringify(response.body)).toBe(201);
  };
  const status = async (name: string) =>
    (await plane.store.get({ kind: 'Workload', name, project: 'lab' }))?.status as WorkloadStatus | undefined;

  /** Moves the clock a step at a time, with real time for the controllers after each, until `done`. */
  const advanceUntil = async (done: () => Promise<boolean>, stepSeconds: number, what: string) => {
    for (let step = 0; step < 40; step++) {
      for (let i = 0; i < 10; i++) {
        if (await done()) return;
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
      clock.advance(stepSeconds * 1000);
    }
    throw new Error(`timed out waiting for ${what}`);
  };

  beforeAll(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'strata-sim-'));
    plane = await startControlPlane({
      dataDir,
      port: 0,
      host: '127.0.0.1',
      demo: false,
      tls: false,
      localNode: false,
      clock,
      leaseTtlMs: 24 * 3600_000,
    });
    await create('tenants', tenant('lab'));
    await create('projects', project('lab', 'lab'));
    await create('sites', site('lab'));
    await create('clusters', { ...cluster('twin', 'lab'), spec: { site: 'lab', provider: 'simulated' } });
    await create('nodes', node('twin-01', { cluster: 'twin', accelerators: [gpu(0), gpu(1)] }));
    await create('resourceclasses', {
      apiVersion: API_VERSION,
      kind: 'ResourceClass',
      metadata: { name: 'h100' },
      spec: { accelerator: { models: ['H100-SXM-80GB'] } },
    });
    await create('queues', {
      apiVersion: API_VERSION,
      kind: 'Queue',
      metadata: { name: 'lab' },
      spec: { resources: [{ resourceClass: 'h100', nominal: { gpus: 2 } }] },
    });
  });

  afterAll(async () => {
    await plane?.close();
    if (dataDir) await rm(dataDir, { recursive: true, force: true });
  });

  const job = (name: string, simulation: Record<string, unknown>) => ({
    apiVersion: API_VERSION,
    kind: 'Workload',
    metadata: { name, project: 'lab' },
    spec: {
      queue: 'lab',
      podSets: [{ name: 'main', resources: { cpu: 4, memory: '16Gi', accelerators: { count: 1 } } }],
      simulation,
    },
  });

  it('a node of a simulated cluster is marked Ready and simulated', async () => {
    await advanceUntil(
      async () => (await plane.store.get({ kind: 'Node', name: 'twin-01' }))?.status !== undefined,
      1,
      'the node marked',
    );
    expect((await plane.store.get({ kind: 'Node', name: 'twin-01' }))?.status).toMatchObject({
      state: 'Ready',
      simulated: true,
    });
  });

  it('workloads go Admitted → Running → Succeeded, or Failed with their simulated exit code', async () => {
    await create('workloads', job('ok', { durationSeconds: 600 }), 'lab');
    await create('workloads', job('crash', { durationSeconds: 300, exitCode: 3 }), 'lab');
    await advanceUntil(
      async () => (await status('ok'))?.phase === 'Running' && (await status('crash'))?.phase === 'Running',
      1,
      'both running',
    );
    expect((await status('ok'))?.pods?.[0]?.message).toMatch(/simulated on twin-01 \(digital twin\)/);
    await advanceUntil(
      async () => (await status('ok'))?.phase === 'Succeeded' && (await status('crash'))?.phase === 'Failed',
      60,
      'both ended',
    );
    expect((await status('crash'))?.pods?.[0]).toMatchObject({ phase: 'Failed', exitCode: 3 });
    expect((await status('ok'))?.history?.map((h) => h.phase)).toEqual(['Admitted', 'Running', 'Succeeded']);
  });

  it('a twin reports a synthetic utilisation for the GPU a running pod holds, and none once it ends', async () => {
    const nodeStatus = async () =>
      (await plane.store.get({ kind: 'Node', name: 'twin-01' }))?.status as NodeStatus | undefined;
    await create('workloads', job('busy', { durationSeconds: 600 }), 'lab');
    // Reports follow the pods: wait for the one that shows only busy's GPU in use.
    const matches = async () => {
      const w = await status('busy');
      const gpus = w?.phase === 'Running' ? (w.admission?.pods[0]?.gpus ?? []) : [];
      const reported = (await nodeStatus())?.accelerators;
      return (
        gpus.length === 1 &&
        reported?.length === 2 &&
        reported.every((a) => a.utilization > 0 === gpus.includes(a.index))
      );
    };
    await advanceUntil(matches, 1, "a utilisation report of busy's GPU");
    expect((await nodeStatus())?.simulated).toBe(true);
    await advanceUntil(
      async () => (await nodeStatus())?.accelerators === undefined,
      60,
      'the report removed',
    );
    expect((await status('busy'))?.phase).toBe('Succeeded');
  });
});
