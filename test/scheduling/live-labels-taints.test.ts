import { describe, expect, it } from 'vitest';
import type { Taint } from '../../src/model/fleet.js';
import type { PodRequest, Toleration } from '../../src/scheduling/placement-request.js';
import { tolerates } from '../../src/scheduling/placement-signature.js';
import { PodPreparer } from '../../src/scheduling/prepared-pod.js';
import { decideAfter, type NodeOptions, node, verdictOf, whole } from './live-builders.js';

const noSchedule: Taint = { key: 'gpu', value: 'reserved', effect: 'NoSchedule' };
const noExecute: Taint = { key: 'maint', effect: 'NoExecute' };
const preferNo: Taint = { key: 'spare', effect: 'PreferNoSchedule' };

interface TolerationCase {
  readonly rule: string;
  readonly toleration: Toleration;
  readonly taint: Taint;
  readonly want: boolean;
}

const tolerationCases: TolerationCase[] = [
  {
    rule: 'Equal with key, value and effect matches',
    toleration: { key: 'gpu', value: 'reserved', effect: 'NoSchedule' },
    taint: noSchedule,
    want: true,
  },
  {
    rule: 'Equal is the default operator',
    toleration: { key: 'gpu', value: 'reserved' },
    taint: noSchedule,
    want: true,
  },
  {
    rule: 'Equal with another value does not match',
    toleration: { key: 'gpu', value: 'other' },
    taint: noSchedule,
    want: false,
  },
  {
    rule: 'Exists with the key matches any value',
    toleration: { key: 'gpu', operator: 'Exists' },
    taint: noSchedule,
    want: true,
  },
  {
    rule: 'Exists with an empty key tolerates every taint',
    toleration: { operator: 'Exists' },
    taint: noExecute,
    want: true,
  },
  {
    rule: 'Equal with an empty key tolerates nothing',
    toleration: { operator: 'Equal' },
    taint: noExecute,
    want: false,
  },
  {
    rule: 'an effect that differs does not match',
    toleration: { key: 'gpu', operator: 'Exists', effect: 'NoExecute' },
    taint: noSchedule,
    want: false,
  },
  {
    rule: 'no effect matches every effect',
    toleration: { key: 'maint', operator: 'Exists' },
    taint: noExecute,
    want: true,
  },
  {
    rule: 'Equal with no value matches a taint with no value',
    toleration: { key: 'maint' },
    taint: noExecute,
    want: true,
  },
];

interface PlacementCase {
  readonly rule: string;
  readonly nodes: readonly [string, NodeOptions][];
  readonly pod: PodRequest;
  readonly want: string | string[];
}

const placementCases: PlacementCase[] = [
  {
    rule: 'nodeSelector: every key must match the node’s labels',
    nodes: [
      ['a', { gpus: 2, labels: { pool: 'train', zone: 'z1' } }],
      ['b', { gpus: 1, labels: { pool: 'infer', zone: 'z1' } }],
    ],
    pod: whole(1, { nodeSelector: { pool: 'train', zone: 'z1' } }),
    want: 'a',
  },
  {
    rule: 'nodeSelector: a node missing a selected label is rejected',
    nodes: [['b', { labels: { zone: 'z1' } }]],
    pod: whole(1, { nodeSelector: { pool: 'train' } }),
    want: ['node-selector-mismatch'],
  },
  {
    rule: 'NoSchedule taint without toleration: rejected',
    nodes: [['t', { taints: [noSchedule] }]],
    pod: whole(1),
    want: ['untolerated-taint'],
  },
  {
    rule: 'NoExecute taint without toleration: rejected',
    nodes: [['t', { taints: [noExecute] }]],
    pod: whole(1),
    want: ['untolerated-taint'],
  },
  {
    rule: 'a tolerated NoSchedule taint lets the pod in',
    nodes: [['t', { taints: [noSchedule] }]],
    pod: whole(1, { tolerations: [{ key: 'gpu', operator: 'Exists' }] }),
    want: 't',
  },
  {
    rule: 'PreferNoSchedule is not a filter: the pod lands there when nothing else fits',
    nodes: [['spare', { gpus: 1, taints: [preferNo] }]],
    pod: whole(1),
    want: 'spare',
  },
  {
    rule: 'PreferNoSchedule is a score penalty: between otherwise equal nodes the untainted one wins',
    nodes: [
      ['spare', { gpus: 2, taints: [preferNo] }],
      ['plain', { gpus: 2 }],
    ],
    pod: whole(1),
    want: 'plain',
  },
  {
    rule: 'a tolerated PreferNoSchedule taint carries no penalty',
    nodes: [
      ['spare', { gpus: 1, taints: [preferNo] }],
      ['plain', { gpus: 8 }],
    ],
    pod: whole(1, { tolerations: [{ key: 'spare', operator: 'Exists', effect: 'PreferNoSchedule' }] }),
    want: 'spare',
  },
  {
    rule: 'a cordoned (unschedulable) node is rejected',
    nodes: [['c', { unschedulable: true }]],
    pod: whole(1),
    want: ['node-unschedulable'],
  },
  {
    rule: 'a node that is not Ready is rejected',
    nodes: [
      ['down', { state: 'NotReady' }],
      ['unknown', { state: 'none' }],
    ],
    pod: whole(1),
    want: ['node-not-ready'],
  },
];

describe('live placement: labels, taints and tolerations', () => {
  it.each(tolerationCases)('toleration: $rule', (c) => {
    expect(tolerates(c.toleration, c.taint)).toBe(c.want);
  });

  it.each(placementCases)('$rule', (c) => {
    const { plan } = decideAfter({ nodes: c.nodes.map(([n, o]) => node(n, o)) }, [], c.pod);
    expect(verdictOf(plan)).toEqual(c.want);
  });

  it('a label or taint change is seen by the next decision without rebuilding the snapshot', () => {
    const n = node('t', { taints: [noSchedule] });
    const { engine, snapshot, plan } = decideAfter({ nodes: [n] }, [], whole(1));
    expect(plan.outcome).toBe('unschedulable');
    snapshot.updateNode({ ...n, spec: { ...n.spec, taints: [] } });
    expect(engine.decide(engine.prepare(whole(1))).outcome).toBe('fits');
    snapshot.updateNode({ ...n, spec: { ...n.spec, taints: [], unschedulable: true } });
    expect(verdictOf(engine.decide(engine.prepare(whole(1))))).toEqual(['node-unschedulable']);
  });

  it('a hardware change asks for a rebuild instead of silently diverging', () => {
    const n = node('t');
    const { snapshot } = decideAfter({ nodes: [n] }, [], whole(1));
    expect(() => snapshot.updateNode({ ...n, spec: { ...n.spec, cpu: { cores: 8, numaNodes: 2 } } })).toThrow(
      /rebuild/,
    );
  });
});

describe('constraint signatures', () => {
  it('pods with the same constraints share one signature; different selectors get their own', () => {
    const { engine } = decideAfter({ nodes: [node('a', { labels: { pool: 'p' } })] }, [], whole(1));
    const a = engine.prepare(whole(1, { nodeSelector: { pool: 'p' } }));
    const b = engine.prepare(whole(2, { nodeSelector: { pool: 'p' } }));
    const c = engine.prepare(whole(1, { nodeSelector: { pool: 'q' } }));
    expect(a.sig).toBe(b.sig);
    expect(c.sig).not.toBe(a.sig);
  });

  it('the least recently used signature is evicted past the cap, and stays valid for its pods', () => {
    const { snapshot } = decideAfter({ nodes: [node('a', { labels: { pool: 'p' } })] }, [], whole(1));
    const preparer = new PodPreparer(snapshot, 2);
    const p = preparer.prepare(whole(1, { nodeSelector: { pool: 'p' } }));
    preparer.prepare(whole(1, { nodeSelector: { pool: 'q' } }));
    preparer.prepare(whole(1, { nodeSelector: { pool: 'r' } }));
    expect(preparer.signatureCount).toBe(2);
    expect(preparer.prepare(whole(1, { nodeSelector: { pool: 'p' } })).sig).not.toBe(p.sig);
    expect(p.sig.mask[0]).toBe(1);
  });
});
