import { existsSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { basename, join } from 'node:path';
import type { Command } from 'commander';
import { GPU_POLICY_NAMES, UnknownPolicyError } from '../../scheduling/gpu-policies.js';
import { type FgdRunStep, type FgdTrace, runFgdExperiment } from '../../sim/fgd-experiment.js';
import { DEFAULT_SEEDS } from '../../sim/fgd-methodology.js';
import { allocationChartSvg } from '../../sim/report-chart.js';
import { renderCurvesCsv } from '../../sim/report-curves.js';
import { renderSummaryJson, summaryRecords } from '../../sim/report-summary.js';
import { SUMMARY_TABLE_HEADERS, strataVersusFgdLines, summaryTableRows } from '../../sim/report-table.js';
import { formatSeedList, parseSeedList, SeedListError } from '../../sim/seeds.js';
import { runTimeExperiment, type TimeTrace } from '../../sim/time-replay-experiment.js';
import {
  compressionHeading,
  formatCompression,
  renderTimeCurvesCsv,
  renderTimeSummaryJson,
  TIME_TABLE_HEADERS,
  timeAllocationChartSvg,
  timeSummaryRecords,
  timeTableRows,
} from '../../sim/time-replay-report.js';
import { readNodeListCsv, readPodListCsv, type TraceNode } from '../../sim/trace-csv.js';
import { renderTable, UsageError } from '../output.js';

/** Where the shared Alibaba GPU trace 2023 lives, relative to the working directory. */
const TRACE_DIR = '../shared/traces/alibaba-gpu-2023/csv';
const DEFAULT_NODES = join(TRACE_DIR, 'openb_node_list_gpu_node.csv');
const DEFAULT_PODS = join(TRACE_DIR, 'openb_pod_list_default.csv');

/**
 * `fgd`: the FGD methodology (sampled arrivals that never depart, one attempt per pod);
 * `time`: the time replay (creation and deletion times, a FIFO queue with backfill).
 */
export const SIMULATE_MODES = ['fgd', 'time'] as const;
type SimulateMode = (typeof SIMULATE_MODES)[number];

interface SimulateFlags {
  mode: string;
  nodes?: string;
  pods?: string;
  policy?: string;
  seeds: string;
  out: string;
  compress?: string;
}

export function registerSimulate(program: Command): void {
  program
    .command('simulate')
    .description(
      "Replay Alibaba GPU trace pod lists in the FGD methodology (Weng et al., ATC'23) or on the trace's own clock, and compare placement policies",
    )
    .option(
      '--mode <mode>',
      `${SIMULATE_MODES.join(' or ')}: fgd = sampled arrivals, nothing departs (FGD methodology); time = pods arrive at creation_time and run for deletion − creation, waiting in a FIFO queue with backfill`,
      'fgd',
    )
    .option('--nodes <file>', `node list CSV (default ${DEFAULT_NODES})`)
    .option('--pods <files>', `pod list CSV(s), comma-separated (default ${DEFAULT_PODS})`)
    .option('--policy <names>', `policies, comma-separated (default all: ${GPU_POLICY_NAMES.join(',')})`)
    .option('--seeds <list>', 'seeds: a range 42-51, a list 42,43 or one seed', formatSeedList(DEFAULT_SEEDS))
    .option(
      '--compress <K|auto>',
      'time mode: arrival compression, creation_time ÷ K with runtimes kept (K× the arrival rate; default 1, the trace as it is); auto = the K whose offered load Σ runtime × GPU request ÷ (arrival span ÷ K × GPU capacity) is 1',
    )
    .option(
      '--out <dir>',
      'directory for summary.json, curves-*.csv and allocation-*.svg (time mode: time-summary.json, time-curves-*.csv, time-allocation-*.svg)',
      'sim-out',
    )
    .action(async (flags: SimulateFlags) => {
      const mode = modeFlag(flags.mode);
      const compression = compressFlag(flags.compress);
      if (mode !== 'time' && flags.compress !== undefined)
        throw new UsageError('--compress applies to --mode time only');
      const seeds = seedsFlag(flags.seeds);
      const policies = policiesFlag(flags.policy);
      const nodeFile = inputFile('--nodes', flags.nodes, DEFAULT_NODES);
      const podFiles = (flags.pods === undefined ? [undefined] : splitList('--pods', flags.pods)).map((f) =>
        inputFile('--pods', f, DEFAULT_PODS),
      );
      const names = podFiles.map(traceName);
      const duplicate = names.find((name, i) => names.indexOf(name) !== i);
      if (duplicate !== undefined)
        throw new UsageError(
          `--pods: two pod lists are named '${duplicate}'; their output files would collide`,
        );

      const nodes = await readNodeListCsv(nodeFile);
      const traces: (FgdTrace & TimeTrace)[] = [];
      for (const [i, file] of podFiles.entries())
        traces.push({ name: names[i]!, pods: await readPodListCsv(file) });

      if (mode === 'time') {
        await simulateTime({ nodes, nodeFile, traces, policies, seeds, compression, out: flags.out });
        return;
      }
      const gpuNodes = nodes.filter((n) => n.gpuCount > 0);
      const gpus = gpuNodes.reduce((sum, n) => sum + n.gpuCount, 0);
      const progress = progressReporter(process.stderr);
      const result = runFgdExperiment({ nodes, traces, policies, seeds, onRunStart: progress.step });
      progress.end();

      console.log(
        `FGD methodology: ${gpuNodes.length} GPU nodes (${gpus} GPUs) from ${nodeFile}; seeds ${formatSeedList(seeds)}; unallocated GPU % = mean ± sd over seeds`,
      );
      console.log(renderTable([...SUMMARY_TABLE_HEADERS], summaryTableRows(result.outcomes)));
      const versus = strataVersusFgdLines(result.outcomes);
      if (versus.length > 0) console.log(`\n${versus.join('\n')}`);

      await mkdir(flags.out, { recursive: true });
      const written = ['summary.json'];
      await writeFile(join(flags.out, 'summary.json'), renderSummaryJson(summaryRecords(result.outcomes)));
      for (const trace of traces) {
        const outcomes = result.outcomes.filter((o) => o.trace === trace.name);
        const csv = `curves-${trace.name}.csv`;
        const svg = `allocation-${trace.name}.svg`;
        await writeFile(join(flags.out, csv), renderCurvesCsv(result.gridPct, outcomes));
        await writeFile(join(flags.out, svg), allocationChartSvg(trace.name, result.gridPct, outcomes));
        written.push(csv, svg);
      }
      console.log(`\nWrote ${written.join(', ')} to ${flags.out}/`);
    });
}

/**
 * The time replay's outputs. Like the FGD mode it replays on the GPU nodes only (CPU-only pods are
 * placed there too); see src/sim/time-replay.ts for the clock and queue rules.
 */
async function simulateTime(input: {
  nodes: readonly TraceNode[];
  nodeFile: string;
  traces: readonly TimeTrace[];
  policies: readonly string[];
  seeds: readonly number[];
  compression: number | 'auto';
  out: string;
}): Promise<void> {
  const { nodes, nodeFile, traces, policies, seeds, compression, out } = input;
  const gpuNodes = nodes.filter((n) => n.gpuCount > 0);
  const gpus = gpuNodes.reduce((sum, n) => sum + n.gpuCount, 0);
  const progress = progressReporter(process.stderr);
  const result = runTimeExperiment({
    nodes,
    traces,
    policies,
    seeds,
    arrivalCompression: compression,
    onRunStart: progress.step,
  });
  progress.end();

  console.log(
    `Time replay: ${gpuNodes.length} GPU nodes (${gpus} GPUs) from ${nodeFile}; seeds ${formatSeedList(seeds)}; pods arrive at creation_time and run for deletion − creation, waiting in a FIFO queue with backfill; figures = mean over seeds, delays in seconds of trace time${compressionHeading(result.outcomes)}`,
  );
  console.log(renderTable([...TIME_TABLE_HEADERS], timeTableRows(result.outcomes)));
  for (const trace of traces) {
    const first = result.outcomes.find((o) => o.trace === trace.name);
    if (first === undefined) continue;
    const notes: string[] = [];
    if (compression === 'auto')
      notes.push(
        `--compress auto chose K = ${formatCompression(first.arrivalCompression)}: offered load Σ runtime × GPU request ÷ (arrival span ÷ K × GPU capacity) = ${first.offeredLoad.toFixed(2)}`,
      );
    else if (first.arrivalCompression !== 1)
      notes.push(
        `arrivals compressed K = ${formatCompression(first.arrivalCompression)}: offered load Σ runtime × GPU request ÷ (arrival span ÷ K × GPU capacity) = ${first.offeredLoad.toFixed(2)}`,
      );
    if (first.podsSkipped > 0)
      notes.push(`${pods(first.podsSkipped)} of ${first.podsTotal} skipped: no creation_time`);
    if (first.podsNeverFit > 0) {
      const shown = first.neverFitPods.slice(0, 5).join(', ');
      const more = first.neverFitPods.length > 5 ? ', …' : '';
      notes.push(`${pods(first.podsNeverFit)} never fit any node of the empty fleet (${shown}${more})`);
    }
    if (first.podsOpenEnded > 0)
      notes.push(`${pods(first.podsOpenEnded)} without deletion_time never depart once placed`);
    for (const note of notes) console.log(`${trace.name}: ${note}`);
  }

  await mkdir(out, { recursive: true });
  const written = ['time-summary.json'];
  await writeFile(join(out, 'time-summary.json'), renderTimeSummaryJson(timeSummaryRecords(result.outcomes)));
  for (const trace of traces) {
    const outcomes = result.outcomes.filter((o) => o.trace === trace.name);
    const csv = `time-curves-${trace.name}.csv`;
    const svg = `time-allocation-${trace.name}.svg`;
    await writeFile(join(out, csv), renderTimeCurvesCsv(outcomes));
    await writeFile(join(out, svg), timeAllocationChartSvg(trace.name, outcomes));
    written.push(csv, svg);
  }
  console.log(`\nWrote ${written.join(', ')} to ${out}/`);
}

function pods(count: number): string {
  return `${count} pod${count === 1 ? '' : 's'}`;
}

function modeFlag(value: string): SimulateMode {
  const mode = SIMULATE_MODES.find((m) => m === value.toLowerCase());
  if (mode === undefined)
    throw new UsageError(`--mode '${value}': unknown mode; valid modes: ${SIMULATE_MODES.join(', ')}`);
  return mode;
}

/** `--compress`: a positive decimal number K, or `auto`; absent = 1 (the trace's own timing). */
function compressFlag(value: string | undefined): number | 'auto' {
  if (value === undefined) return 1;
  const text = value.trim();
  if (text.toLowerCase() === 'auto') return 'auto';
  if (!/^[+-]?(\d+\.?\d*|\.\d+)(e[+-]?\d+)?$/i.test(text))
    throw new UsageError(`--compress '${value}': not a number; use a positive number K such as 50, or auto`);
  const k = Number(text);
  if (!(k > 0) || !Number.isFinite(k))
    throw new UsageError(
      `--compress '${value}': must be a positive number (arrival = creation_time ÷ K); use e.g. 50, or auto`,
    );
  return k;
}

function splitList(flag: string, value: string): string[] {
  const items = value.split(',').map((s) => s.trim());
  if (items.some((s) => s === '')) throw new UsageError(`${flag} '${value}': empty item in the list`);
  return items;
}

function seedsFlag(value: string): number[] {
  try {
    return parseSeedList(value);
  } catch (error) {
    if (error instanceof SeedListError)
      throw new UsageError(`--seeds ${error.message}; use e.g. 42-51, 42,43 or 7`);
    throw error;
  }
}

/** Names are matched case-insensitively and reported in their canonical spelling. */
function policiesFlag(value: string | undefined): string[] {
  if (value === undefined) return [...GPU_POLICY_NAMES];
  const out: string[] = [];
  for (const item of splitList('--policy', value)) {
    const canonical = GPU_POLICY_NAMES.find((p) => p.toLowerCase() === item.toLowerCase());
    if (canonical === undefined) throw new UsageError(`--policy: ${new UnknownPolicyError(item).message}`);
    if (!out.includes(canonical)) out.push(canonical);
  }
  return out;
}

function inputFile(flag: string, given: string | undefined, fallback: string): string {
  const file = given ?? fallback;
  if (existsSync(file)) return file;
  throw new UsageError(
    given === undefined
      ? `${flag} not given and the default ${fallback} does not exist here; pass ${flag} FILE`
      : `${flag} ${file}: no such file`,
  );
}

/** `../x/openb_pod_list_default.csv` → `openb_pod_list_default`; also used in output file names. */
function traceName(file: string): string {
  return basename(file).replace(/\.csv$/i, '');
}

/**
 * On a terminal, one line rewritten per run (`[12/60] trace · FGD · seed 45`); otherwise (a pipe,
 * a CI log) one plain line per pod list × policy, so logs stay short.
 */
function progressReporter(stream: NodeJS.WriteStream): { step: (s: FgdRunStep) => void; end: () => void } {
  const tty = stream.isTTY === true;
  let firstSeed: number | undefined;
  return {
    step(s) {
      if (tty) {
        stream.write(`\r\x1b[K[${s.index}/${s.total}] ${s.trace} · ${s.policy} · seed ${s.seed}`);
        return;
      }
      firstSeed ??= s.seed;
      if (s.seed === firstSeed) stream.write(`[${s.index}/${s.total}] ${s.trace} · ${s.policy}\n`);
    },
    end() {
      if (tty) stream.write('\r\x1b[K');
    },
  };
}
