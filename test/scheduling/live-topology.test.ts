import { describe, expect, it } from 'vitest';
import type { PodRequest } from '../../src/scheduling/placement-request.js';
import { cpuOnly, decideAfter, milli, type NodeOptions, node, verdictOf, whole } from './live-builders.js';

/** Two NVLink islands of 4 GPUs (0–3, 4–7), NUMA 0 = GPUs 0–3, NUMA 1 = GPUs 4–7. */
const islands: NodeOptions = { gpus: 8, nvlink: (g) => (g < 4 ? 'isl-a' : 'isl-b') };
/** NVLink islands crossing NUMA: domain by parity, NUMA by half. */
const crossed: NodeOptions = { gpus: 8, nvlink: (g) => (g % 2 === 0 ? 'even' : 'odd') };

interface TopologyCase {
  readonly rule: string;
  readonly nodes: readonly [string, NodeOptions][];
  readonly before?: readonly PodRequest[];
  readonly pod: PodRequest;
  readonly want: string | string[];
  readonly gpus?: number[];
  readonly numa?: number;
}

const cases: TopologyCase[] = [
  {
    rule: 'nvlink required: all GPUs come from one NVLink domain',
    nodes: [['n1', islands]],
    before: [whole(2)],
    pod: whole(4, { nvlink: 'required' }),
    want: 'n1',
    gpus: [4, 5, 6, 7],
  },
  {
    rule: 'nvlink required: 4 free GPUs split 2 + 2 over two domains do not fit',
    // NUMA 0 = GPUs 0, 1, 4, 5: two aligned pairs leave GPUs 2, 3 (domain a) and 6, 7 (domain b).
    nodes: [['n1', { ...islands, gpuNuma: (g) => (g % 4 < 2 ? 0 : 1) }]],
    before: [whole(2, { numaAligned: true }), whole(2, { numaAligned: true })],
    pod: whole(4, { nvlink: 'required' }),
    want: ['no-nvlink-domain'],
  },
  {
    rule: 'nvlink required: free GPUs without any NVLink domain do not qualify',
    nodes: [['n1', { gpus: 4, nvlink: () => undefined }]],
    pod: whole(2, { nvlink: 'required' }),
    want: ['no-nvlink-domain'],
  },
  {
    rule: 'nvlink required: best fit takes the smallest domain that holds the pod',
    nodes: [['n1', islands]],
    before: [whole(1)],
    pod: whole(2, { nvlink: 'required' }),
    want: 'n1',
    gpus: [1, 2],
  },
  {
    rule: 'nvlink none: GPUs may span domains',
    nodes: [['n1', crossed]],
    pod: whole(2),
    want: 'n1',
    gpus: [0, 1],
  },
  {
    rule: 'nvlink preferred: takes one domain when there is one with room',
    nodes: [['n1', crossed]],
    pod: whole(2, { nvlink: 'preferred' }),
    want: 'n1',
    gpus: [0, 2],
  },
  {
    rule: 'nvlink preferred: falls back to spanning domains rather than failing',
    nodes: [['n1', { gpus: 2, nvlink: (g) => `d${g}` }]],
    pod: whole(2, { nvlink: 'preferred' }),
    want: 'n1',
    gpus: [0, 1],
  },
  {
    rule: 'nvlink preferred: a node where the GPUs share a domain beats one where they would not',
    nodes: [
      ['split', { gpus: 2, nvlink: (g) => `d${g}` }],
      ['joined', { gpus: 2 }],
    ],
    pod: whole(2, { nvlink: 'preferred' }),
    want: 'joined',
  },
  {
    rule: 'numa aligned: GPUs, CPU and NIC on one NUMA node',
    nodes: [['n1', { cores: 64 }]],
    before: [whole(1)],
    pod: whole(4, { numaAligned: true, cpuMilli: 8000 }),
    want: 'n1',
    gpus: [4, 5, 6, 7],
    numa: 1,
  },
  {
    rule: 'numa aligned: CPU must fit in the chosen NUMA node’s free cores',
    nodes: [['n1', { cores: 64 }]],
    pod: whole(2, { numaAligned: true, cpuMilli: 40_000 }),
    want: ['no-numa-node'],
  },
  {
    rule: 'numa aligned: a NUMA node without a NIC cannot host the pod (when the node has NICs)',
    nodes: [['n1', { nics: [[0, 'rail-0']] }]],
    before: [whole(4, { numaAligned: true })],
    pod: whole(4, { numaAligned: true }),
    want: ['no-numa-node'],
  },
  {
    rule: 'numa aligned: the pod goes to the NUMA node that still has all the GPUs it needs',
    nodes: [['n1', { gpus: 8 }]],
    before: [whole(2, { numaAligned: true }), whole(2, { numaAligned: true })],
    pod: whole(4, { numaAligned: true }),
    want: 'n1',
    gpus: [4, 5, 6, 7],
  },
  {
    rule: 'numa aligned and nvlink required together: one domain inside one NUMA node',
    nodes: [['n1', crossed]],
    pod: whole(2, { numaAligned: true, nvlink: 'required' }),
    want: 'n1',
    gpus: [0, 2],
    numa: 0,
  },
  {
    rule: 'numa aligned fraction: the GPU’s NUMA node must hold the CPU',
    nodes: [['n1', { gpus: 2, cores: 16 }]],
    before: [cpuOnly(8000, { numaAligned: true })],
    pod: milli(500, { numaAligned: true, cpuMilli: 8000 }),
    want: 'n1',
  },
  {
    rule: 'numa aligned CPU-only pod: the cores of one NUMA node must suffice',
    nodes: [['n1', { gpus: 0, cores: 16 }]],
    pod: cpuOnly(9000, { numaAligned: true }),
    want: ['no-numa-node'],
  },
];

describe('live placement: GPU topology (NVLink domains, NUMA alignment)', () => {
  it.each(cases)('$rule', (c) => {
    const { plan } = decideAfter({ nodes: c.nodes.map(([n, o]) => node(n, o)) }, c.before ?? [], c.pod);
    expect(verdictOf(plan)).toEqual(c.want);
    if (plan.outcome === 'fits' && c.gpus) expect(plan.assignment.gpus).toEqual(c.gpus);
    if (plan.outcome === 'fits' && c.numa !== undefined) expect(plan.assignment.numa).toBe(c.numa);
  });

  it('non-aligned pods take CPU from their first GPU’s NUMA node first', () => {
    const { engine } = decideAfter({ nodes: [node('n1', { cores: 16 })] }, [], whole(1));
    const d = engine.place(engine.prepare(whole(1, { cpuMilli: 10_000 })));
    expect(d.outcome === 'placed' && d.binding.cpuByNuma).toEqual([8000, 2000]);
  });
});
