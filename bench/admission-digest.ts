/**
 * A fingerprint of every decision the admission core makes on a bench shape: each cycle's
 * CycleDecisions (admissions with their placements and candidate scores, preemptions, every pending
 * workload's reason, message and position) is serialised and hashed. Two builds that print the same
 * digest decided the same things, so a performance change can be checked against the one before it:
 *
 *   node --import tsx bench/admission-digest.ts [--seed 42] [--scale 1] [--shape baseline|deep]
 *
 * Its CPU figure includes the serialisation and hashing: measure CPU with `npm run bench:admission`
 * (or `bench/admission.ts --shape baseline`), not here. Ends with one JSON line.
 */
import { createHash } from 'node:crypto';
import { parseArgs } from 'node:util';
import { arrivalRate, buildState, cohortLayout, generateWorkloads, simulate } from './admission-sim.js';

const { values: args } = parseArgs({
  options: {
    seed: { type: 'string', default: '42' },
    scale: { type: 'string', default: '1' },
    shape: { type: 'string', default: 'baseline' },
  },
});
const seed = Number(args.seed);
const scale = Number(args.scale);

function setup(shape: string) {
  if (shape === 'baseline') {
    const nodes = 500;
    const layout = cohortLayout(5, 6, nodes);
    const workloads = generateWorkloads({
      seed,
      count: Math.round(15_000 * scale),
      queues: layout.queues.map(([q]) => q),
      ratePerSecond: arrivalRate(nodes, 600),
      runtimeSeconds: [300, 900],
    });
    return { state: buildState(nodes, layout), workloads };
  }
  if (shape === 'deep') {
    const nodes = 1000;
    const layout = {
      queues: [['deep', undefined, 1, nodes * 8] as const],
      cohorts: [],
      milliPerQueue: nodes * 8000,
    };
    const workloads = generateWorkloads({
      seed,
      count: Math.round(10_000 * scale),
      queues: ['deep'],
      ratePerSecond: Number.POSITIVE_INFINITY,
      runtimeSeconds: [600, 3600],
    });
    return { state: buildState(nodes, layout), workloads };
  }
  throw new Error(`unknown shape ${shape}; one of baseline, deep`);
}

const { state, workloads } = setup(args.shape);
const hash = createHash('sha256');
let pendingEntries = 0;
const r = simulate(state, {
  workloads,
  onCycle: (d) => {
    pendingEntries += d.pending.length;
    hash.update(JSON.stringify(d));
  },
});
process.stdout.write(
  `${JSON.stringify({
    bench: 'admission-digest',
    shape: args.shape,
    seed,
    scale,
    digest: hash.digest('hex'),
    admitted: r.admitted,
    preemptions: r.preemptions,
    cycles: r.cycles,
    pendingEntries,
    wastedGpuSeconds: Math.round(r.wastedGpuSeconds),
  })}\n`,
);
