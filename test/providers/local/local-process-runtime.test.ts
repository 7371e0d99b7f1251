/**
 * The local provider's runtime with real child processes, real process groups and real log files.
 */
import { readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { LocalProcessRuntime } from '../../../src/providers/local/local-process-runtime.js';
import { PodLogStore } from '../../../src/providers/local/pod-log-store.js';
import type { PodLaunch, PodReport } from '../../../src/providers/pod-launch.js';
import { systemClock } from '../../../src/runtime/clock.js';

let dir: string;
let logs: PodLogStore;
let runtime: LocalProcessRuntime;
let reports: PodReport[];

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'strata-local-runtime-'));
  logs = new PodLogStore(join(dir, 'logs'));
  runtime = new LocalProcessRuntime({ clock: systemClock, logs, killGraceMs: 300, usageIntervalMs: 50 });
  reports = [];
  runtime.onReport((r) => reports.push(r));
});

afterEach(async () => {
  await runtime.close();
  await rm(dir, { recursive: true, force: true });
});

let seq = 0;
/** A launch of one pod running `command`, with defaults a test overrides only where it matters. */
function aLaunch(command: readonly string[], overrides: Partial<PodLaunch> = {}): PodLaunch {
  const name = `wl-${++seq}`;
  return {
    id: `default/${name}/main-0@2026-01-01T00:00:00.000Z`,
    workload: { name, project: 'default' },
    attempt: '2026-01-01T00:00:00.000Z',
    pod: 'main-0',
    podSet: 'main',
    rank: 0,
    worldSize: 1,
    node: 'local',
    command,
    env: {},
    devices: [],
    cpu: 0.1,
    memoryBytes: 64 * 1024 * 1024,
    ...overrides,
  };
}

/** The terminal report of a pod, once it arrives. */
async function finalReport(id: string, timeoutMs = 10_000): Promise<Extract<PodReport, { reason: string }>> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const found = reports.find((r) => r.id === id && r.phase !== 'Running');
    if (found) return found as Extract<PodReport, { reason: string }>;
    await new Promise((r) => setTimeout(r, 20));
  }
  throw new Error(`no final report for ${id}; got ${JSON.stringify(reports)}`);
}

async function logOf(pod: PodLaunch): Promise<string> {
  const buffer = await logs.read({
    project: pod.workload.project!,
    workload: pod.workload.name,
    attempt: pod.attempt,
    pod: pod.pod,
  });
  return buffer.toString('utf8');
}

/** Whether a process still runs: gone, or a zombie waiting for init to reap it, counts as ended. */
function alive(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
  } catch {
    return false;
  }
}

describe('LocalProcessRuntime', () => {
  it('reports Running, then Succeeded with exit code 0, and keeps stdout and stderr in the pod log', async () => {
    const pod = aLaunch(['sh', '-c', 'echo out; echo err >&2']);
    runtime.launch(pod);
    const final = await finalReport(pod.id);
    expect(reports[0]).toMatchObject({ id: pod.id, phase: 'Running' });
    expect(final).toMatchObject({ phase: 'Succeeded', reason: 'Completed', exitCode: 0 });
    expect((await logOf(pod)).split('\n').sort()).toEqual(['', 'err', 'out']);
  });

  it('fails a non-zero exit with reason Error and the exit code', async () => {
    const pod = aLaunch(['sh', '-c', 'exit 3']);
    runtime.launch(pod);
    expect(await finalReport(pod.id)).toMatchObject({ phase: 'Failed', reason: 'Error', exitCode: 3 });
  });

  it('fails a command that does not exist with CommandNotFound, naming it in the message and the log', async () => {
    const pod = aLaunch(['strata-no-such-command', '--flag']);
    runtime.launch(pod);
    const final = await finalReport(pod.id);
    expect(final).toMatchObject({ phase: 'Failed', reason: 'CommandNotFound', exitCode: 127 });
    expect(final.message).toContain('strata-no-such-command');
    expect(await logOf(pod)).toContain('command not found: "strata-no-such-command"');
    expect(reports.filter((r) => r.id === pod.id)).toHaveLength(1);
  });

  it('gives the pod PATH, HOME and LANG from the control plane plus its launch env, nothing else', async () => {
    process.env.STRATA_TEST_LEAK = 'leaked';
    try {
      const pod = aLaunch(['sh', '-c', 'env'], { env: { STRATA_RANK: '0', CUDA_VISIBLE_DEVICES: '' } });
      runtime.launch(pod);
      await finalReport(pod.id);
      const names = (await logOf(pod))
        .split('\n')
        .filter((l) => l.includes('='))
        .map((l) => l.slice(0, l.indexOf('=')));
      expect(names).toEqual(expect.arrayContaining(['PATH', 'STRATA_RANK', 'CUDA_VISIBLE_DEVICES']));
      expect(names).not.toContain('STRATA_TEST_LEAK');
    } finally {
      delete process.env.STRATA_TEST_LEAK;
    }
  });

  it('kills a pod that overruns maxRuntimeSeconds: Failed, DeadlineExceeded', async () => {
    const pod = aLaunch(['sleep', '30'], { maxRuntimeSeconds: 1 });
    runtime.launch(pod);
    const final = await finalReport(pod.id);
    expect(final).toMatchObject({ phase: 'Failed', reason: 'DeadlineExceeded', signal: 'SIGTERM' });
  });

  it('SIGKILLs after the grace period a pod that ignores SIGTERM', async () => {
    const pod = aLaunch(['sh', '-c', 'trap "" TERM; echo ready; while true; do sleep 0.05; done']);
    runtime.launch(pod);
    while (!(await logOf(pod)).includes('ready')) await new Promise((r) => setTimeout(r, 20));
    runtime.stop(pod.id);
    expect(await finalReport(pod.id)).toMatchObject({
      phase: 'Failed',
      reason: 'Stopped',
      signal: 'SIGKILL',
    });
  });

  it('stop ends the whole process group: a child that sh -c started dies too', async () => {
    const pod = aLaunch(['sh', '-c', 'sleep 30 & echo $!; wait']);
    runtime.launch(pod);
    let pid = Number.NaN;
    while (Number.isNaN(pid) || pid === 0) {
      pid = Number.parseInt(await logOf(pod), 10);
      await new Promise((r) => setTimeout(r, 20));
    }
    expect(alive(pid)).toBe(true);
    runtime.stop(pod.id);
    expect(await finalReport(pod.id)).toMatchObject({ phase: 'Failed', reason: 'Stopped' });
    expect(alive(pid)).toBe(false);
  });

  it('launching a running id again does nothing', async () => {
    const pod = aLaunch(['sleep', '0.3']);
    runtime.launch(pod);
    runtime.launch(pod);
    expect(runtime.running()).toEqual([pod.id]);
    await finalReport(pod.id);
    expect(reports.filter((r) => r.id === pod.id).map((r) => r.phase)).toEqual(['Running', 'Succeeded']);
    expect(runtime.running()).toEqual([]);
  });

  it('records CPU seconds and peak RSS of a pod that lives long enough to be sampled', async () => {
    const pod = aLaunch(['sh', '-c', 'i=0; while [ $i -lt 200000 ]; do i=$((i+1)); done']);
    runtime.launch(pod);
    const final = await finalReport(pod.id, 30_000);
    expect(final.usage?.cpuSeconds).toBeGreaterThan(0);
    expect(final.usage?.maxRssBytes).toBeGreaterThan(0);
  });

  it('close stops every pod and resolves once they have ended', async () => {
    const pods = [aLaunch(['sleep', '30']), aLaunch(['sleep', '30'])];
    for (const pod of pods) runtime.launch(pod);
    await new Promise((r) => setTimeout(r, 100));
    await runtime.close();
    expect(runtime.running()).toEqual([]);
    for (const pod of pods) expect(await finalReport(pod.id)).toMatchObject({ reason: 'Stopped' });
  });

  it('says in the Running report how the pod was pinned, or why not', async () => {
    const pod = aLaunch(['true'], { cpu: 1 });
    runtime.launch(pod);
    await finalReport(pod.id);
    const running = reports.find((r) => r.id === pod.id && r.phase === 'Running');
    expect(running?.message).toMatch(/^(pinned to CPUs \d+|CPU pinning skipped: .+)$/);
  });
});
