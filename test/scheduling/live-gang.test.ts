import { describe, expect, it } from 'vitest';
import { API_VERSION, type ApiObject } from '../../src/model/object.js';
import type { WorkloadSpec } from '../../src/model/scheduling.js';
import { placeGang } from '../../src/scheduling/gang-placement.js';
import type { GangRequest } from '../../src/scheduling/placement-request.js';
import { gangOfWorkload } from '../../src/scheduling/placement-request.js';
import { GIB, liveFleet, node, whole } from './live-builders.js';

const gang = (id: string, pods: GangRequest['pods'], domain?: GangRequest['domain']): GangRequest => ({
  id,
  pods,
  ...(domain ? { domain } : {}),
});

describe('live placement: gang placement (all or nothing, inside one domain)', () => {
  it('places every pod of a gang that fits', () => {
    const { engine } = liveFleet({ nodes: [node('a'), node('b')] });
    const d = placeGang(engine, gang('g', [whole(8), whole(8)]));
    expect(d.outcome).toBe('placed');
    expect(d.outcome === 'placed' && d.pods.map((p) => p.node).sort()).toEqual(['a', 'b']);
  });

  it('a gang that does not fit leaves the snapshot exactly as it was (every tentative bind released)', () => {
    const { engine, snapshot } = liveFleet({ nodes: [node('a'), node('b')] });
    engine.place(engine.prepare(whole(2)));
    const before = snapshot.stateDigest();
    const d = placeGang(engine, gang('g', [whole(4), whole(4), whole(4), whole(4), whole(4)]));
    expect(d.outcome).toBe('unschedulable');
    if (d.outcome !== 'unschedulable') return;
    expect(d.placedBeforeFailure).toBe(3);
    expect(d.failedPod).toBe(d.reason.pod);
    expect(d.verdict).toBe('not-now');
    expect(snapshot.stateDigest()).toBe(before);
    expect(snapshot.boundCount).toBe(1);
  });

  interface DomainCase {
    readonly rule: string;
    readonly domain: 'rack' | 'block' | 'rail';
    readonly pods: number;
    readonly want: string | null;
  }
  // r1: a, b (b half used) — r2: c, d, e. Blocks: k1 = r1, k2 = r2. Rails: a, b, c on rail-x; d, e on rail-y.
  const domainFleet = () => {
    const rail = (r: string) => ({ nics: [[0, r] as const, [1, r] as const] });
    const fleet = liveFleet({
      nodes: [
        node('a', { rack: 'r1', block: 'k1', ...rail('rail-x') }),
        node('b', { rack: 'r1', block: 'k1', ...rail('rail-x') }),
        node('c', { rack: 'r2', block: 'k2', ...rail('rail-x') }),
        node('d', { rack: 'r2', block: 'k2', ...rail('rail-y') }),
        node('e', { rack: 'r2', block: 'k2', ...rail('rail-y') }),
      ],
    });
    const pin = fleet.engine.place(fleet.engine.prepare(whole(4)), Uint8Array.from([0, 1, 0, 0, 0]));
    expect(pin.outcome === 'placed' && pin.node).toBe('b');
    return fleet;
  };
  const cases: DomainCase[] = [
    {
      rule: 'rack: the smallest rack that holds the gang (r1 has 12 free GPUs)',
      domain: 'rack',
      pods: 1,
      want: 'rack:r1',
    },
    { rule: 'rack: a gang too big for r1 goes wholly to r2', domain: 'rack', pods: 3, want: 'rack:r2' },
    { rule: 'block: same rule one level up', domain: 'block', pods: 2, want: 'block:k2' },
    { rule: 'rail: every pod on nodes cabled to one rail', domain: 'rail', pods: 2, want: 'rail:rail-y' },
    { rule: 'no domain can hold it: unschedulable, nothing booked', domain: 'rack', pods: 4, want: null },
  ];
  it.each(cases)('$rule', (c) => {
    const { engine, snapshot } = domainFleet();
    const before = snapshot.stateDigest();
    const d = placeGang(
      engine,
      gang(
        'g',
        Array.from({ length: c.pods }, () => whole(8)),
        c.domain,
      ),
    );
    if (c.want === null) {
      expect(d.outcome).toBe('unschedulable');
      expect(snapshot.stateDigest()).toBe(before);
      return;
    }
    expect(d.outcome === 'placed' && d.domain).toBe(c.want);
    if (d.outcome !== 'placed') return;
    const nodesIn = new Set(d.pods.map((p) => p.node));
    expect(nodesIn.size).toBe(c.pods);
  });

  it('a failed domain attempt is rolled back before the next domain is tried', () => {
    const { engine, snapshot } = liveFleet({
      nodes: [
        node('a', { rack: 'r1', gpus: 8 }),
        node('b', { rack: 'r1', gpus: 4 }),
        node('c', { rack: 'r2', gpus: 8 }),
        node('d', { rack: 'r2', gpus: 8 }),
      ],
    });
    // r1 has 12 free GPUs (tried first, best fit) but cannot hold 8 + 8; r2 can.
    const d = placeGang(engine, gang('g', [whole(8), whole(8)], 'rack'));
    expect(d.outcome === 'placed' && d.domain).toBe('rack:r2');
    expect(snapshot.fleet.fullyFreeGpus[0]).toBe(8);
    expect(snapshot.fleet.fullyFreeGpus[1]).toBe(4);
    expect(snapshot.boundCount).toBe(2);
  });

  it('an unschedulable gang names the domains tried and the pod that failed', () => {
    const { engine } = liveFleet({
      // r1: two 8-GPU nodes, but b's GPUs are two NVLink islands of 4; r2: too few GPUs to try.
      nodes: [
        node('a', { rack: 'r1' }),
        node('b', { rack: 'r1', nvlink: (g) => (g < 4 ? 'b-0' : 'b-1') }),
        node('c', { rack: 'r2' }),
      ],
    });
    const d = placeGang(
      engine,
      gang('g', [whole(8, { nvlink: 'required' }), whole(8, { nvlink: 'required' })], 'rack'),
    );
    expect(d.outcome).toBe('unschedulable');
    if (d.outcome !== 'unschedulable') return;
    expect(d.domainsTried).toEqual(['rack:r1']);
    expect(d.reason.rejections.map((r) => [r.reason, r.nodes])).toEqual([
      ['outside-gang-domain', 1],
      ['insufficient-gpu', 1],
      ['no-nvlink-domain', 1],
    ]);
    expect(d.placedBeforeFailure).toBe(1);
    expect(d.message).toMatch(/rack:r1/);
  });
});

describe('live placement: gang verdicts', () => {
  it('a gang bigger than any domain even when empty never fits', () => {
    const { engine } = liveFleet({ nodes: [node('a', { rack: 'r1' }), node('b', { rack: 'r2' })] });
    const d = placeGang(engine, gang('g', [whole(8), whole(8)], 'rack'));
    expect(d.outcome === 'unschedulable' && d.verdict).toBe('never-fits');
  });

  it('a gang whose domain is only busy is not-now', () => {
    const { engine } = liveFleet({ nodes: [node('a', { rack: 'r1' }), node('b', { rack: 'r1' })] });
    engine.place(engine.prepare(whole(1)));
    const d = placeGang(engine, gang('g', [whole(8), whole(8)], 'rack'));
    expect(d.outcome === 'unschedulable' && d.verdict).toBe('not-now');
  });

  it('nodes without the domain attribute are never part of a gang that needs one', () => {
    const { engine } = liveFleet({ nodes: [node('a'), node('b')] });
    const d = placeGang(engine, gang('g', [whole(1)], 'block'));
    expect(d.outcome === 'unschedulable' && d.verdict).toBe('never-fits');
  });
});

describe('live placement: gang domains follow node changes', () => {
  it('moving a node to another rack (updateNode) changes where a rack gang can go', () => {
    const b = node('b', { rack: 'r2' });
    const { engine, snapshot } = liveFleet({ nodes: [node('a', { rack: 'r1' }), b] });
    expect(placeGang(engine, gang('g1', [whole(8), whole(8)], 'rack')).outcome).toBe('unschedulable');
    snapshot.updateNode({ ...b, spec: { ...b.spec, topology: { rack: 'r1' } } });
    const d = placeGang(engine, gang('g2', [whole(8), whole(8)], 'rack'));
    expect(d.outcome === 'placed' && d.domain).toBe('rack:r1');
  });
});

describe('gangOfWorkload', () => {
  it('expands pod sets × count with quantities in base units and the workload’s constraints', () => {
    const workload: ApiObject<WorkloadSpec> = {
      apiVersion: API_VERSION,
      kind: 'Workload',
      metadata: {
        name: 'train',
        tenant: 'acme',
        project: 'ml',
        uid: 'u',
        resourceVersion: '1',
        generation: 1,
        creationTimestamp: '2026-01-01T00:00:00Z',
      },
      spec: {
        queue: 'q',
        sloClass: 'training',
        podSets: [
          {
            name: 'worker',
            count: 2,
            resources: {
              cpu: '500m',
              memory: '2Gi',
              accelerators: { count: 4, models: ['H100'], minMemory: '40Gi' },
            },
          },
          { name: 'launcher', count: 1, resources: { cpu: 2, memory: '1Gi' } },
        ],
        topology: { nvlink: 'required', numaAligned: true, gangDomain: 'rack' },
        residency: { jurisdictions: ['EU'] },
        tolerations: [{ key: 'gpu', operator: 'Exists' }],
        nodeSelector: { pool: 'train' },
      },
    };
    const g = gangOfWorkload(workload);
    expect(g.id).toBe('ml/train');
    expect(g.domain).toBe('rack');
    expect(g.pods.map((p) => p.id)).toEqual([
      'ml/train/worker-0',
      'ml/train/worker-1',
      'ml/train/launcher-0',
    ]);
    expect(g.pods[0]).toMatchObject({
      tenant: 'acme',
      project: 'ml',
      cpuMilli: 500,
      memoryBytes: 2 * GIB,
      accelerators: { kind: 'whole', count: 4 },
      models: ['H100'],
      minGpuMemoryBytes: 40 * GIB,
      nvlink: 'required',
      numaAligned: true,
      residency: ['EU'],
      nodeSelector: { pool: 'train' },
    });
    expect(g.pods[2]).toMatchObject({ cpuMilli: 2000, accelerators: { kind: 'none' } });
  });
});
