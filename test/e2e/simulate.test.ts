/**
 * `strata simulate` as a user runs it: a child process with piped output, on a small slice of the
 * shared Alibaba GPU trace (one pod list, two policies, two seeds) and on tiny hand-written CSVs
 * for the error cases, which need no trace.
 */
import { existsSync } from 'node:fs';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REPO_ROOT, runProcess, Sandbox, STRATA_BIN } from './support.js';

const TRACE_DIR = '../shared/traces/alibaba-gpu-2023/csv';
const GPUSHARE100 = `${TRACE_DIR}/openb_pod_list_gpushare100.csv`;

const NODES_CSV = 'sn,cpu_milli,memory_mib,gpu,model\nn0,64000,262144,8,V100M32\nn1,32000,131072,2,T4\n';
const PODS_CSV =
  'name,cpu_milli,memory_mib,num_gpu,gpu_milli\np0,4000,8192,1,500\np1,8000,16384,1,1000\np2,16000,32768,2,1000\n';

let sandbox: Sandbox;
let nodesFile: string;
let podsFile: string;

beforeAll(async () => {
  sandbox = await Sandbox.create('simulate');
  nodesFile = join(sandbox.root, 'nodes.csv');
  podsFile = join(sandbox.root, 'pods.csv');
  await writeFile(nodesFile, NODES_CSV);
  await writeFile(podsFile, PODS_CSV);
});

afterAll(async () => {
  await sandbox?.dispose();
});

function simulate(args: readonly string[], cwd = REPO_ROOT) {
  return runProcess(process.execPath, [STRATA_BIN, 'simulate', ...args], { env: sandbox.env(), cwd });
}

describe('strata simulate on the shared trace', () => {
  let out: string;
  let first: Awaited<ReturnType<typeof simulate>>;

  beforeAll(async () => {
    if (!existsSync(join(REPO_ROOT, GPUSHARE100))) {
      throw new Error(`the Alibaba trace is expected at ${TRACE_DIR} beside the project (README, "Data")`);
    }
    out = join(sandbox.root, 'run-1');
    first = await simulate([
      '--pods',
      GPUSHARE100,
      '--policy',
      'BestFit,FGD',
      '--seeds',
      '42-43',
      '--out',
      out,
    ]);
  });

  it('exits 0 and prints a row per policy with mean ± sd at 100% and 130%', () => {
    expect(first.stderr).not.toContain('error');
    expect(first.code).toBe(0);
    expect(first.stdout).toMatch(
      /TRACE\s+POLICY\s+SEEDS\s+UNALLOC GPU % @100\s+PUBLISHED @100\s+UNALLOC GPU % @130/,
    );
    expect(first.stdout).toMatch(
      /openb_pod_list_gpushare100\s+BestFit\s+2\s+\d+\.\d\d ± \d+\.\d\d\s+-\s+\d+\.\d\d ± \d+\.\d\d/,
    );
    expect(first.stdout).toMatch(/openb_pod_list_gpushare100\s+FGD\s+2\s+\d+\.\d\d ± \d+\.\d\d/);
    expect(first.stdout).toContain('1213 GPU nodes');
  });

  it('shows progress on stderr, compact when piped', () => {
    expect(first.stderr).toContain('[1/4] openb_pod_list_gpushare100 · BestFit');
    expect(first.stderr).toContain('[3/4] openb_pod_list_gpushare100 · FGD');
    expect(first.stderr).not.toContain('\r');
  });

  it('writes summary.json, the curves CSV and the SVG chart', async () => {
    const summary = JSON.parse(await readFile(join(out, 'summary.json'), 'utf8'));
    expect(summary.map((r: { policy: string }) => r.policy)).toEqual(['BestFit', 'FGD']);
    expect(Object.keys(summary[0]).sort()).toEqual(
      [
        'policy',
        'sd100',
        'sd130',
        'seeds',
        'trace',
        'unallocatedGpuPctAt100',
        'unallocatedGpuPctAt130',
      ].sort(),
    );
    expect(summary[0]).toMatchObject({ trace: 'openb_pod_list_gpushare100', seeds: [42, 43] });
    const csv = (await readFile(join(out, 'curves-openb_pod_list_gpushare100.csv'), 'utf8'))
      .trimEnd()
      .split('\n');
    expect(csv[0]).toBe('arrived_load_pct,BestFit,FGD');
    expect(csv).toHaveLength(1 + 131);
    const svg = await readFile(join(out, 'allocation-openb_pod_list_gpushare100.svg'), 'utf8');
    expect(svg.match(/<polyline class="series"/g)).toHaveLength(2);
  });

  it('the same seeds give a byte-identical summary.json', async () => {
    const again = join(sandbox.root, 'run-2');
    const second = await simulate([
      '--pods',
      GPUSHARE100,
      '--policy',
      'BestFit,FGD',
      '--seeds',
      '42-43',
      '--out',
      again,
    ]);
    expect(second.code).toBe(0);
    expect(await readFile(join(again, 'summary.json'))).toEqual(await readFile(join(out, 'summary.json')));
  });
});

describe('strata simulate on its own CSVs', () => {
  it('runs a hand-written fleet and pod list, without a published column value', async () => {
    const out = join(sandbox.root, 'tiny');
    const r = await simulate([
      '--nodes',
      nodesFile,
      '--pods',
      podsFile,
      '--policy',
      'bestfit',
      '--seeds',
      '7',
      '--out',
      out,
    ]);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/pods\s+BestFit\s+1\s+\d+\.\d\d ± 0\.00\s+-/);
    expect(existsSync(join(out, 'allocation-pods.svg'))).toBe(true);
  });
});

describe('strata simulate rejects bad input', () => {
  it.each([
    {
      name: 'an unknown policy, listing the valid ones',
      args: ['--policy', 'BestFit,Tetris'],
      code: 2,
      message:
        "unknown policy 'Tetris'; valid policies: Random, DotProd, GpuClustering, GpuPacking, BestFit, FGD",
    },
    { name: 'a seed list that does not parse', args: ['--seeds', '51-42'], code: 2, message: '--seeds' },
    { name: 'a seed that is not a number', args: ['--seeds', 'abc'], code: 2, message: "--seeds 'abc'" },
    {
      name: 'a missing pod list, named',
      args: ['--pods', 'no-such-pods.csv'],
      code: 2,
      message: '--pods no-such-pods.csv: no such file',
    },
  ])('$name → exit $code', async ({ args, code, message }) => {
    const r = await simulate([
      '--nodes',
      nodesFile,
      '--pods',
      podsFile,
      '--out',
      join(sandbox.root, 'bad'),
      ...args,
    ]);
    expect(r.code).toBe(code);
    expect(r.stderr).toContain(message);
  });

  it('a missing node list → exit 2 naming it', async () => {
    const r = await simulate(['--nodes', 'nope.csv', '--pods', podsFile]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('--nodes nope.csv: no such file');
  });

  it('no default trace next to the working directory → exit 2 saying which flag to pass', async () => {
    const cwd = join(sandbox.root, 'elsewhere');
    await mkdir(cwd, { recursive: true });
    const r = await simulate([], cwd);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('--nodes not given and the default');
  });

  it('a malformed CSV row → exit 1 with file:line: reason', async () => {
    const broken = join(sandbox.root, 'broken.csv');
    await writeFile(broken, `${PODS_CSV}p3,4000,8192\n`);
    const r = await simulate(['--nodes', nodesFile, '--pods', broken, '--out', join(sandbox.root, 'bad')]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(new RegExp(`${broken.replaceAll('.', '\\.')}:5: .+`));
  });
});
