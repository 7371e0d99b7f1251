import { describe, expect, it } from 'vitest';
import type { PodRequest } from '../../src/scheduling/placement-request.js';
import { decideAfter, type NodeOptions, node, verdictOf, whole } from './live-builders.js';

interface ModelCase {
  readonly rule: string;
  readonly nodes: readonly [string, NodeOptions][];
  readonly pod: PodRequest;
  readonly want: string | string[];
}

const fleetOf = (...pairs: [string, NodeOptions][]) => pairs;

const cases: ModelCase[] = [
  {
    rule: 'no model list: any accelerator will do (BestFit takes the smaller node)',
    nodes: fleetOf(['h100', { gpus: 8, model: 'H100-SXM-80GB' }], ['l4', { gpus: 2, model: 'L4-PCIE-24GB' }]),
    pod: whole(1),
    want: 'l4',
  },
  {
    rule: 'any-of list: only nodes with one of the listed models qualify',
    nodes: fleetOf(['h100', { gpus: 8, model: 'H100-SXM-80GB' }], ['l4', { gpus: 2, model: 'L4-PCIE-24GB' }]),
    pod: whole(1, { models: ['H100-SXM-80GB', 'A100-SXM-80GB'] }),
    want: 'h100',
  },
  {
    rule: 'aliases resolve through the catalog: "H100" matches H100-SXM-80GB',
    nodes: fleetOf(['h100', { gpus: 8, model: 'H100-SXM-80GB' }], ['l4', { gpus: 2, model: 'L4-PCIE-24GB' }]),
    pod: whole(1, { models: ['H100'] }),
    want: 'h100',
  },
  {
    rule: 'aliases resolve on the node side too: a node declaring "NVIDIA L4" matches a pod asking "L4-PCIE-24GB"',
    nodes: fleetOf(['h100', { gpus: 8, model: 'H100-SXM-80GB' }], ['l4', { gpus: 2, model: 'NVIDIA L4' }]),
    pod: whole(1, { models: ['L4-PCIE-24GB'] }),
    want: 'l4',
  },
  {
    rule: 'aliases are case-insensitive (nvidia-smi and label spellings)',
    nodes: fleetOf(['h100', { gpus: 8, model: 'H100-SXM-80GB' }]),
    pod: whole(1, { models: ['nvidia h100 80gb hbm3'] }),
    want: 'h100',
  },
  {
    rule: 'no node has a listed model: every GPU node is rejected by the model filter',
    nodes: fleetOf(['h100', { gpus: 8, model: 'H100-SXM-80GB' }], ['l4', { gpus: 2, model: 'L4-PCIE-24GB' }]),
    pod: whole(1, { models: ['MI300X-OAM-192GB'] }),
    want: ['model-not-accepted'],
  },
  {
    rule: 'CPU-only nodes are rejected for having no accelerators',
    nodes: fleetOf(['cpu', { gpus: 0 }]),
    pod: whole(1),
    want: ['no-gpu'],
  },
  {
    rule: 'mixed-model node: only the GPUs of an accepted model are handed out',
    nodes: fleetOf([
      'mixed',
      { gpus: 4, models: ['L4-PCIE-24GB', 'H100-SXM-80GB', 'L4-PCIE-24GB', 'H100-SXM-80GB'] },
    ]),
    pod: whole(2, { models: ['H100'] }),
    want: 'mixed',
  },
];

describe('live placement: accelerator model any-of list with catalog aliases', () => {
  it.each(cases)('$rule', (c) => {
    const { plan } = decideAfter({ nodes: c.nodes.map(([n, o]) => node(n, o)) }, [], c.pod);
    expect(verdictOf(plan)).toEqual(c.want);
  });

  it('mixed-model node: the chosen GPUs are exactly the accepted model’s', () => {
    const { plan } = decideAfter(
      {
        nodes: [
          node('mixed', {
            gpus: 4,
            models: ['L4-PCIE-24GB', 'H100-SXM-80GB', 'L4-PCIE-24GB', 'H100-SXM-80GB'],
          }),
        ],
      },
      [],
      whole(2, { models: ['H100'] }),
    );
    expect(plan.outcome === 'fits' && plan.assignment.gpus).toEqual([1, 3]);
  });
});
