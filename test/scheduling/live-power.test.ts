import { describe, expect, it } from 'vitest';
import type { PodRequest } from '../../src/scheduling/placement-request.js';
import { cluster, cpuOnly, decideAfter, mig, milli, node, site, verdictOf, whole } from './live-builders.js';

// H100 SXM: 700 W TDP; A100 SXM 80GB: 400 W.
interface PowerCase {
  readonly rule: string;
  readonly budgetKW: number;
  readonly idleWatts?: number;
  readonly before?: readonly PodRequest[];
  readonly pod: PodRequest;
  readonly model?: string;
  readonly want: string | string[];
}

const cases: PowerCase[] = [
  { rule: 'a whole GPU adds its TDP: 700 W fits under 1 kW', budgetKW: 1, pod: whole(1), want: 'n1' },
  {
    rule: 'two whole H100s (1,400 W) do not fit under 1 kW',
    budgetKW: 1,
    pod: whole(2),
    want: ['site-power-budget'],
  },
  {
    rule: 'node idle draw counts against the budget',
    budgetKW: 1,
    idleWatts: 400,
    pod: whole(1),
    want: ['site-power-budget'],
  },
  {
    rule: 'bound pods count: a second GPU over the budget is refused',
    budgetKW: 1,
    before: [whole(1)],
    pod: whole(1),
    want: ['site-power-budget'],
  },
  {
    rule: 'a fraction adds its share of the TDP (0.5 × 700 W)',
    budgetKW: 1.1,
    before: [whole(1)],
    pod: milli(500),
    want: 'n1',
  },
  {
    rule: 'a MIG slice adds memory slices / 8 of the TDP (3g.40gb: 4/8 × 400 W)',
    budgetKW: 0.2,
    model: 'A100-SXM-80GB',
    pod: mig('3g.40gb'),
    want: 'n1',
  },
  {
    rule: 'CPU-only pods add no GPU draw and are not held back by power',
    budgetKW: 0.1,
    idleWatts: 500,
    pod: cpuOnly(1000),
    want: 'n1',
  },
];

describe('live placement: site power headroom', () => {
  it.each(cases)('$rule', (c) => {
    const mode = c.model ? { model: c.model, mig: { 0: [] } } : {};
    const { plan } = decideAfter(
      {
        sites: [site('s1', { powerBudgetKW: c.budgetKW })],
        clusters: [cluster('c1', 's1')],
        nodes: [node('n1', { gpus: 2, idleWatts: c.idleWatts ?? 0, ...mode })],
      },
      c.before ?? [],
      c.pod,
    );
    expect(verdictOf(plan)).toEqual(c.want);
  });

  it('the site draw estimate rises on bind and falls back exactly on release', () => {
    const { engine, snapshot } = decideAfter(
      {
        sites: [site('s1', { powerBudgetKW: 10 })],
        clusters: [cluster('c1', 's1')],
        nodes: [node('n1', { idleWatts: 3000 })],
      },
      [],
      whole(1),
    );
    expect(snapshot.siteDrawW[0]).toBe(3000);
    const d = engine.place(engine.prepare(whole(2)));
    expect(d.outcome === 'placed' && d.binding.drawWatts).toBe(1400);
    expect(snapshot.siteDrawW[0]).toBe(4400);
    engine.release(d.pod);
    expect(snapshot.siteDrawW[0]).toBe(3000);
  });

  it('a budget the idle draw alone exceeds makes GPU pods never fit', () => {
    const { plan } = decideAfter(
      {
        sites: [site('s1', { powerBudgetKW: 1 })],
        clusters: [cluster('c1', 's1')],
        nodes: [node('n1', { idleWatts: 900 })],
      },
      [],
      whole(1),
    );
    expect(plan.outcome === 'unschedulable' && plan.verdict).toBe('never-fits');
  });
});
