import { describe, expect, it } from 'vitest';
import type { PodLaunch, PodReport } from '../../../src/providers/pod-launch.js';
import {
  DEFAULT_SIMULATED_DURATION_SECONDS,
  SimulatedRuntime,
} from '../../../src/providers/simulated/simulated-runtime.js';
import { ManualClock } from '../../../src/runtime/clock.js';

const START = '2026-03-02T09:00:00.000Z';

function launch(overrides: Partial<PodLaunch> = {}): PodLaunch {
  return {
    id: 'acme/train/worker-0@2026-03-02T09:00:00.000Z',
    workload: { name: 'train', project: 'acme' },
    attempt: '2026-03-02T09:00:00.000Z',
    pod: 'worker-0',
    podSet: 'worker',
    rank: 0,
    worldSize: 1,
    node: 'sim-01',
    command: [],
    env: {},
    devices: [],
    cpu: 1,
    memoryBytes: 2 ** 30,
    simulation: { durationSeconds: 600, exitCode: 0 },
    ...overrides,
  };
}

/** A runtime on a manual clock, with every report it made. */
function twin(options: { acceleration?: number; defaultDurationSeconds?: number } = {}) {
  const clock = new ManualClock(START);
  const runtime = new SimulatedRuntime({ clock, ...options });
  const reports: PodReport[] = [];
  runtime.onReport((r) => reports.push(r));
  /** Advances the clock, lets queued reports out, and ticks. */
  const advance = async (seconds: number) => {
    await Promise.resolve();
    clock.advance(seconds * 1000);
    runtime.tick();
  };
  return { clock, runtime, reports, advance };
}

const phases = (reports: readonly PodReport[]) => reports.map((r) => r.phase);

describe('SimulatedRuntime (the digital twin)', () => {
  it('a launched pod is Running at once, with a message that says it is simulated', async () => {
    const { runtime, reports } = twin();
    runtime.launch(launch());
    await Promise.resolve();
    expect(reports).toEqual([
      expect.objectContaining({ phase: 'Running', at: START, message: expect.stringContaining('simulated') }),
    ]);
    expect(runtime.running()).toEqual([launch().id]);
  });

  it('the Running report goes out after launch returns, never during it', () => {
    const { runtime, reports } = twin();
    runtime.launch(launch());
    expect(reports).toEqual([]);
  });

  it('ends Succeeded after its simulated duration of clock time, and not a second earlier', async () => {
    const { runtime, reports, advance } = twin();
    runtime.launch(launch());
    await advance(599);
    expect(phases(reports)).toEqual(['Running']);
    await advance(1);
    expect(reports.at(-1)).toEqual(
      expect.objectContaining({
        phase: 'Succeeded',
        reason: 'Completed',
        exitCode: 0,
        at: '2026-03-02T09:10:00.000Z',
      }),
    );
    expect(runtime.running()).toEqual([]);
  });

  it.each([
    { exitCode: 1, phase: 'Failed', reason: 'Error' },
    { exitCode: 137, phase: 'Failed', reason: 'Error' },
    { exitCode: 0, phase: 'Succeeded', reason: 'Completed' },
  ])('exit code $exitCode ends the pod $phase ($reason)', async ({ exitCode, phase, reason }) => {
    const { runtime, reports, advance } = twin();
    runtime.launch(launch({ simulation: { durationSeconds: 60, exitCode } }));
    await advance(60);
    expect(reports.at(-1)).toEqual(expect.objectContaining({ phase, reason, exitCode }));
  });

  it('a maximum runtime shorter than the simulated duration ends it Failed DeadlineExceeded at the deadline', async () => {
    const { runtime, reports, advance } = twin();
    runtime.launch(launch({ maxRuntimeSeconds: 120, simulation: { durationSeconds: 600, exitCode: 0 } }));
    await advance(120);
    expect(reports.at(-1)).toEqual(
      expect.objectContaining({
        phase: 'Failed',
        reason: 'DeadlineExceeded',
        at: '2026-03-02T09:02:00.000Z',
      }),
    );
  });

  it('a maximum runtime longer than the run does not matter', async () => {
    const { runtime, reports, advance } = twin();
    runtime.launch(launch({ maxRuntimeSeconds: 3600 }));
    await advance(600);
    expect(reports.at(-1)).toEqual(expect.objectContaining({ phase: 'Succeeded' }));
  });

  it(`a pod without simulation runs the default (${DEFAULT_SIMULATED_DURATION_SECONDS} s), or the configured default`, async () => {
    const { simulation: _, ...bare } = launch();
    const standard = twin();
    standard.runtime.launch(bare);
    await standard.advance(DEFAULT_SIMULATED_DURATION_SECONDS - 1);
    expect(phases(standard.reports)).toEqual(['Running']);
    await standard.advance(1);
    expect(phases(standard.reports)).toEqual(['Running', 'Succeeded']);

    const short = twin({ defaultDurationSeconds: 30 });
    short.runtime.launch(bare);
    await short.advance(30);
    expect(phases(short.reports)).toEqual(['Running', 'Succeeded']);
  });

  it('acceleration: at 60 virtual seconds per clock second, ten virtual minutes take ten clock seconds', async () => {
    const { runtime, reports, advance } = twin({ acceleration: 60 });
    runtime.launch(launch());
    await advance(9);
    expect(phases(reports)).toEqual(['Running']);
    await advance(1);
    expect(reports.at(-1)).toEqual(
      expect.objectContaining({ phase: 'Succeeded', at: '2026-03-02T09:00:10.000Z' }),
    );
    expect(reports[0]).toEqual(expect.objectContaining({ message: expect.stringContaining('60× speed') }));
  });

  it('acceleration scales the deadline too: it is in the workload’s own time', async () => {
    const { runtime, reports, advance } = twin({ acceleration: 10 });
    runtime.launch(launch({ maxRuntimeSeconds: 100 }));
    await advance(10);
    expect(reports.at(-1)).toEqual(expect.objectContaining({ phase: 'Failed', reason: 'DeadlineExceeded' }));
  });

  it('stop ends a running pod Failed with reason Stopped, at the clock’s time', async () => {
    const { runtime, reports, advance } = twin();
    runtime.launch(launch());
    await advance(30);
    runtime.stop(launch().id);
    expect(reports.at(-1)).toEqual(
      expect.objectContaining({ phase: 'Failed', reason: 'Stopped', at: '2026-03-02T09:00:30.000Z' }),
    );
    await advance(600);
    expect(phases(reports)).toEqual(['Running', 'Failed']);
  });

  it('stopping an unknown or finished pod does nothing', async () => {
    const { runtime, reports, advance } = twin();
    runtime.stop('nobody');
    runtime.launch(launch());
    await advance(600);
    runtime.stop(launch().id);
    expect(phases(reports)).toEqual(['Running', 'Succeeded']);
  });

  it('launching a running id again does nothing: one Running report, one end', async () => {
    const { runtime, reports, advance } = twin();
    runtime.launch(launch());
    await advance(300);
    runtime.launch(launch());
    await advance(300);
    expect(phases(reports)).toEqual(['Running', 'Succeeded']);
  });

  it('a pod launched again after it ended (a restart in place) runs again from the clock’s time', async () => {
    const { runtime, reports, advance } = twin();
    runtime.launch(launch({ simulation: { durationSeconds: 60, exitCode: 1 } }));
    await advance(60);
    runtime.launch(launch({ simulation: { durationSeconds: 60, exitCode: 1 } }));
    await advance(60);
    expect(phases(reports)).toEqual(['Running', 'Failed', 'Running', 'Failed']);
    expect(reports[2]).toEqual(expect.objectContaining({ at: '2026-03-02T09:01:00.000Z' }));
  });

  it('a pod launched after its admission (a restarted control plane) ends when it would have: admission + duration', async () => {
    const { runtime, reports, advance, clock } = twin();
    clock.advance(400_000);
    runtime.launch(launch());
    await advance(199);
    expect(reports.map((r) => `${r.phase}@${r.at}`)).toEqual(['Running@2026-03-02T09:00:00.000Z']);
    await advance(1);
    expect(reports.at(-1)).toEqual(
      expect.objectContaining({ phase: 'Succeeded', at: '2026-03-02T09:10:00.000Z' }),
    );
  });

  it('a pod launched after its whole run would have ended ends at the next tick, at the time it would have', async () => {
    const { runtime, reports, clock } = twin();
    clock.advance(3_600_000);
    runtime.launch(launch());
    runtime.tick();
    expect(reports.map((r) => `${r.phase}@${r.at}`)).toEqual([
      'Running@2026-03-02T09:00:00.000Z',
      'Succeeded@2026-03-02T09:10:00.000Z',
    ]);
  });

  it('pods due in the same tick report in the order they ended, each Running before its end', async () => {
    const { runtime, reports, clock } = twin();
    runtime.launch(launch({ id: 'late', simulation: { durationSeconds: 90, exitCode: 0 } }));
    runtime.launch(launch({ id: 'early', simulation: { durationSeconds: 30, exitCode: 0 } }));
    clock.advance(120_000);
    runtime.tick();
    expect(reports.map((r) => `${r.id}:${r.phase}`)).toEqual([
      'early:Running',
      'early:Succeeded',
      'late:Running',
      'late:Succeeded',
    ]);
  });

  it('nextEnding names when the earliest pod ends, and nothing when none runs', () => {
    const { runtime } = twin();
    expect(runtime.nextEnding()).toBeUndefined();
    runtime.launch(launch({ id: 'a', simulation: { durationSeconds: 90, exitCode: 0 } }));
    runtime.launch(launch({ id: 'b', simulation: { durationSeconds: 30, exitCode: 0 } }));
    expect(runtime.nextEnding()?.toISOString()).toBe('2026-03-02T09:00:30.000Z');
  });

  it('close stops every pod and launches nothing afterwards', async () => {
    const { runtime, reports } = twin();
    runtime.launch(launch());
    await Promise.resolve();
    await runtime.close();
    runtime.launch(launch({ id: 'after-close' }));
    expect(phases(reports)).toEqual(['Running', 'Failed']);
    expect(runtime.running()).toEqual([]);
  });

  it.each([0, -1, Number.NaN])('refuses an acceleration of %s', (acceleration) => {
    expect(() => new SimulatedRuntime({ clock: new ManualClock(), acceleration })).toThrow(/acceleration/);
  });
});
