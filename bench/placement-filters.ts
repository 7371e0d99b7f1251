/**
 * Live placement micro-benchmark (issue 4 item 6), a thin CLI over measureLivePlacement
 * (bench/live-placement-bench.ts, which describes the method): decisions per second and p50 / p99
 * decision latency of the live placement engine — BestFit with every filter on — on a synthetic
 * fleet of 8-GPU nodes (default 5,000) pre-filled to a GPU occupancy (default 50%), then gangs of
 * 4 × 8 GPUs inside one rack. Goal: ≥ 50,000 decisions/s.
 *
 *   npm run bench:placement-filters -- [--seed 42] [--nodes 5000] [--decisions 20000] [--warmup 2000]
 *     [--occupancy 0.5] [--by-template]   (mean latency per pod template, to stderr)
 *
 * A readable summary goes to stdout; the last line is one JSON object.
 */
import { parseArgs } from 'node:util';
import { LIVE_PLACEMENT_GOAL_PER_SECOND, measureLivePlacement } from './live-placement-bench.js';

const { values: args } = parseArgs({
  options: {
    seed: { type: 'string', default: '42' },
    nodes: { type: 'string', default: '5000' },
    decisions: { type: 'string', default: '20000' },
    warmup: { type: 'string', default: '2000' },
    occupancy: { type: 'string', default: '0.5' },
    'by-template': { type: 'boolean', default: false },
  },
});
const GOAL = LIVE_PLACEMENT_GOAL_PER_SECOND;

const { templates, ...f } = measureLivePlacement({
  seed: Number(args.seed),
  nodes: Number(args.nodes),
  occupancy: Number(args.occupancy),
  decisions: Number(args.decisions),
  warmup: Number(args.warmup),
  byTemplate: args['by-template'],
});
const figures = {
  bench: 'placement-filters',
  ...f,
  goalDecisionsPerSecond: GOAL,
  goalMet: f.decisionsPerSecond >= GOAL,
  node: process.version,
};
console.log(
  `live placement, BestFit + every filter, ${f.nodes} nodes at ${Math.round(f.occupancyAtStart * 1000) / 10}% GPU occupancy ` +
    `(target ${f.occupancyTarget * 100}%): ` +
    `${f.decisionsPerSecond.toLocaleString('en')} decisions/s, p50 ${f.p50Us} µs, p99 ${f.p99Us} µs, ` +
    `success ${Math.round(f.successRate * 1000) / 10}%, prepare ${f.prepareUsMean} µs/pod (goal ≥ ${GOAL.toLocaleString('en')}/s: ${figures.goalMet ? 'met' : 'not met'})`,
);
for (const t of templates ?? [])
  console.error(`${t.decisions} decisions, mean ${t.meanUs} µs: ${t.template}`);
console.log(
  `gangs of 4 × 8 GPUs in one rack: ${f.gangsPerSecond.toLocaleString('en')} gangs/s, p50 ${f.gangP50Us} µs, ` +
    `p99 ${f.gangP99Us} µs, placed ${f.gangsPlaced} of ${f.gangs}`,
);
console.log(JSON.stringify(figures));
