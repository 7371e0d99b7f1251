import { describe, expect, it } from 'vitest';
import { queueSpec, resourceClassSpec, workloadSpec } from '../../src/model/scheduling.js';
import {
  type CapacityContext,
  capacityShortfalls,
  type QueueView,
  workloadDemand,
} from '../../src/model/workload-capacity.js';

const CLASSES = new Map(
  Object.entries({
    h100: resourceClassSpec.parse({ accelerator: { models: ['H100-SXM-80GB'] } }),
    a100: resourceClassSpec.parse({ accelerator: { models: ['A100-SXM-80GB'] } }),
    'a100-1g': resourceClassSpec.parse({ accelerator: { models: ['A100-SXM-80GB'], migProfile: '1g.10gb' } }),
    l4: resourceClassSpec.parse({ accelerator: { models: ['L4-PCIE-24GB'] } }),
    cpu: resourceClassSpec.parse({}),
  }),
);

function queue(name: string, spec: Record<string, unknown>): QueueView {
  return { name, spec: queueSpec.parse(spec) };
}

type PodSet = {
  count?: number;
  cpu?: number | string;
  memory?: string;
  accelerators?: Record<string, unknown>;
};

function demand(...podSets: PodSet[]) {
  return workloadSpec.parse({
    queue: 'q',
    podSets: podSets.map((p, i) => ({
      name: `p${i}`,
      count: p.count ?? 1,
      resources: {
        cpu: p.cpu ?? 1,
        memory: p.memory ?? '1Gi',
        ...(p.accelerators !== undefined && { accelerators: p.accelerators }),
      },
    })),
  });
}

function context(q: QueueView, lenders: QueueView[] = []): CapacityContext {
  return { queue: q, resourceClasses: CLASSES, lenders };
}

describe('workloadDemand sums count × per-pod amount per dimension', () => {
  it('whole GPUs, milli-GPUs, MIG profiles, CPU (millicores) and memory stay separate', () => {
    const dims = workloadDemand(
      demand(
        { count: 2, cpu: '500m', memory: '2Gi', accelerators: { count: 4, models: ['H100-SXM-80GB'] } },
        { count: 3, accelerators: { milli: 250 } },
        { count: 5, accelerators: { migProfile: '1g.10gb' } },
      ),
    );
    const byKey = Object.fromEntries(
      dims.map((d) => [
        d.dimension.type === 'mig' ? `mig:${d.dimension.profile}` : d.dimension.type,
        d.amount,
      ]),
    );
    expect(byKey).toEqual({
      gpus: 8,
      milliGpus: 750,
      'mig:1g.10gb': 5,
      cpu: 2 * 500 + 3 * 1000 + 5 * 1000,
      memory: 2 * 2 * 2 ** 30 + 8 * 2 ** 30,
    });
  });

  it('a pod set without models widens the accepted models to any', () => {
    const dims = workloadDemand(
      demand({ accelerators: { count: 1, models: ['H100-SXM-80GB'] } }, { accelerators: { count: 1 } }),
    );
    expect(dims.find((d) => d.dimension.type === 'gpus')?.models).toBeUndefined();
  });
});

interface Case {
  readonly rule: string;
  readonly queue: QueueView;
  readonly lenders?: QueueView[];
  readonly workload: ReturnType<typeof demand>;
  /** Expected messages, one per short dimension; empty when it could fit. */
  readonly short: readonly string[];
}

const SOLO = queue('solo', {
  resources: [
    { resourceClass: 'h100', nominal: { gpus: 8 } },
    { resourceClass: 'l4', nominal: { milliGpus: 4000 } },
    { resourceClass: 'a100-1g', nominal: { migProfiles: { '1g.10gb': 7 } } },
    { resourceClass: 'cpu', nominal: { cpu: 64, memory: '256Gi' } },
  ],
});

const CASES: readonly Case[] = [
  {
    rule: 'a queue with no resources meters nothing',
    queue: queue('open', {}),
    workload: demand({ count: 100, accelerators: { count: 8 } }),
    short: [],
  },
  {
    rule: 'exactly nominal fits',
    queue: SOLO,
    workload: demand({ accelerators: { count: 8, models: ['H100-SXM-80GB'] } }),
    short: [],
  },
  {
    rule: 'over nominal without a cohort names both numbers',
    queue: SOLO,
    workload: demand({ count: 2, accelerators: { count: 8, models: ['H100-SXM-80GB'] } }),
    short: ['needs 16 GPUs (H100-SXM-80GB); queue solo can hold at most 8 (nominal 8, no borrowing)'],
  },
  {
    rule: 'milli-GPUs are their own dimension',
    queue: SOLO,
    workload: demand({ count: 9, accelerators: { milli: 500, models: ['L4-PCIE-24GB'] } }),
    short: [
      'needs 4500 milli-GPUs (L4-PCIE-24GB); queue solo can hold at most 4000 (nominal 4000, no borrowing)',
    ],
  },
  {
    rule: 'each MIG profile is its own dimension',
    queue: SOLO,
    workload: demand({ count: 8, accelerators: { migProfile: '1g.10gb' } }),
    short: ['needs 8 × 1g.10gb MIG instances; queue solo can hold at most 7 (nominal 7, no borrowing)'],
  },
  {
    rule: 'a MIG profile the queue never declares can never be held',
    queue: SOLO,
    workload: demand({ accelerators: { migProfile: '3g.40gb' } }),
    short: [
      'needs 1 × 3g.40gb MIG instance; queue solo has no quota for them (its resource classes: h100, l4, a100-1g, cpu)',
    ],
  },
  {
    rule: 'an entry whose class offers other models does not count',
    queue: SOLO,
    workload: demand({ accelerators: { count: 1, models: ['A100-SXM-80GB'] } }),
    short: [
      'needs 1 GPU (A100-SXM-80GB); queue solo has no quota for them (its resource classes: h100, l4, a100-1g, cpu)',
    ],
  },
  {
    rule: 'every entry that could serve some pod set counts (never refuse what some assignment admits)',
    queue: queue('mixed', {
      resources: [
        { resourceClass: 'h100', nominal: { gpus: 8 } },
        { resourceClass: 'a100', nominal: { gpus: 8 } },
      ],
    }),
    workload: demand(
      { accelerators: { count: 8, models: ['H100-SXM-80GB'] } },
      { accelerators: { count: 8, models: ['A100-SXM-80GB'] } },
    ),
    short: [],
  },
  {
    rule: 'CPU and memory count in cores and bytes',
    queue: SOLO,
    workload: demand({ count: 2, cpu: '32500m', memory: '129Gi' }),
    short: [
      'needs 65 CPU cores; queue solo can hold at most 64 (nominal 64, no borrowing)',
      'needs 258Gi of memory; queue solo can hold at most 256Gi (nominal 256Gi, no borrowing)',
    ],
  },
  {
    rule: 'a queue that declares no CPU or memory quota does not meter them',
    queue: queue('gpu-only', { resources: [{ resourceClass: 'h100', nominal: { gpus: 8 } }] }),
    workload: demand({ cpu: 10_000, memory: '100Ti', accelerators: { count: 1 } }),
    short: [],
  },
  {
    rule: 'borrowing is bounded by the borrowingLimit',
    queue: queue('x', {
      cohort: 'c',
      resources: [{ resourceClass: 'h100', nominal: { gpus: 8 }, borrowingLimit: { gpus: 4 } }],
    }),
    lenders: [queue('y', { cohort: 'c', resources: [{ resourceClass: 'h100', nominal: { gpus: 100 } }] })],
    workload: demand({ accelerators: { count: 13 } }),
    short: ['needs 13 GPUs; queue x can hold at most 12 (nominal 8, borrowing up to 4 from cohort c)'],
  },
  {
    rule: 'without a borrowingLimit, borrowing is bounded by what the others lend for the same class',
    queue: queue('x', { cohort: 'c', resources: [{ resourceClass: 'h100', nominal: { gpus: 8 } }] }),
    lenders: [
      queue('y', {
        cohort: 'c',
        resources: [{ resourceClass: 'h100', nominal: { gpus: 8 }, lendingLimit: { gpus: 2 } }],
      }),
      queue('z', { cohort: 'c', resources: [{ resourceClass: 'h100', nominal: { gpus: 6 } }] }),
      queue('w', { cohort: 'c', resources: [{ resourceClass: 'a100', nominal: { gpus: 50 } }] }),
    ],
    workload: demand({ accelerators: { count: 17 } }),
    short: ['needs 17 GPUs; queue x can hold at most 16 (nominal 8, borrowing up to 8 from cohort c)'],
  },
  {
    rule: 'a lendingLimit above nominal lends only nominal',
    queue: queue('x', { cohort: 'c', resources: [{ resourceClass: 'h100', nominal: { gpus: 0 } }] }),
    lenders: [
      queue('y', {
        cohort: 'c',
        resources: [{ resourceClass: 'h100', nominal: { gpus: 4 }, lendingLimit: { gpus: 40 } }],
      }),
    ],
    workload: demand({ accelerators: { count: 5 } }),
    short: ['needs 5 GPUs; queue x can hold at most 4 (nominal 0, borrowing up to 4 from cohort c)'],
  },
  {
    rule: 'a cohort with nothing to lend says so',
    queue: queue('x', { cohort: 'c', resources: [{ resourceClass: 'h100', nominal: { gpus: 8 } }] }),
    workload: demand({ accelerators: { count: 9 } }),
    short: ['needs 9 GPUs; queue x can hold at most 8 (nominal 8, nothing to borrow in cohort c)'],
  },
  {
    rule: 'the demo: llama-8b-finetune fits acme-training once the research tree lends its CPU memory',
    queue: queue('acme-training', {
      cohort: 'research',
      resources: [
        { resourceClass: 'h100', nominal: { gpus: 16 }, borrowingLimit: { gpus: 16 } },
        { resourceClass: 'cpu', nominal: { cpu: 192, memory: '768Gi' } },
      ],
    }),
    lenders: [
      queue('shared-training', {
        cohort: 'research',
        resources: [
          { resourceClass: 'h100', nominal: { gpus: 32 }, lendingLimit: { gpus: 16 } },
          { resourceClass: 'cpu', nominal: { cpu: 192, memory: '768Gi' } },
        ],
      }),
    ],
    workload: demand({ cpu: 96, memory: '1536Gi', accelerators: { count: 8, models: ['H100-SXM-80GB'] } }),
    short: [],
  },
];

describe('capacityShortfalls: what a queue could ever hold', () => {
  it.each(CASES.map((c) => [c.rule, c] as const))('%s', (_rule, c) => {
    const found = capacityShortfalls(c.workload, context(c.queue, c.lenders));
    expect(found.map((s) => s.message)).toEqual(c.short);
  });

  it('reports the numbers as data as well as words', () => {
    const [s] = capacityShortfalls(
      demand({ count: 2, accelerators: { count: 8, models: ['H100-SXM-80GB'] } }),
      context(SOLO),
    );
    expect(s).toMatchObject({
      dimension: { type: 'gpus' },
      needs: 16,
      canHold: 8,
      nominal: 8,
      borrowable: 0,
    });
  });
});
