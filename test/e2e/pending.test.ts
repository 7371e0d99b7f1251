/**
 * `strata pending` and the Position / Reason columns of `strata get workloads` on the demo fleet, run
 * as a user runs them: acme-training holds llama-70b-single-node (next) and qwen-7b-eval (one ahead
 * of it), both waiting for quota.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseTable, Sandbox } from './support.js';

let sandbox: Sandbox;

beforeAll(async () => {
  sandbox = await Sandbox.create('pending');
  await sandbox.up({ demo: true });
});

afterAll(async () => {
  await sandbox?.dispose();
});

/** Runs `strata …` until the admission controller has written what `until` waits for. */
async function strataUntil(args: readonly string[], until: RegExp) {
  const deadline = Date.now() + 20_000;
  for (;;) {
    const result = await sandbox.strata(args);
    if ((result.code === 0 && until.test(result.stdout)) || Date.now() > deadline) return result;
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}

describe('strata pending on the demo fleet', () => {
  it('lists a queue’s pending workloads in queue order with position, project, reason and message', async () => {
    const result = await strataUntil(['pending', 'acme-training'], /qwen-7b-eval/);
    expect(result.code, result.stderr).toBe(0);
    const rows = parseTable(result.stdout);
    expect(rows.map((r) => r.POSITION)).toEqual(rows.map((_, i) => String(i)));
    expect(rows.find((r) => r.WORKLOAD === 'qwen-7b-eval')).toMatchObject({
      POSITION: '1',
      PROJECT: 'acme-research',
      QUEUE: 'acme-training',
      REASON: 'quota',
    });
    expect(result.stdout).toContain(
      'needs 1 more MIG 3g.40gb slices of class a100-mig-3g in queue acme-training',
    );
  });

  it('-o json gives the API’s list', async () => {
    const result = await strataUntil(['pending', '-p', 'acme-research', '-o', 'json'], /qwen-7b-eval/);
    expect(result.code, result.stderr).toBe(0);
    const list = JSON.parse(result.stdout);
    expect(list.kind).toBe('PendingWorkloadList');
    expect(list.items.every((i: { project: string }) => i.project === 'acme-research')).toBe(true);
    expect(list.items.find((i: { name: string }) => i.name === 'qwen-7b-eval')).toMatchObject({
      position: 1,
      reason: 'quota',
      detail: { kind: 'quota', queue: 'acme-training' },
    });
  });

  it('an unknown queue exits non-zero and says so', async () => {
    const result = await sandbox.strata(['pending', 'no-such-queue']);
    expect(result.code).not.toBe(0);
    expect(result.stderr).toContain('queue "no-such-queue" not found');
  });

  it('strata get workloads shows each pending workload’s position and reason', async () => {
    const result = await strataUntil(['get', 'workloads', '-p', 'acme-research'], /qwen-7b-eval.*quota/);
    expect(result.code, result.stderr).toBe(0);
    expect(parseTable(result.stdout).find((r) => r.NAME === 'qwen-7b-eval')).toMatchObject({
      POSITION: '1',
      REASON: 'quota',
    });
  });
});
