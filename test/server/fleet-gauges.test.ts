import { describe, expect, it } from 'vitest';
import {
  type ClusterObject,
  type FleetInput,
  fleetGauges,
  type NodeObject,
  type QueueObject,
  type WorkloadObject,
} from '../../src/server/fleet-gauges.js';
import { cluster, gpu, node, queue, workload } from '../support/builders.js';

/** Builders' objects as the store returns them: parsed, defaults filled in. */
const asNode = (n: ReturnType<typeof node>, status?: NodeObject['status']) =>
  ({
    ...n,
    spec: { taints: [], nics: [], unschedulable: false, ...n.spec },
    ...(status && { status }),
  }) as unknown as NodeObject;

function hgx(name: string, gpus = 8, status?: NodeObject['status']): NodeObject {
  return asNode(node(name, { accelerators: Array.from({ length: gpus }, (_, i) => gpu(i)) }), status);
}

/** A workload holding `pods` (phase Running) or waiting (Pending), asking `count` GPUs per pod. */
function held(
  name: string,
  pods: { node: string; gpus?: number[]; mig?: { gpu: number; profile: string; start: number } }[],
  count = 1,
): WorkloadObject {
  const w = workload(name, 'p', {
    podSets: [{ name: 'main', count: pods.length, resources: { accelerators: { count } } }],
  });
  return {
    ...w,
    status: {
      phase: 'Running',
      admission: {
        queue: 'default',
        priority: 0,
        demand: {},
        admittedAt: '2026-01-01T00:00:00Z',
        pods: pods.map((p, i) => ({
          pod: `main-${i}`,
          node: p.node,
          gpus: p.gpus ?? [],
          ...(p.mig && { mig: p.mig }),
        })),
      },
    },
  } as unknown as WorkloadObject;
}

function waiting(name: string, count: number, queueName = 'default', withStatus = true): WorkloadObject {
  const w = workload(name, 'p', {
    queue: queueName,
    podSets: [{ name: 'main', count: 1, resources: { accelerators: { count } } }],
  });
  return {
    ...w,
    ...(withStatus && {
      status: { phase: 'Pending', pending: { queue: queueName, reason: 'quota', ahead: 0, message: 'm' } },
    }),
  } as unknown as WorkloadObject;
}

function fleet(parts: Partial<FleetInput>): FleetInput {
  return {
    clusters: [cluster('fra-hgx', 'fra') as unknown as ClusterObject],
    nodes: [],
    workloads: [],
    queues: [],
    ...parts,
  };
}

const fraH100 = (input: FleetInput) => fleetGauges(input).bySiteModel.find((g) => g.site === 'fra')!;

describe('fleetGauges: allocation', () => {
  it('counts a GPU booked whole as 1 and a MIG GPU as its booked memory slices out of 8', () => {
    const migGpu = gpu(1, 'H100-SXM-80GB', {
      mig: {
        mode: 'enabled',
        layout: [
          { profile: '3g.40gb', start: 0 },
          { profile: '3g.40gb', start: 4 },
        ],
      },
    });
    const n = asNode(node('n1', { accelerators: [gpu(0), migGpu] }));
    const w = held('w', [
      { node: 'n1', gpus: [0] },
      { node: 'n1', mig: { gpu: 1, profile: '3g.40gb', start: 0 } },
    ]);
    expect(fraH100(fleet({ nodes: [n], workloads: [w] }))).toMatchObject({ gpus: 2, allocated: 1.5 });
  });

  it.each([
    ['one quarter share', [250], 0.25],
    ['two half shares', [500, 500], 1],
    ['shares adding past one, capped', [700, 700], 1],
  ])('counts fractional pods on a GPU as the sum of their shares: %s', (_case, millis, allocated) => {
    const w = held(
      'w',
      millis.map(() => ({ node: 'n1', gpus: [0] })),
    );
    // One pod set per share, each pod named as the admission controller names it.
    const fractional = {
      ...w,
      spec: {
        ...w.spec,
        podSets: millis.map((milli, i) => ({ name: `s${i}`, resources: { accelerators: { milli } } })),
      },
      status: {
        ...w.status!,
        admission: {
          ...w.status!.admission!,
          pods: millis.map((_, i) => ({ pod: `p/w/s${i}-0`, node: 'n1', gpus: [0] })),
        },
      },
    } as unknown as WorkloadObject;
    expect(fraH100(fleet({ nodes: [hgx('n1')], workloads: [fractional] })).allocated).toBeCloseTo(allocated);
  });

  it.each([
    ['Pending', 0],
    ['Succeeded', 0],
    ['Admitted', 1],
    ['Running', 1],
  ])('a workload in phase %s holds %d GPU', (phase, allocated) => {
    const w = held('w', [{ node: 'n1', gpus: [0] }]);
    const inPhase = { ...w, status: { ...w.status!, phase } } as WorkloadObject;
    expect(fraH100(fleet({ nodes: [hgx('n1')], workloads: [inPhase] })).allocated).toBe(allocated);
  });
});

describe('fleetGauges: fragmentation', () => {
  it('counts as stranded the free GPUs on nodes with fewer free GPUs than the typical request', () => {
    const input = fleet({
      nodes: [hgx('a'), hgx('b')],
      workloads: [
        held('six', [{ node: 'b', gpus: [0, 1, 2, 3, 4, 5] }], 6),
        waiting('four-1', 4),
        waiting('four-2', 4),
      ],
    });
    const gauges = fleetGauges(input);
    expect(gauges.typicalRequest).toBe(4);
    expect(fraH100(input)).toMatchObject({ free: 10, stranded: 2 });
  });

  it.each([
    ['no workloads', [], 1],
    ['a tie between 2 and 8 GPUs per pod', [waiting('a', 2), waiting('b', 8)], 8],
    [
      'pods counted by replica',
      [
        held('x', [
          { node: 'n', gpus: [0] },
          { node: 'n', gpus: [1] },
        ]),
        waiting('b', 8),
      ],
      1,
    ],
  ])('takes the typical request from %s', (_case, workloads, typical) => {
    expect(fleetGauges(fleet({ workloads })).typicalRequest).toBe(typical);
  });

  it.each([
    ['NotReady', hgx('n', 8, { state: 'NotReady' })],
    ['Draining', hgx('n', 8, { state: 'Draining' })],
    ['unschedulable', asNode(node('n', { accelerators: [gpu(0)], unschedulable: true }))],
  ])('does not count the GPUs of a %s node as free', (_case, n) => {
    expect(fraH100(fleet({ nodes: [n] })).free).toBe(0);
  });
});

describe('fleetGauges: utilisation', () => {
  const reporting = (name: string, utilization: number[]) =>
    hgx(name, 8, {
      state: 'Ready',
      accelerators: utilization.map((u, index) => ({ index, utilization: u })),
    });

  it('averages the utilisation over the GPUs whose node reports one, ignoring those that do not', () => {
    const input = fleet({ nodes: [reporting('a', [1, 0.5]), reporting('b', [0]), hgx('silent')] });
    expect(fraH100(input)).toMatchObject({ gpus: 24, reporting: 3, utilization: 1.5 });
  });

  it('counts no reporting GPU when no node reports utilisation (not reported is not idle)', () => {
    expect(fraH100(fleet({ nodes: [hgx('a'), hgx('b', 8, { state: 'Ready' })] }))).toMatchObject({
      reporting: 0,
      utilization: 0,
    });
  });

  it('ignores a report for an index the node does not have', () => {
    expect(fraH100(fleet({ nodes: [reporting('a', [...Array(8).fill(0), 1])] })).reporting).toBe(8);
  });
});

describe('fleetGauges: queues and nodes', () => {
  it('counts pending workloads per queue, naming empty queues and counting workloads not yet given a status', () => {
    const input = fleet({
      queues: [queue('a') as unknown as QueueObject, queue('b') as unknown as QueueObject],
      workloads: [
        waiting('w1', 1, 'a'),
        waiting('w2', 1, 'a', false),
        held('w3', [{ node: 'n', gpus: [0] }]),
      ],
    });
    expect([...fleetGauges(input).pendingByQueue]).toEqual([
      ['a', 2],
      ['b', 0],
    ]);
  });

  it('counts nodes by state, Unreported for a node no agent reported on', () => {
    const input = fleet({
      nodes: [hgx('a', 8, { state: 'Ready' }), hgx('b', 8, { state: 'NotReady' }), hgx('c')],
    });
    expect(Object.fromEntries(fleetGauges(input).nodesByState)).toEqual({
      Ready: 1,
      NotReady: 1,
      Unreported: 1,
    });
  });
});
