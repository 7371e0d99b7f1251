import { describe, expect, it } from 'vitest';
import {
  aggregate,
  bookings,
  gpuShare,
  migSize,
  nodeShare,
  nodeViews,
} from '../../web/src/model/fleet-view.js';
import type { Cluster, Node, PodPlacement, Workload } from '../../web/src/model/objects.js';

const cluster = (name: string, site: string, provider = 'agent'): Cluster =>
  ({ kind: 'Cluster', metadata: { name }, spec: { site, provider } }) as Cluster;

function node(
  name: string,
  accelerators: NonNullable<Node['spec']['accelerators']>,
  status?: Node['status'],
): Node {
  return {
    kind: 'Node',
    metadata: { name },
    spec: { cluster: 'c', accelerators },
    ...(status && { status }),
  };
}

const a100 = (
  index: number,
  layout?: { profile: string; start?: number }[],
): NonNullable<Node['spec']['accelerators']>[number] => ({
  index,
  model: 'A100-SXM-80GB',
  ...(layout && { mig: { mode: 'enabled' as const, layout } }),
});

function running(name: string, pods: PodPlacement[], podSets: Workload['spec']['podSets'] = []): Workload {
  return {
    kind: 'Workload',
    metadata: { name, project: 'p' },
    spec: { queue: 'q', podSets },
    status: {
      phase: 'Running',
      admission: { queue: 'q', admittedAt: '2026-01-01T00:00:00Z', demand: {}, pods },
    },
  };
}

const view = (nodes: Node[], workloads: Workload[], provider = 'agent') =>
  nodeViews(
    nodes,
    new Map([['c', cluster('c', 'par', provider)]]),
    bookings(workloads, () => 'acme'),
  );

describe('migSize', () => {
  it.each([
    ['1g.10gb', 'A100-SXM-80GB', 1],
    ['1g.20gb', 'A100-SXM-80GB', 2],
    ['3g.40gb', 'A100-SXM-80GB', 4],
    ['7g.80gb', 'H100-SXM-80GB', 8],
    ['1g.5gb', 'A100-SXM-40GB', 1],
    ['3g', 'mystery', 4],
  ])('%s on %s spans %d memory slices', (profile, model, size) => {
    expect(migSize(profile, model)).toBe(size);
  });
});

describe('nodeViews', () => {
  it('lays out MIG instances by start and books the slice a workload holds', () => {
    const [v] = view(
      [
        node('n', [
          a100(0, [
            { profile: '3g.40gb', start: 4 },
            { profile: '3g.40gb', start: 0 },
          ]),
        ]),
      ],
      [running('w', [{ pod: 'e-0', node: 'n', gpus: [], mig: { gpu: 0, profile: '3g.40gb', start: 4 } }])],
    );
    const gpu = v!.gpus[0]!;
    expect(gpu.slices.map((s) => [s.start, s.size, s.holder?.workload])).toEqual([
      [0, 4, undefined],
      [4, 4, 'p/w'],
    ]);
    expect(gpu.allocation).toBe(0.5);
    expect([...v!.tenants]).toEqual(['acme']);
  });

  it('places MIG instances without a start one after another', () => {
    const [v] = view([node('n', [a100(0, [{ profile: '1g.10gb' }, { profile: '3g.40gb' }])])], []);
    expect(v!.gpus[0]!.slices.map((s) => s.start)).toEqual([0, 1]);
  });

  it('adds fractional shares of one GPU, and counts a whole GPU as 1', () => {
    const half = [{ name: 'e', resources: { accelerators: { milli: 500 } } }];
    const [v] = view(
      [node('n', [a100(0), a100(1)])],
      [
        running('f', [{ pod: 'e-0', node: 'n', gpus: [0] }], half),
        running('w', [{ pod: 'main-0', node: 'n', gpus: [1] }]),
      ],
    );
    expect(v!.gpus.map((g) => g.allocation)).toEqual([0.5, 1]);
  });

  it.each([
    ['reported simulated', { state: 'Ready', simulated: true }, 'agent', true],
    ['on a simulated cluster', undefined, 'simulated', true],
    ['reported by an agent', { state: 'Ready' }, 'agent', false],
  ])('marks a node %s as simulated: %s', (_case, status, provider, simulated) => {
    expect(view([node('n', [], status)], [], provider)[0]!.simulated).toBe(simulated);
  });
});

describe('aggregate', () => {
  it('groups nodes per site and model, summing GPUs and allocation', () => {
    const views = view(
      [node('a', [a100(0), a100(1)]), node('b', [a100(0)]), node('cpu', [])],
      [running('w', [{ pod: 'main-0', node: 'a', gpus: [0, 1] }])],
    );
    expect(aggregate(views).map((g) => [g.site, g.model, g.nodes.length, g.gpus, g.allocated])).toEqual([
      ['par', 'A100-SXM-80GB', 2, 3, 2],
      ['par', 'CPU only', 1, 0, 0],
    ]);
  });
});

describe('utilisation', () => {
  const reporting = (name: string, utilization: number[]) =>
    node(name, [a100(0), a100(1)], {
      state: 'Ready',
      accelerators: utilization.map((u, index) => ({ index, utilization: u })),
    });

  it("takes each GPU's utilisation from its node's report and averages the GPUs that report one", () => {
    const [v] = view([reporting('n', [0.8])], []);
    expect(v!.gpus.map((g) => g.utilization)).toEqual([0.8, undefined]);
    expect(v!.utilization).toBe(0.8);
  });

  it('leaves a node without a report at undefined, not idle, in both shares', () => {
    const [v] = view([node('n', [a100(0)], { state: 'Ready' })], []);
    expect(v!.utilization).toBeUndefined();
    expect(nodeShare(v!, 'utilization')).toBeUndefined();
    expect(gpuShare(v!.gpus[0]!, 'utilization')).toBeUndefined();
    expect(nodeShare(v!, 'allocation')).toBe(0);
  });

  it('sums the reporting GPUs per group and counts them, so the mean skips silent nodes', () => {
    const [g] = aggregate(view([reporting('a', [1, 0.5]), node('b', [a100(0), a100(1)])], []));
    expect(g).toMatchObject({ gpus: 4, reporting: 2, utilized: 1.5 });
  });
});
