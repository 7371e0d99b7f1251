import { describe, expect, it } from 'vitest';
import type { InstanceTypeSpec } from '../../../src/model/cloud.js';
import {
  type BurstCandidate,
  type BurstClass,
  type BurstDecision,
  type BurstQueue,
  type CatalogEntry,
  idleBurstNodes,
  planBurst,
  type QueueUsage,
} from '../../../src/providers/cloud/burst-autoscaler.js';

const GiB = 2 ** 30;

function instanceType(name: string, overrides: Partial<InstanceTypeSpec> = {}): CatalogEntry {
  return {
    name,
    spec: {
      cloud: 'simcloud',
      region: 'eu-central-1',
      jurisdiction: { country: 'DE', regime: 'EU' },
      timeZone: 'Europe/Berlin',
      accelerator: { model: 'H100-SXM-80GB', count: 8 },
      cpu: { cores: 192, numaNodes: 2 },
      memory: '2Ti',
      pricePerSecond: { onDemand: 0.015 },
      currency: 'USD',
      provisioningSeconds: 300,
      ...overrides,
    },
  };
}

const H100_EU = instanceType('h100x8-eu');
const H100_US = instanceType('h100x8-us', {
  region: 'us-east-1',
  jurisdiction: { country: 'US', regime: 'US' },
  timeZone: 'America/New_York',
  pricePerSecond: { onDemand: 0.012, spot: 0.006 },
});
const H100_EU_SPOT = instanceType('h100x8-eu-spot-offer', {
  pricePerSecond: { onDemand: 0.016, spot: 0.005 },
});
const L4_EU = instanceType('l4x1-eu', {
  accelerator: { model: 'L4-PCIE-24GB', count: 1 },
  cpu: { cores: 4, numaNodes: 1 },
  memory: '16Gi',
  pricePerSecond: { onDemand: 0.00025 },
});
const L4X4_EU = instanceType('l4x4-eu', {
  accelerator: { model: 'L4-PCIE-24GB', count: 4 },
  cpu: { cores: 48, numaNodes: 1 },
  memory: '192Gi',
  pricePerSecond: { onDemand: 0.0009 },
});
const A100_MIG_EU = instanceType('a100x8-mig-eu', {
  accelerator: { model: 'A100-SXM-80GB', count: 8, migProfile: '3g.40gb' },
  cpu: { cores: 96, numaNodes: 2 },
  memory: '1152Gi',
  pricePerSecond: { onDemand: 0.0088 },
});

const H100_CLASS: BurstClass = { name: 'h100', models: ['H100-SXM-80GB'], nodeSelector: {} };
const L4_CLASS: BurstClass = { name: 'l4', models: ['L4-PCIE-24GB'], nodeSelector: {} };
const MIG_CLASS: BurstClass = {
  name: 'a100-3g',
  models: ['A100-SXM-80GB'],
  migProfile: '3g.40gb',
  nodeSelector: {},
};

function queue(overrides: Partial<BurstQueue> = {}): BurstQueue {
  return {
    name: 'train',
    maxNodes: 4,
    spot: false,
    classes: [H100_CLASS, L4_CLASS, MIG_CLASS],
    ...overrides,
  };
}

/** A workload of `pods` pods of 8 H100s each (one HGX board apiece), unless told otherwise. */
function workload(overrides: Partial<BurstCandidate> = {}): BurstCandidate {
  return {
    workload: 'acme/llama',
    queue: 'train',
    podSets: [{ name: 'trainer', count: 1, cpu: 96, memoryBytes: 1024 * GiB, accelerator: { count: 8 } }],
    nvlinkRequired: true,
    tenantJurisdictions: [],
    nodeSelector: {},
    ...overrides,
  };
}

function plan(
  candidate: BurstCandidate,
  options: { queue?: BurstQueue; catalog?: CatalogEntry[]; usage?: QueueUsage } = {},
): BurstDecision {
  const q = options.queue ?? queue();
  return planBurst({
    candidates: [candidate],
    queues: new Map([[q.name, q]]),
    catalog: options.catalog ?? [H100_EU, H100_US, L4_EU, L4X4_EU, A100_MIG_EU],
    usage: new Map(options.usage ? [[q.name, options.usage]] : []),
  })[0]!;
}

const types = (d: BurstDecision) => (d.kind === 'provision' ? d.nodes.map((n) => n.instanceType) : []);

describe('burst planner: which instance types host a workload', () => {
  it.each([
    {
      rule: 'the cheapest fitting type wins (US H100s are cheaper when residency allows)',
      candidate: workload(),
      expected: ['h100x8-us'],
    },
    {
      rule: 'residency keeps an EU workload on EU instance types, even when dearer',
      candidate: workload({ residency: ['EU'] }),
      expected: ['h100x8-eu'],
    },
    {
      rule: 'a residency list may name a country',
      candidate: workload({ residency: ['DE'] }),
      expected: ['h100x8-eu'],
    },
    {
      rule: 'the tenant’s allowed jurisdictions apply on top of the workload’s',
      candidate: workload({ tenantJurisdictions: ['EU'] }),
      expected: ['h100x8-eu'],
    },
    {
      rule: 'a gang is packed as many pods to a node as fit: 4 pods of 2 GPUs on one 8-GPU node',
      candidate: workload({
        podSets: [{ name: 'w', count: 4, cpu: 16, memoryBytes: 64 * GiB, accelerator: { count: 2 } }],
      }),
      expected: ['h100x8-us'],
    },
    {
      rule: 'more pods than one node holds take several nodes',
      candidate: workload({
        residency: ['EU'],
        podSets: [{ name: 'w', count: 3, cpu: 96, memoryBytes: 1024 * GiB, accelerator: { count: 8 } }],
      }),
      expected: ['h100x8-eu', 'h100x8-eu', 'h100x8-eu'],
    },
    {
      rule: 'a small L4 pod takes the small L4 type, not the 4-GPU one',
      candidate: workload({
        residency: ['EU'],
        podSets: [
          { name: 'i', count: 1, cpu: 4, memoryBytes: 16 * GiB, accelerator: { count: 1, models: ['L4'] } },
        ],
      }),
      expected: ['l4x1-eu'],
    },
    {
      rule: 'four L4 pods share one 4-GPU node when it costs less than four 1-GPU nodes',
      candidate: workload({
        residency: ['EU'],
        podSets: [
          { name: 'i', count: 4, cpu: 4, memoryBytes: 16 * GiB, accelerator: { count: 1, models: ['L4'] } },
        ],
      }),
      expected: ['l4x4-eu'],
    },
    {
      rule: 'CPU limits packing as much as GPUs do',
      candidate: workload({
        residency: ['EU'],
        podSets: [
          {
            name: 'i',
            count: 2,
            cpu: 40,
            memoryBytes: 16 * GiB,
            accelerator: { count: 1, models: ['L4-PCIE-24GB'] },
          },
        ],
      }),
      expected: ['l4x4-eu', 'l4x4-eu'],
    },
    {
      rule: 'MIG slices come from a type whose GPUs run that MIG profile',
      candidate: workload({
        residency: ['EU'],
        podSets: [
          { name: 'e', count: 3, cpu: 8, memoryBytes: 64 * GiB, accelerator: { migProfile: '3g.40gb' } },
        ],
      }),
      expected: ['a100x8-mig-eu'],
    },
    {
      rule: 'a share of one GPU fits on whole-GPU types',
      candidate: workload({
        residency: ['EU'],
        podSets: [
          { name: 'e', count: 2, cpu: 2, memoryBytes: 8 * GiB, accelerator: { milli: 500, models: ['L4'] } },
        ],
      }),
      expected: ['l4x1-eu'],
    },
  ])('$rule', ({ candidate, expected }) => {
    expect(types(plan(candidate))).toEqual(expected);
  });

  it('the decision names the region, the cost per hour and the price per second of each node', () => {
    const decision = plan(workload({ residency: ['EU'] }));
    expect(decision).toMatchObject({
      kind: 'provision',
      cloud: 'simcloud',
      region: 'eu-central-1',
      costPerHour: 0.015 * 3600,
      nodes: [{ instanceType: 'h100x8-eu', spot: false, pricePerSecond: 0.015, currency: 'USD' }],
    });
  });

  it('spot: a queue that asks for spot pays the spot price where one is offered, and that can change the winner', () => {
    const catalog = [H100_EU, H100_EU_SPOT];
    const onDemand = plan(workload(), { catalog });
    const spot = plan(workload(), { catalog, queue: queue({ spot: true }) });
    expect(types(onDemand)).toEqual(['h100x8-eu']);
    expect(spot).toMatchObject({
      nodes: [{ instanceType: 'h100x8-eu-spot-offer', spot: true, pricePerSecond: 0.005 }],
    });
  });

  it('spot: a type without a spot price is rented on demand', () => {
    const decision = plan(workload(), { catalog: [H100_EU], queue: queue({ spot: true }) });
    expect(decision).toMatchObject({ nodes: [{ spot: false, pricePerSecond: 0.015 }] });
  });

  it('the node carries the labels of the queue class it satisfies and of the workload’s node selector', () => {
    const q = queue({
      classes: [{ ...H100_CLASS, nodeSelector: { 'strata.dev/node-class': 'gpu-training' } }],
    });
    const decision = plan(workload({ nodeSelector: { team: 'nlp' } }), { queue: q });
    expect(decision).toMatchObject({
      nodes: [{ labels: { 'strata.dev/node-class': 'gpu-training', team: 'nlp' } }],
    });
  });
});

describe('burst planner: when it refuses', () => {
  it.each([
    {
      rule: 'residency: an EU workload and only US instance types',
      candidate: workload({ residency: ['EU'] }),
      options: { catalog: [H100_US] },
      reason: 'residency',
      message: /outside residency EU/,
    },
    {
      rule: 'no type is big enough: 16 GPUs in one pod',
      candidate: workload({
        podSets: [{ name: 't', count: 1, cpu: 96, memoryBytes: 1024 * GiB, accelerator: { count: 16 } }],
      }),
      options: {},
      reason: 'no-instance-type',
      message: /no instance type of the catalog can hold a pod/,
    },
    {
      rule: 'no type has the model the workload insists on',
      candidate: workload({
        podSets: [
          { name: 't', count: 1, cpu: 8, memoryBytes: GiB, accelerator: { count: 1, models: ['B200'] } },
        ],
      }),
      options: {},
      reason: 'no-instance-type',
      message: /no instance type/,
    },
    {
      rule: 'NVLink required for a multi-GPU pod and only PCIe boards offered',
      candidate: workload({
        podSets: [
          { name: 't', count: 1, cpu: 8, memoryBytes: GiB, accelerator: { count: 4, models: ['L4'] } },
        ],
      }),
      options: {},
      reason: 'no-instance-type',
      message: /no instance type/,
    },
    {
      rule: 'no class of the queue accepts the model (admission would never use the node)',
      candidate: workload(),
      options: { queue: queue({ classes: [L4_CLASS] }) },
      reason: 'no-instance-type',
      message: /no instance type/,
    },
    {
      rule: 'budget: the cheapest plan costs more than the queue may spend per hour',
      candidate: workload({ residency: ['EU'] }),
      options: { queue: queue({ maxCostPerHour: 40 }) },
      reason: 'budget',
      message: /costs 54\.00\/h but queue train spends 0\.00\/h of at most 40\/h/,
    },
    {
      rule: 'budget counts what the queue spends on burst nodes already',
      candidate: workload({ residency: ['EU'] }),
      options: { queue: queue({ maxCostPerHour: 100 }), usage: { nodes: 1, costPerHour: 54 } },
      reason: 'budget',
      message: /spends 54\.00\/h of at most 100\/h/,
    },
    {
      rule: 'maxNodes: three nodes needed, two allowed',
      candidate: workload({
        podSets: [{ name: 'w', count: 3, cpu: 96, memoryBytes: 1024 * GiB, accelerator: { count: 8 } }],
      }),
      options: { queue: queue({ maxNodes: 2 }) },
      reason: 'max-nodes',
      message: /needs 3 burst nodes but queue train holds 0 of at most 2/,
    },
    {
      rule: 'maxNodes counts the burst nodes the queue holds already',
      candidate: workload(),
      options: { queue: queue({ maxNodes: 2 }), usage: { nodes: 2, costPerHour: 10 } },
      reason: 'max-nodes',
      message: /holds 2 of at most 2/,
    },
    {
      rule: 'currency: the queue budgets in EUR and the catalog prices in USD',
      candidate: workload(),
      options: { queue: queue({ currency: 'EUR', maxCostPerHour: 1000 }) },
      reason: 'currency',
      message: /priced in EUR/,
    },
  ])('$rule', ({ candidate, options, reason, message }) => {
    const decision = plan(candidate, options as Parameters<typeof plan>[1]);
    expect(decision).toMatchObject({ kind: 'refused', reason });
    expect(decision.kind === 'refused' && decision.message).toMatch(message);
  });

  it('a budget that rules out the cheapest region still takes a dearer one that fits the node limit', () => {
    const cheapButBig = workload({
      podSets: [{ name: 'w', count: 2, cpu: 96, memoryBytes: 1024 * GiB, accelerator: { count: 8 } }],
    });
    expect(types(plan(cheapButBig, { queue: queue({ maxNodes: 2 }) }))).toEqual(['h100x8-us', 'h100x8-us']);
  });

  it('a workload whose queue does not burst is refused', () => {
    const decision = planBurst({
      candidates: [workload({ queue: 'other' })],
      queues: new Map([['train', queue()]]),
      catalog: [H100_EU],
      usage: new Map(),
    });
    expect(decision).toEqual([expect.objectContaining({ kind: 'refused', reason: 'not-bursting' })]);
  });

  it('workloads planned in one pass share their queue’s limits, oldest first', () => {
    const decisions = planBurst({
      candidates: [workload({ workload: 'acme/first' }), workload({ workload: 'acme/second' })],
      queues: new Map([['train', queue({ maxNodes: 1 })]]),
      catalog: [H100_EU],
      usage: new Map(),
    });
    expect(decisions.map((d) => `${d.workload}:${d.kind}`)).toEqual([
      'acme/first:provision',
      'acme/second:refused',
    ]);
  });
});

describe('burst scale-down', () => {
  const node = (name: string, ready: boolean, busy: boolean, lastUsedMs: number) => ({
    name,
    ready,
    busy,
    lastUsedMs,
  });

  it.each([
    {
      rule: 'an idle Ready node past the grace period goes',
      n: node('a', true, false, 0),
      now: 300_000,
      gone: true,
    },
    {
      rule: 'an idle node inside the grace period stays',
      n: node('a', true, false, 0),
      now: 299_999,
      gone: false,
    },
    { rule: 'a busy node stays however long', n: node('a', true, true, 0), now: 10_000_000, gone: false },
    { rule: 'a provisioning node stays', n: node('a', false, false, 0), now: 10_000_000, gone: false },
  ])('$rule', ({ n, now, gone }) => {
    expect(idleBurstNodes([n], now, 300_000)).toEqual(gone ? ['a'] : []);
  });
});
