import { describe, expect, it } from 'vitest';
import { cluster, liveFleet, node, site, whole } from './live-builders.js';

// H100 SXM: 700 W TDP, so two GPUs draw at most 1,400 W.
const powerCases = [
  {
    rule: 'a budget over idle draw plus every GPU at TDP never binds',
    budgetKW: 1.5,
    idleWatts: 0,
    binds: false,
  },
  {
    rule: 'a budget of exactly that draw may bind (a watt kept for rounding)',
    budgetKW: 1.4,
    idleWatts: 0,
    binds: true,
  },
  { rule: 'idle draw counts against the budget', budgetKW: 1.5, idleWatts: 200, binds: true },
] as const;

describe('FleetSnapshot.powerMayReject', () => {
  it.each(powerCases)('$rule', (c) => {
    const { snapshot } = liveFleet({
      sites: [site('s1', { powerBudgetKW: c.budgetKW })],
      clusters: [cluster('c1', 's1')],
      nodes: [node('n1', { gpus: 2, idleWatts: c.idleWatts })],
    });
    expect(snapshot.powerMayReject(snapshot.indexOf('n1'))).toBe(c.binds);
  });
});

describe('PlacementEngine.fitsAny', () => {
  const fleet = () => {
    const f = liveFleet({ nodes: [node('n1', { gpus: 2 }), node('n2', { gpus: 2 })] });
    const filler = f.engine.place(f.engine.prepare(whole(2)));
    if (filler.outcome !== 'placed') throw new Error('setup pod was not placed');
    return { ...f, full: f.snapshot.indexOf(filler.node) };
  };

  it('is false when none of the given nodes passes the filters, even if another node would', () => {
    const { engine, full } = fleet();
    expect(engine.fitsAny(engine.prepare(whole(1)), [full])).toBe(false);
  });

  it('is true when one of the given nodes passes every filter, and books nothing', () => {
    const { engine, snapshot, full } = fleet();
    const free = 1 - full;
    expect(engine.fitsAny(engine.prepare(whole(2)), [full, free])).toBe(true);
    expect(snapshot.boundCount).toBe(1);
  });
});
