/**
 * The local provider end to end (issue 6, Done when): a fresh `strata up` registers this machine as
 * node `local` with a `default` project and queue; `strata apply -f examples/hello-workload.yaml`
 * runs as a real child process and ends Succeeded; `strata logs` shows its output. Then the lifecycle
 * through the CLI: a missing command, a maximum runtime, cancellation (running and pending), restart
 * on failure, the pod environment.
 */
import { readFileSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REPO_ROOT, Sandbox } from './support.js';

let sandbox: Sandbox;

beforeAll(async () => {
  sandbox = await Sandbox.create('local-provider');
  await sandbox.up();
});

afterAll(async () => {
  await sandbox?.dispose();
});

interface WorkloadSpecInput {
  command: readonly string[];
  cpu?: string;
  memory?: string;
  extra?: Record<string, unknown>;
}

/** A one-pod workload in the default project and queue, as YAML (JSON is YAML). */
function workload(name: string, { command, cpu = '100m', memory = '64Mi', extra = {} }: WorkloadSpecInput) {
  return JSON.stringify({
    apiVersion: 'strata.dev/v1alpha1',
    kind: 'Workload',
    metadata: { name, project: 'default' },
    spec: {
      queue: 'default',
      podSets: [{ name: 'main', count: 1, resources: { cpu, memory }, command }],
      ...extra,
    },
  });
}

async function apply(name: string, manifest: string) {
  const file = join(sandbox.root, `${name}.yaml`);
  await writeFile(file, manifest);
  const result = await sandbox.strata(['apply', '-f', file]);
  expect(result.code, result.stderr).toBe(0);
}

// biome-ignore lint/suspicious/noExplicitAny: the test reads the status JSON the CLI prints.
async function get(name: string): Promise<any> {
  const result = await sandbox.strata(['get', 'workload', name, '-p', 'default', '-o', 'json']);
  expect(result.code, result.stderr).toBe(0);
  return JSON.parse(result.stdout);
}

/** Polls until the workload's phase is one of `phases`; fails with its last status otherwise. */
// biome-ignore lint/suspicious/noExplicitAny: as above.
async function until(name: string, phases: readonly string[], timeoutMs = 30_000): Promise<any> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  while (Date.now() < deadline) {
    last = await get(name);
    const phase = (last as { status?: { phase?: string } }).status?.phase;
    if (phase !== undefined && phases.includes(phase)) return last;
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`${name} never reached ${phases.join('/')}: ${JSON.stringify(last)}`);
}

async function logs(name: string): Promise<string> {
  const result = await sandbox.strata(['logs', name]);
  expect(result.code, result.stderr).toBe(0);
  return result.stdout;
}

/** Whether a process still runs (a zombie waiting for its reaper counts as ended). */
function alive(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat[stat.lastIndexOf(')') + 2] !== 'Z';
  } catch {
    return false;
  }
}

describe('a fresh strata up', () => {
  it('registers this machine as node local, Ready, with a default queue', async () => {
    const node = await sandbox.strata(['get', 'node', 'local', '-o', 'json']);
    expect(node.code, node.stderr).toBe(0);
    const parsed = JSON.parse(node.stdout);
    expect(parsed.spec.cpu.cores).toBeGreaterThan(0);
    expect(parsed.status).toMatchObject({ state: 'Ready' });
    const queue = await sandbox.strata(['get', 'queue', 'default', '-o', 'json']);
    expect(queue.code, queue.stderr).toBe(0);
    expect(JSON.parse(queue.stdout).spec.resources[0].nominal.cpu).toBe(parsed.spec.cpu.cores);
  });

  it('runs examples/hello-workload.yaml to Succeeded and strata logs shows its output', async () => {
    const applied = await sandbox.strata(['apply', '-f', join(REPO_ROOT, 'examples', 'hello-workload.yaml')]);
    expect(applied.code, applied.stderr).toBe(0);
    const done = await until('hello', ['Succeeded', 'Failed']);
    expect(done.status).toMatchObject({ phase: 'Succeeded', reason: 'Completed' });
    expect(done.status.pods[0]).toMatchObject({ node: 'local', phase: 'Succeeded', exitCode: 0 });
    // hello, then CUDA_VISIBLE_DEVICES: empty on a node without GPUs.
    expect((await logs('hello')).split('\n')[0]).toBe('hello');
  });
});

describe('the pod lifecycle through the CLI', () => {
  it('a command that does not exist fails the workload with CommandNotFound, naming the command', async () => {
    await apply('missing', workload('missing', { command: ['strata-no-such-command'] }));
    const done = await until('missing', ['Succeeded', 'Failed']);
    expect(done.status.reason).toBe('CommandNotFound');
    expect(JSON.stringify(done.status)).toContain('strata-no-such-command');
  });

  it('maxRuntimeSeconds kills an overrunning pod: Failed, DeadlineExceeded', async () => {
    await apply(
      'overrun',
      workload('overrun', { command: ['sleep', '60'], extra: { maxRuntimeSeconds: 1 } }),
    );
    const done = await until('overrun', ['Succeeded', 'Failed']);
    expect(done.status).toMatchObject({ phase: 'Failed', reason: 'DeadlineExceeded' });
  });

  it('cancel stops a running workload: it ends Cancelled and its process is gone', async () => {
    await apply('long', workload('long', { command: ['sh', '-c', 'echo $$; sleep 60'] }));
    await until('long', ['Running']);
    let pid = Number.NaN;
    while (Number.isNaN(pid)) pid = Number.parseInt(await logs('long'), 10);
    expect(alive(pid)).toBe(true);
    const cancelled = await sandbox.strata(['cancel', 'workload', 'long', '-p', 'default']);
    expect(cancelled.code, cancelled.stderr).toBe(0);
    const done = await until('long', ['Cancelled', 'Succeeded', 'Failed']);
    expect(done.status.phase).toBe('Cancelled');
    expect(alive(pid)).toBe(false);
  });

  it('cancel ends a workload still waiting in its queue Cancelled', async () => {
    // One workload takes every CPU of the default queue (this machine), so the next one waits.
    const node = JSON.parse((await sandbox.strata(['get', 'node', 'local', '-o', 'json'])).stdout);
    await apply('hog', workload('hog', { command: ['sleep', '60'], cpu: String(node.spec.cpu.cores) }));
    await until('hog', ['Running']);
    await apply('waiting', workload('waiting', { command: ['true'] }));
    await until('waiting', ['Pending']);
    const cancelled = await sandbox.strata(['cancel', 'workload', 'waiting']);
    expect(cancelled.code, cancelled.stderr).toBe(0);
    const done = await until('waiting', ['Cancelled', 'Succeeded', 'Failed']);
    expect(done.status).toMatchObject({ phase: 'Cancelled', reason: 'Cancelled' });
    expect(done.status.admission).toBeUndefined();
    expect((await sandbox.strata(['cancel', 'workload', 'hog', '-p', 'default'])).code).toBe(0);
    await until('hog', ['Cancelled']);
  });

  it('a cancelled workload cannot be un-cancelled: 422 naming spec.cancelled', async () => {
    const file = join(sandbox.root, 'uncancel.yaml');
    await writeFile(file, workload('waiting', { command: ['true'] }));
    const result = await sandbox.strata(['apply', '-f', file]);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('spec.cancelled');
  });

  it('restartPolicy OnFailure restarts up to backoffLimit, then the workload fails', async () => {
    await apply(
      'flaky',
      workload('flaky', {
        command: ['sh', '-c', 'echo attempt; exit 3'],
        extra: { restartPolicy: { policy: 'OnFailure', backoffLimit: 2, backoffSeconds: 0.1 } },
      }),
    );
    const done = await until('flaky', ['Succeeded', 'Failed']);
    expect(done.status.phase).toBe('Failed');
    expect(done.status.pods[0]).toMatchObject({ restarts: 2, exitCode: 3 });
    expect(await logs('flaky')).toBe('attempt\nattempt\nattempt\n');
  });

  it('the pod environment names the workload, its pod and rank, and CUDA_VISIBLE_DEVICES', async () => {
    await apply('env', workload('env', { command: ['env'] }));
    await until('env', ['Succeeded']);
    const vars = new Map(
      (await logs('env'))
        .split('\n')
        .filter((l) => l.includes('='))
        .map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]),
    );
    expect(
      Object.fromEntries([...vars].filter(([k]) => k.startsWith('STRATA_') || k.includes('VISIBLE'))),
    ).toMatchObject({
      STRATA_WORKLOAD: 'env',
      STRATA_PROJECT: 'default',
      STRATA_POD: 'main-0',
      STRATA_RANK: '0',
      STRATA_WORLD_SIZE: '1',
      STRATA_NODE: 'local',
      CUDA_VISIBLE_DEVICES: '',
    });
  });

  it('strata logs --follow streams until the workload ends', async () => {
    await apply(
      'ticker',
      workload('ticker', { command: ['sh', '-c', 'for i in 1 2 3; do echo tick $i; sleep 0.3; done'] }),
    );
    const result = await sandbox.strata(['logs', 'ticker', '--follow']);
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toBe('tick 1\ntick 2\ntick 3\n');
    expect((await get('ticker')).status.phase).toBe('Succeeded');
  });
});
