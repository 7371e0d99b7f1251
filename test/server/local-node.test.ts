/**
 * The machine `strata up` runs on as node `local`, with a default tenant, project and queue sized to
 * it: what is registered, that a restart updates the fleet objects but keeps an edited queue, and
 * that the control plane heartbeats the node Ready.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { NodeSpec } from '../../src/model/fleet.js';
import { localFleet, localNodeSpec, registerLocalFleet } from '../../src/server/local-node.js';
import { startTestPlane, type TestPlane } from '../support/control-plane.js';
import { apiPath } from './builders.js';

/** A node spec as discovery would declare it; tests override what matters. */
function aNodeSpec(overrides: Partial<NodeSpec> = {}): NodeSpec {
  return {
    cluster: 'local',
    cpu: { cores: 16, numaNodes: 1 },
    memory: '64Gi',
    accelerators: [],
    nics: [],
    taints: [],
    unschedulable: false,
    ...overrides,
  };
}

const h100 = { index: 0, model: 'H100-SXM-80GB', uuid: 'GPU-0', numaNode: 0 };

describe('localFleet', () => {
  it.each([
    ['without GPUs, the queue holds CPU and memory only', aNodeSpec(), { cpu: 16, memory: '64Gi' }],
    [
      'with GPUs, the queue holds them too',
      aNodeSpec({ accelerators: [h100, { ...h100, index: 1, uuid: 'GPU-1' }] }),
      { cpu: 16, memory: '64Gi', gpus: 2 },
    ],
  ])('%s', (_case, spec, nominal) => {
    const { ifMissing } = localFleet(spec, 'Europe/Berlin');
    const queue = ifMissing.find((o) => o.kind === 'Queue')!;
    expect(queue.spec).toMatchObject({ resources: [{ resourceClass: 'local', nominal }] });
    expect((queue.spec as { resources: { nominal: object }[] }).resources[0]!.nominal).toEqual(nominal);
  });

  it('the node is the given spec, labelled so that resource class local selects it', () => {
    const spec = aNodeSpec();
    const { always } = localFleet(spec, 'Asia/Tokyo');
    const node = always.find((o) => o.kind === 'Node')!;
    const cls = always.find((o) => o.kind === 'ResourceClass')!;
    expect(node.spec).toEqual(spec);
    expect(cls.spec).toMatchObject({ nodeSelector: node.metadata.labels });
    expect(always.find((o) => o.kind === 'Site')!.spec).toMatchObject({ timeZone: 'Asia/Tokyo' });
    expect(always.find((o) => o.kind === 'Cluster')!.spec).toMatchObject({
      site: 'local',
      provider: 'local',
    });
  });
});

describe('localNodeSpec', () => {
  it('describes this machine: at least one CPU, some memory, cluster local', async () => {
    const { spec } = await localNodeSpec();
    expect(spec.cluster).toBe('local');
    expect(spec.cpu.cores).toBeGreaterThan(0);
    expect(spec.memory).toBeTruthy();
  });
});

describe('on a control plane', () => {
  let plane: TestPlane;
  beforeAll(async () => {
    plane = await startTestPlane({ localNode: true });
  });
  afterAll(async () => {
    await plane?.stop();
  });

  it('registers Site, Cluster, Node and ResourceClass local, and tenant, project and queue default', async () => {
    for (const [plural, name] of [
      ['sites', 'local'],
      ['clusters', 'local'],
      ['nodes', 'local'],
      ['resourceclasses', 'local'],
      ['tenants', 'default'],
      ['projects', 'default'],
      ['queues', 'default'],
    ] as const) {
      expect((await plane.call('GET', apiPath(plural, { name }))).status, `${plural}/${name}`).toBe(200);
    }
  });

  it('heartbeats the node Ready', async () => {
    let status: { state?: string; lastHeartbeat?: string } | undefined;
    for (let i = 0; i < 50 && status?.state !== 'Ready'; i++) {
      status = (await plane.call('GET', apiPath('nodes', { name: 'local' }))).body.status;
      if (status?.state !== 'Ready') await new Promise((r) => setTimeout(r, 100));
    }
    expect(status).toMatchObject({ state: 'Ready' });
    expect(Date.parse(status!.lastHeartbeat!)).toBeGreaterThan(Date.now() - 60_000);
  });

  it('registering again updates the node but keeps an edited default queue', async () => {
    const queue = (await plane.call('GET', apiPath('queues', { name: 'default' }))).body;
    const edited = { ...queue, spec: { ...queue.spec, description: 'edited by the platform team' } };
    expect((await plane.call('PUT', apiPath('queues', { name: 'default' }), { body: edited })).status).toBe(
      200,
    );
    await registerLocalFleet(plane.ctx, aNodeSpec({ cpu: { cores: 3, numaNodes: 1 } }));
    const node = (await plane.call('GET', apiPath('nodes', { name: 'local' }))).body;
    expect(node.spec.cpu.cores).toBe(3);
    const after = (await plane.call('GET', apiPath('queues', { name: 'default' }))).body;
    expect(after.spec.description).toBe('edited by the platform team');
  });
});
