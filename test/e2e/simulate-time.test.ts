/**
 * `strata simulate --mode time` as a user runs it: a child process with piped output, on a
 * hand-written fleet and pod list whose answer is known, once on the shared trace's default pod
 * list (one policy, one seed), and on bad input.
 */
import { existsSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REPO_ROOT, runProcess, Sandbox, STRATA_BIN } from './support.js';

const DEFAULT_PODS = '../shared/traces/alibaba-gpu-2023/csv/openb_pod_list_default.csv';

// n1 is CPU-only: the replay uses the GPU nodes only, so the fleet is n0's 2 GPUs.
const NODES_CSV = 'sn,cpu_milli,memory_mib,gpu,model\nn0,32000,131072,2,T4\nn1,64000,262144,0,\n';
const HEADER =
  'name,cpu_milli,memory_mib,num_gpu,gpu_milli,gpu_spec,qos,pod_phase,creation_time,deletion_time,scheduled_time';
const PODS_CSV = `${[
  HEADER,
  'p0,4000,8192,1,1000,,LS,Running,0,3600,0', // one GPU for the first hour
  'p1,4000,8192,2,1000,,LS,Running,600,1800,600', // both GPUs: waits 3000 s for p0, runs 3600–4800
  'p2,4000,8192,4,1000,,LS,Running,700,800,700', // 4 GPUs: never fits
  'p3,4000,8192,1,500,,LS,Pending,,,', // no creation time: skipped
  'p4,8000,8192,0,0,,BE,Running,100,200,100', // CPU only, placed on n0
].join('\n')}\n`;

let sandbox: Sandbox;
let nodesFile: string;
let podsFile: string;

beforeAll(async () => {
  sandbox = await Sandbox.create('simulate-time');
  nodesFile = join(sandbox.root, 'nodes.csv');
  podsFile = join(sandbox.root, 'pods.csv');
  await writeFile(nodesFile, NODES_CSV);
  await writeFile(podsFile, PODS_CSV);
});

afterAll(async () => {
  await sandbox?.dispose();
});

function simulate(args: readonly string[]) {
  return runProcess(process.execPath, [STRATA_BIN, 'simulate', ...args], {
    env: sandbox.env(),
    cwd: REPO_ROOT,
  });
}

describe('strata simulate --mode time on a hand-written trace', () => {
  let out: string;
  let first: Awaited<ReturnType<typeof simulate>>;
  const args = (dir: string) => [
    '--mode',
    'time',
    '--nodes',
    nodesFile,
    '--pods',
    podsFile,
    '--policy',
    'BestFit,FGD',
    '--seeds',
    '7',
    '--out',
    dir,
  ];

  beforeAll(async () => {
    out = join(sandbox.root, 'run-1');
    first = await simulate(args(out));
  });

  it('exits 0 and prints the known figures per policy', () => {
    expect(first.stderr).not.toContain('error');
    expect(first.code).toBe(0);
    expect(first.stdout).toContain('Time replay: 1 GPU nodes (2 GPUs)');
    expect(first.stdout).toMatch(
      /TRACE\s+POLICY\s+SEEDS\s+MEAN ALLOC %\s+PEAK ALLOC %\s+DELAY MEAN S\s+DELAY P95 S\s+DELAY P99 S\s+PLACED\s+NEVER FIT\s+WAITING AT END\s+SKIPPED\s+MAKESPAN H/,
    );
    // 50% for 3600 s, then 100% for 1200 s: 62.5%; delays 0, 3000, 0; makespan 4800 s.
    for (const policy of ['BestFit', 'FGD'])
      expect(first.stdout).toMatch(
        new RegExp(
          `pods\\s+${policy}\\s+1\\s+62\\.50\\s+100\\.00\\s+1000\\.0\\s+3000\\.0\\s+3000\\.0\\s+3\\s+1\\s+0\\s+1\\s+1\\.3`,
        ),
      );
  });

  it('says which pods were skipped and which never fit', () => {
    expect(first.stdout).toContain('pods: 1 pod of 5 skipped: no creation_time');
    expect(first.stdout).toContain('pods: 1 pod never fit any node of the empty fleet (p2)');
  });

  it('shows progress on stderr, one line per run when piped', () => {
    expect(first.stderr).toContain('[1/2] pods · BestFit');
    expect(first.stderr).toContain('[2/2] pods · FGD');
    expect(first.stderr).not.toContain('\r');
  });

  it('writes time-summary.json, the allocation CSV and the SVG chart', async () => {
    const summary = JSON.parse(await readFile(join(out, 'time-summary.json'), 'utf8'));
    expect(summary.map((r: { policy: string }) => r.policy)).toEqual(['BestFit', 'FGD']);
    expect(summary[0]).toMatchObject({
      trace: 'pods',
      seeds: [7],
      meanAllocatedPct: 62.5,
      queueingDelaySec: { mean: 1000, p50: 0, p95: 3000, p99: 3000, max: 3000 },
      pods: { total: 5, placed: 3, neverFit: 1, waitingAtEnd: 0, skippedNoCreationTime: 1 },
      makespanSec: 4800,
    });
    const csv = await readFile(join(out, 'time-curves-pods.csv'), 'utf8');
    // Hourly samples: 50% at 0 h; at 1 h p0 has left and p1 holds both GPUs.
    expect(csv).toBe('time_h,BestFit,FGD\n0,50,50\n1,100,100\n');
    const svg = await readFile(join(out, 'time-allocation-pods.svg'), 'utf8');
    expect(svg.match(/<polyline class="series"/g)).toHaveLength(2);
  });

  it('the same input, policies and seeds give byte-identical files', async () => {
    const again = join(sandbox.root, 'run-2');
    const second = await simulate(args(again));
    expect(second.code).toBe(0);
    expect(second.stdout).toBe(first.stdout.replaceAll(out, again));
    for (const file of ['time-summary.json', 'time-curves-pods.csv', 'time-allocation-pods.svg'])
      expect(await readFile(join(again, file))).toEqual(await readFile(join(out, file)));
  });
});

describe('strata simulate --mode time --compress', () => {
  const args = (extra: readonly string[], dir: string) => [
    '--mode',
    'time',
    '--nodes',
    nodesFile,
    '--pods',
    podsFile,
    '--policy',
    'BestFit',
    '--seeds',
    '7',
    ...extra,
    '--out',
    dir,
  ];

  it('--compress 1 writes the same bytes as no flag', async () => {
    const plain = join(sandbox.root, 'k-plain');
    const one = join(sandbox.root, 'k-one');
    const a = await simulate(args([], plain));
    const b = await simulate(args(['--compress', '1'], one));
    expect(a.code).toBe(0);
    expect(b.code).toBe(0);
    expect(b.stdout).toBe(a.stdout.replaceAll(plain, one));
    expect(a.stdout).not.toContain('compressed');
    for (const file of ['time-summary.json', 'time-curves-pods.csv', 'time-allocation-pods.svg'])
      expect(await readFile(join(one, file))).toEqual(await readFile(join(plain, file)));
  });

  it('--compress 2 halves arrival times, keeps runtimes, and reports K and the offered load', async () => {
    const out = join(sandbox.root, 'k-2');
    const r = await simulate(args(['--compress', '2'], out));
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('arrivals compressed K× (creation_time ÷ K, runtimes kept): K = 2');
    // p1 now arrives at 300 and waits for p0 until 3600: delays 0, 3300, 0; makespan still 4800 s.
    expect(r.stdout).toMatch(
      /pods\s+BestFit\s+1\s+62\.50\s+100\.00\s+1100\.0\s+3300\.0\s+3300\.0\s+3\s+1\s+0\s+1\s+1\.3/,
    );
    // Work 1000·3600 + 2000·1200 + 4000·100 = 6.4e6 milli-GPU s over 700 s × 2000 milli-GPU, × 2.
    expect(r.stdout).toContain('pods: arrivals compressed K = 2: offered load');
    expect(r.stdout).toContain('= 9.14');
    const [record] = JSON.parse(await readFile(join(out, 'time-summary.json'), 'utf8'));
    expect(record).toMatchObject({ arrivalCompression: 2, offeredLoad: 9.1429, makespanSec: 4800 });
    expect(record.queueingDelaySec).toMatchObject({ mean: 1100, max: 3300 });
    expect(await readFile(join(out, 'time-allocation-pods.svg'), 'utf8')).toContain('arrivals compressed 2×');
  });

  it('--compress auto prints the K it chose (load 1 = K × work ÷ (span × capacity)) and is deterministic', async () => {
    const one = join(sandbox.root, 'k-auto-1');
    const two = join(sandbox.root, 'k-auto-2');
    const a = await simulate(args(['--compress', 'auto'], one));
    const b = await simulate(args(['--compress', 'AUTO'], two));
    expect(a.code).toBe(0);
    // K = 700 s × 2000 milli-GPU ÷ 6.4e6 milli-GPU s = 0.21875.
    expect(a.stdout).toContain('K = 0.2188');
    expect(a.stdout).toMatch(/pods: --compress auto chose K = 0\.2188: offered load .* = 1\.00/);
    expect(b.stdout).toBe(a.stdout.replaceAll(one, two));
    const [record] = JSON.parse(await readFile(join(one, 'time-summary.json'), 'utf8'));
    expect(record).toMatchObject({ arrivalCompression: 0.21875, offeredLoad: 1 });
    for (const file of ['time-summary.json', 'time-curves-pods.csv', 'time-allocation-pods.svg'])
      expect(await readFile(join(two, file))).toEqual(await readFile(join(one, file)));
  });

  it.each([
    { value: '0', reason: "--compress '0': must be a positive number" },
    { value: '-3', reason: "--compress '-3': must be a positive number" },
    { value: 'fast', reason: "--compress 'fast': not a number" },
    { value: '', reason: "--compress '': not a number" },
    { value: 'Infinity', reason: "--compress 'Infinity': not a number" },
    { value: '2x', reason: "--compress '2x': not a number" },
  ])('--compress=$value → exit 2 naming the flag and the reason', async ({ value, reason }) => {
    const r = await simulate(args([`--compress=${value}`], join(sandbox.root, 'k-bad')));
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(reason);
    expect(existsSync(join(sandbox.root, 'k-bad'))).toBe(false);
  });

  it('--compress in the fgd mode → exit 2: it applies to the time mode only', async () => {
    const r = await simulate(['--mode', 'fgd', '--nodes', nodesFile, '--pods', podsFile, '--compress', '5']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('--compress applies to --mode time only');
  });
});

describe('strata simulate --mode time on the shared trace', () => {
  it('replays openb_pod_list_default with BestFit, seed 42, in a few seconds', async () => {
    if (!existsSync(join(REPO_ROOT, DEFAULT_PODS)))
      throw new Error(`the Alibaba trace is expected at ${DEFAULT_PODS} beside the project (README, "Data")`);
    const out = join(sandbox.root, 'trace');
    const started = Date.now();
    const r = await simulate(['--mode', 'time', '--policy', 'BestFit', '--seeds', '42', '--out', out]);
    expect(r.code).toBe(0);
    expect(Date.now() - started).toBeLessThan(15_000);
    expect(r.stdout).toContain('1213 GPU nodes (6212 GPUs)');
    expect(r.stdout).toMatch(
      /openb_pod_list_default\s+BestFit\s+1\s+\d+\.\d\d\s+\d+\.\d\d(\s+\d+\.\d){3}\s+8152\s+0\s+0\s+0/,
    );
    expect(existsSync(join(out, 'time-curves-openb_pod_list_default.csv'))).toBe(true);
    expect(existsSync(join(out, 'time-allocation-openb_pod_list_default.svg'))).toBe(true);
  });

  it('--compress auto picks K from the trace and puts the fleet under load, in a few seconds', async () => {
    const out = join(sandbox.root, 'trace-auto');
    const started = Date.now();
    const r = await simulate([
      '--mode',
      'time',
      '--policy',
      'FGD',
      '--seeds',
      '42',
      '--compress',
      'auto',
      '--out',
      out,
    ]);
    expect(r.code).toBe(0);
    expect(Date.now() - started).toBeLessThan(15_000);
    // Σ runtime × GPU request = 1.8576e14 milli-GPU s over 12,901,761 s × 6,212,000 milli-GPU.
    expect(r.stdout).toContain('openb_pod_list_default: --compress auto chose K = 431.4438');
    const [record] = JSON.parse(await readFile(join(out, 'time-summary.json'), 'utf8'));
    expect(record).toMatchObject({ offeredLoad: 1, pods: { placed: 8152 } });
    expect(record.peakAllocatedPct).toBeGreaterThan(20); // about 1% uncompressed
  });
});

describe('strata simulate --mode rejects bad input', () => {
  it('an unknown mode → exit 2 listing the valid modes', async () => {
    const r = await simulate(['--mode', 'warp', '--nodes', nodesFile, '--pods', podsFile]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("--mode 'warp': unknown mode; valid modes: fgd, time");
  });

  it('a pod list without creation times → exit 1 saying the time replay needs them', async () => {
    const bare = join(sandbox.root, 'bare.csv');
    await writeFile(bare, 'name,cpu_milli,memory_mib,num_gpu,gpu_milli\np0,4000,8192,1,500\n');
    const r = await simulate([
      '--mode',
      'time',
      '--nodes',
      nodesFile,
      '--pods',
      bare,
      '--out',
      join(sandbox.root, 'bad'),
    ]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('creation_time');
  });
});
