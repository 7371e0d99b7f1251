import { describe, expect, it } from 'vitest';
import type { InstanceTypeSpec } from '../../../src/model/cloud.js';
import { findKind } from '../../../src/model/kinds.js';
import type { PlannedNode } from '../../../src/providers/cloud/burst-autoscaler.js';
import { burstNode, burstNodeName, cloudSite, regionName } from '../../../src/providers/cloud/burst-node.js';

function type(overrides: Partial<InstanceTypeSpec> = {}): InstanceTypeSpec {
  return {
    cloud: 'simcloud',
    region: 'eu-central-1',
    jurisdiction: { country: 'DE', regime: 'EU' },
    timeZone: 'Europe/Berlin',
    accelerator: { model: 'H100', count: 8 },
    cpu: { cores: 192, numaNodes: 2 },
    memory: '2Ti',
    pricePerSecond: { onDemand: 0.017583, spot: 0.008792 },
    currency: 'USD',
    provisioningSeconds: 300,
    ...overrides,
  };
}

const planned: PlannedNode = {
  instanceType: 'p5-48xlarge-eu-central-1',
  podSet: 'trainer',
  spot: true,
  pricePerSecond: 0.008792,
  currency: 'USD',
  labels: { 'strata.dev/node-class': 'gpu-training' },
};

function build(spec: InstanceTypeSpec) {
  return burstNode({
    name: 'p5-48xlarge-eu-central-1-1',
    cluster: 'simcloud-eu-central-1',
    site: 'simcloud-eu-central-1',
    type: spec,
    planned,
    queue: 'burst-training',
    workload: 'acme-research/llama',
    readyAt: '2026-03-02T10:05:00.000Z',
  });
}

/** What the API would say of the node: schema and catalog checks. */
function issuesOf(spec: unknown) {
  const kind = findKind('Node')!;
  const parsed = kind.spec.safeParse(spec);
  if (!parsed.success) return parsed.error.issues.map((i) => i.message);
  return kind.check?.(parsed.data).map((i) => `${i.field}: ${i.message}`) ?? [];
}

describe('burst nodes', () => {
  it.each([
    ['an 8-GPU NVLink board', type()],
    [
      'a single PCIe L4',
      type({ accelerator: { model: 'L4-PCIE-24GB', count: 1 }, cpu: { cores: 4, numaNodes: 1 } }),
    ],
    ['A100s in MIG mode', type({ accelerator: { model: 'A100-SXM-80GB', count: 8, migProfile: '3g.40gb' } })],
  ])('%s is a valid Node', (_shape, spec) => {
    expect(issuesOf(build(spec).spec)).toEqual([]);
  });

  it('GPUs take the catalog id, one NVLink domain per instance, spread over the NUMA nodes, with stable UUIDs', () => {
    const node = build(type());
    expect(node.spec.accelerators.map((a) => a.model)).toEqual(Array(8).fill('H100-SXM-80GB'));
    expect(new Set(node.spec.accelerators.map((a) => a.nvlinkDomain))).toEqual(
      new Set(['p5-48xlarge-eu-central-1-1-nvl']),
    );
    expect(node.spec.accelerators.map((a) => a.numaNode)).toEqual([0, 0, 0, 0, 1, 1, 1, 1]);
    expect(node.spec.accelerators[0]!.uuid).toMatch(
      /^GPU-[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/,
    );
    expect(build(type()).spec.accelerators.map((a) => a.uuid)).toEqual(
      node.spec.accelerators.map((a) => a.uuid),
    );
    expect(new Set(node.spec.accelerators.map((a) => a.uuid)).size).toBe(8);
  });

  it('PCIe GPUs get no NVLink domain; MIG-mode GPUs are enabled with an empty layout, carved on demand', () => {
    const l4 = build(type({ accelerator: { model: 'L4-PCIE-24GB', count: 1 } }));
    expect(l4.spec.accelerators[0]!.nvlinkDomain).toBeUndefined();
    const a100 = build(type({ accelerator: { model: 'A100-SXM-80GB', count: 8, migProfile: '3g.40gb' } }));
    expect(a100.spec.accelerators[0]!.mig).toEqual({ mode: 'enabled', layout: [] });
  });

  it('labels say it is a burst node, what it is, who rented it and what it costs; the class selector is kept', () => {
    const node = build(type());
    expect(node.metadata.labels).toMatchObject({
      'strata.dev/burst': 'true',
      'strata.dev/instance-type': 'p5-48xlarge-eu-central-1',
      'strata.dev/burst-queue': 'burst-training',
      'strata.dev/price-per-second': '0.008792',
      'strata.dev/currency': 'USD',
      'strata.dev/capacity-type': 'spot',
      'strata.dev/node-class': 'gpu-training',
    });
    expect(node.metadata.annotations).toMatchObject({
      'strata.dev/burst-for': 'acme-research/llama',
      'strata.dev/ready-at': '2026-03-02T10:05:00.000Z',
      'strata.dev/price-per-hour': '31.65 USD',
    });
  });

  it.each([
    [
      'the first free number',
      'g6-xlarge-eu-central-1',
      ['g6-xlarge-eu-central-1-1'],
      'g6-xlarge-eu-central-1-2',
    ],
    ['a long type name is cut to fit 63 characters', 'x'.repeat(63), [], `${'x'.repeat(61)}-1`],
  ])('node names: %s', (_rule, instanceType, taken, expected) => {
    expect(burstNodeName(instanceType, new Set(taken))).toBe(expected);
  });

  it('one Site per cloud region, named after it, with the region’s jurisdiction and no power limit that binds', () => {
    expect(regionName('SimCloud', 'eu_central 1')).toBe('simcloud-eu-central-1');
    expect(cloudSite(type())).toMatchObject({
      region: 'eu-central-1',
      jurisdiction: { country: 'DE', regime: 'EU' },
      provider: 'simcloud',
      tariff: { currency: 'USD', pricePerKWh: 0 },
    });
  });
});
