import { describe, expect, it } from 'vitest';
import type { Cohort, Queue, Workload } from '../../web/src/model/objects.js';
import { cohortTree, quantity, queueShares } from '../../web/src/model/queue-shares.js';

const cohort = (name: string, parent?: string, fairShareWeight?: number): Cohort => ({
  kind: 'Cohort',
  metadata: { name },
  spec: { ...(parent && { parent }), ...(fairShareWeight && { fairShareWeight }) },
});

const queue = (
  name: string,
  options: { cohort?: string; weight?: number; gpus?: number; borrowingLimit?: number; memory?: string } = {},
): Queue => ({
  kind: 'Queue',
  metadata: { name },
  spec: {
    ...(options.cohort && { cohort: options.cohort }),
    ...(options.weight && { fairShareWeight: options.weight }),
    resources: [
      {
        resourceClass: 'h100',
        nominal: { gpus: options.gpus ?? 16, ...(options.memory && { memory: options.memory }) },
        ...(options.borrowingLimit !== undefined && { borrowingLimit: { gpus: options.borrowingLimit } }),
      },
    ],
  },
});

const holding = (name: string, queueName: string, demand: Record<string, number>, phase = 'Running') =>
  ({
    kind: 'Workload',
    metadata: { name, project: 'p' },
    spec: { queue: queueName },
    status: {
      phase,
      admission: { queue: queueName, resourceClass: 'h100', admittedAt: 't', demand, pods: [] },
    },
  }) as Workload;

/** The demo's shape: platform ⊃ research (weight 2) ⊃ acme (2), shared (1); globex (1) in platform. */
const cohorts = [cohort('platform'), cohort('research', 'platform', 2)];
const queues = [
  queue('acme', { cohort: 'research', weight: 2, gpus: 16, borrowingLimit: 16 }),
  queue('shared', { cohort: 'research', gpus: 32 }),
  queue('globex', { cohort: 'platform', gpus: 16, borrowingLimit: 0 }),
  queue('solo', { gpus: 8 }),
];
const byName = (workloads: Workload[]) =>
  new Map(queueShares(queues, cohorts, workloads).map((s) => [s.name, s]));

describe('queueShares', () => {
  it("multiplies a queue's weight by its cohorts' up to the root, and gives it that part of the pool", () => {
    const shares = byName([]);
    expect(shares.get('acme')).toMatchObject({ pool: 'platform', effectiveWeight: 4, fairShare: 4 / 7 });
    expect(shares.get('shared')).toMatchObject({ effectiveWeight: 2, fairShare: 2 / 7 });
    expect(shares.get('globex')).toMatchObject({ effectiveWeight: 1, fairShare: 1 / 7 });
  });

  it('divides the dominant use of the pool (Σ nominal over its queues) by the effective weight', () => {
    const acme = byName([holding('a', 'acme', { gpus: 8 })]).get('acme')!;
    expect(acme.dominant).toMatchObject({ dimension: 'gpus', used: 8, pool: 64 });
    expect(acme.weightedShare).toBeCloseTo(8 / 64 / 4);
  });

  it('counts only workloads that hold their booking (Admitted, Running)', () => {
    const shares = byName([
      holding('a', 'acme', { gpus: 8 }, 'Succeeded'),
      holding('b', 'acme', { gpus: 2 }, 'Admitted'),
    ]);
    expect(shares.get('acme')!.dimensions[0]!.used).toBe(2);
  });

  it('shows use beyond nominal as borrowed, with the borrowing limit; none outside a cohort', () => {
    const shares = byName([holding('a', 'acme', { gpus: 20 })]);
    expect(shares.get('acme')!.dimensions[0]).toMatchObject({ borrowed: 4, borrowingLimit: 16 });
    expect(shares.get('shared')!.dimensions[0]!.borrowingLimit).toBeUndefined();
    expect(shares.get('solo')).toMatchObject({ pool: undefined, fairShare: 1 });
    expect(shares.get('solo')!.dimensions[0]!.borrowingLimit).toBe(0);
  });

  it('is 0 with no dominant dimension for an idle queue', () => {
    expect(byName([]).get('acme')).toMatchObject({ weightedShare: 0, dominant: undefined });
  });
});

describe('cohortTree', () => {
  it('nests cohorts under their parents with their queues, and adds cohorts only queues name', () => {
    const shares = queueShares([...queues, queue('x', { cohort: 'undeclared' })], cohorts, []);
    const tree = cohortTree(shares, cohorts);
    expect(tree.map((n) => n.name)).toEqual(['platform', 'undeclared']);
    const platform = tree[0]!;
    expect(platform.queues.map((q) => q.name)).toEqual(['globex']);
    expect(platform.children.map((c) => [c.name, c.weight, c.queues.map((q) => q.name)])).toEqual([
      ['research', 2, ['acme', 'shared']],
    ]);
  });

  it('leaves out cohorts in a parent cycle (the admission controller refuses one) rather than looping', () => {
    const tree = cohortTree([], [cohort('a', 'b'), cohort('b', 'a'), cohort('c', 'a')]);
    expect(tree).toEqual([]);
  });
});

describe('quantity', () => {
  it.each([
    [8, 8],
    ['500m', 0.5],
    ['64Gi', 64 * 2 ** 30],
    ['2G', 2e9],
    ['lots', Number.NaN],
  ])('reads %s as %s', (input, expected) => {
    expect(quantity(input)).toBe(expected);
  });
});
