import { describe, expect, it } from 'vitest';
import { arrivedLoadGrid, runFgdExperiment, sampleOnGrid } from '../../src/sim/fgd-experiment.js';
import { runFgdMethodologySeeds } from '../../src/sim/fgd-methodology.js';
import { renderCurvesCsv } from '../../src/sim/report-curves.js';
import { renderSummaryJson, summaryRecords } from '../../src/sim/report-summary.js';
import { strataVersusFgdLines, summaryTableRows } from '../../src/sim/report-table.js';
import { gpuNode, sharedPod, wholeGpuPod } from '../scheduling/gpu-builders.js';

const nodes = [gpuNode('a', { gpuCount: 8 }), gpuNode('b', { gpuCount: 4 }), gpuNode('c', { gpuCount: 2 })];
const pods = [sharedPod(250), sharedPod(500), wholeGpuPod(1), wholeGpuPod(2)];

describe('arrivedLoadGrid', () => {
  it('runs from 0 to the ceiling in steps', () => {
    expect(Array.from(arrivedLoadGrid(130, 1))).toHaveLength(131);
    expect(Array.from(arrivedLoadGrid(130, 10))).toEqual([
      0, 10, 20, 30, 40, 50, 60, 70, 80, 90, 100, 110, 120, 130,
    ]);
  });
  it('rejects a step that is not positive', () => {
    expect(() => arrivedLoadGrid(130, 0)).toThrow(RangeError);
  });
});

describe('sampleOnGrid', () => {
  it('takes the value recorded when the load first reaches each grid point; 0 before any pod', () => {
    const arrived = Float64Array.from([15, 30, 45, 60]);
    const alloc = Float64Array.from([15, 30, 40, 41]);
    const grid = Float64Array.from([0, 10, 15, 20, 45, 50, 60]);
    expect(Array.from(sampleOnGrid(arrived, alloc, grid))).toEqual([0, 15, 15, 30, 40, 41, 41]);
  });
});

describe('runFgdExperiment', () => {
  const options = {
    nodes,
    traces: [
      { name: 'small', pods },
      { name: 'whole', pods: [wholeGpuPod(1), wholeGpuPod(4)] },
    ],
    policies: ['BestFit', 'FGD'],
    seeds: [42, 43, 44],
  };

  it('agrees with runFgdMethodologySeeds on the two figures', () => {
    const result = runFgdExperiment(options);
    for (const o of result.outcomes) {
      const trace = options.traces.find((t) => t.name === o.trace)!;
      const direct = runFgdMethodologySeeds({
        nodes,
        pods: trace.pods,
        policy: o.policy,
        seeds: options.seeds,
      });
      expect(o.unallocatedGpuPctAt100).toBeCloseTo(direct.unallocatedGpuPctAt100, 10);
      expect(o.unallocatedGpuPctAt130).toBeCloseTo(direct.unallocatedGpuPctAt130, 10);
      expect(o.sd100).toBeCloseTo(direct.sd100, 10);
    }
  });

  it('reports every run, in trace × policy × seed order, before running it', () => {
    const steps: string[] = [];
    runFgdExperiment({
      ...options,
      onRunStart: (s) => steps.push(`${s.index}/${s.total} ${s.trace} ${s.policy} ${s.seed}`),
    });
    expect(steps).toHaveLength(12);
    expect(steps[0]).toBe('1/12 small BestFit 42');
    expect(steps[4]).toBe('5/12 small FGD 43');
    expect(steps[11]).toBe('12/12 whole FGD 44');
  });

  it('curves start at 0, never fall (nothing departs), stay within 100% and have one point per grid step', () => {
    const result = runFgdExperiment(options);
    expect(result.gridPct).toHaveLength(131);
    for (const o of result.outcomes) {
      expect(o.allocatedPct[0]).toBe(0);
      o.allocatedPct.forEach((v, g) => {
        expect(v).toBeLessThanOrEqual(100);
        if (g > 0) expect(v).toBeGreaterThanOrEqual(o.allocatedPct[g - 1]!);
      });
      // at 130% arrived the curve is the mean allocation at the end of the runs
      expect(100 - o.allocatedPct[130]!).toBeCloseTo(o.unallocatedGpuPctAt130, 10);
    }
  });

  it('the same seeds give a byte-identical summary.json and curves', () => {
    const a = runFgdExperiment(options);
    const b = runFgdExperiment(options);
    expect(renderSummaryJson(summaryRecords(a.outcomes))).toBe(renderSummaryJson(summaryRecords(b.outcomes)));
    expect(renderCurvesCsv(a.gridPct, a.outcomes)).toBe(renderCurvesCsv(b.gridPct, b.outcomes));
  });
});

describe('report files', () => {
  const outcome = (policy: string, trace = 'openb_pod_list_default') => ({
    trace,
    policy,
    seeds: [42, 43],
    unallocatedGpuPctAt100: 4.123456,
    unallocatedGpuPctAt130: 3.5,
    sd100: 0.25,
    sd130: 0.125,
    allocatedPct: Float64Array.from([0, 50, 95.876544]),
  });

  it('summary.json is an array of {trace, policy, seeds, figures} rounded to 4 decimals', () => {
    const json = JSON.parse(renderSummaryJson(summaryRecords([outcome('FGD')])));
    expect(json).toEqual([
      {
        trace: 'openb_pod_list_default',
        policy: 'FGD',
        seeds: [42, 43],
        unallocatedGpuPctAt100: 4.1235,
        unallocatedGpuPctAt130: 3.5,
        sd100: 0.25,
        sd130: 0.125,
      },
    ]);
  });

  it('the curves CSV has the arrived load then one column per policy', () => {
    const csv = renderCurvesCsv(Float64Array.from([0, 65, 130]), [outcome('BestFit'), outcome('FGD')]);
    expect(csv).toBe('arrived_load_pct,BestFit,FGD\n0,0,0\n65,50,50\n130,95.8765,95.8765\n');
  });

  it('the CSV refuses a curve that does not match the grid', () => {
    expect(() => renderCurvesCsv(Float64Array.from([0, 1]), [outcome('FGD')])).toThrow(RangeError);
  });

  it.each([
    { trace: 'openb_pod_list_default', policy: 'FGD', published: '4.77' },
    { trace: 'openb_pod_list_default', policy: 'BestFit', published: '7.14' },
    { trace: 'openb_pod_list_gpushare100', policy: 'FGD', published: '-' },
  ])('the table shows the published figure only for the default pod list ($trace, $policy)', ({
    trace,
    policy,
    published,
  }) => {
    expect(summaryTableRows([outcome(policy, trace)])).toEqual([
      [trace, policy, '2', '4.12 ± 0.25', published, '3.50 ± 0.13'],
    ]);
  });

  it('says, per pod list with both, how far strata lands from FGD', () => {
    const at = (policy: string, trace: string, u100: number, u130: number) => ({
      ...outcome(policy, trace),
      unallocatedGpuPctAt100: u100,
      unallocatedGpuPctAt130: u130,
    });
    expect(
      strataVersusFgdLines([
        at('FGD', 'a', 4.88, 4.71),
        at('strata', 'a', 4.31, 4.21),
        at('FGD', 'b', 3.0, 2.9),
        at('strata', 'b', 3.25, 3.0),
        at('strata', 'only-strata', 1, 1),
      ]),
    ).toEqual([
      'a: strata leaves 0.57 points fewer GPU unallocated than FGD @100 (−0.57), −0.50 @130',
      'b: strata leaves 0.25 points MORE GPU unallocated than FGD @100 (+0.25), +0.10 @130',
    ]);
  });
});
