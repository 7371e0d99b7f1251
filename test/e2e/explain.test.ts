/**
 * Issue 5's "Done when": `strata up --demo`, then `strata explain workload NAME` as a user runs it,
 * for a workload that can never start as written (16 GPUs in one pod; no node has more than 8) and
 * one blocked by its queue's quota (2 more 3g.40gb slices; acme-training has 4 and uses 3).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Sandbox, type UpProcess } from './support.js';

let sandbox: Sandbox;
let up: UpProcess;

beforeAll(async () => {
  sandbox = await Sandbox.create('explain');
  up = await sandbox.up({ demo: true });
});

afterAll(async () => {
  await sandbox?.dispose();
});

/** `strata explain workload …` once the admission controller has written the line `until` waits for. */
async function explainUntil(args: readonly string[], until: RegExp) {
  const deadline = Date.now() + 20_000;
  for (;;) {
    const result = await sandbox.strata(['explain', 'workload', ...args]);
    if ((result.code === 0 && until.test(result.stdout)) || Date.now() > deadline) return result;
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}

describe('strata explain workload on the demo fleet', () => {
  it('the server is up with the demo', () => {
    expect(up.banner).not.toContain('demo error');
  });

  it('a workload blocked by quota: which queue, which class, how much more, and its place in the queue', async () => {
    const result = await explainUntil(['qwen-7b-eval', '-p', 'acme-research'], /^Phase: +Pending/m);
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toMatch(/^Phase: +Pending$/m);
    expect(result.stdout).toMatch(/^Reason: +quota$/m);
    expect(result.stdout).toContain(
      'needs 1 more MIG 3g.40gb slices of class a100-mig-3g in queue acme-training: requests 2, 1 available',
    );
    // llama-70b-single-node (training priority) is ahead of it in acme-training.
    expect(result.stdout).toMatch(/^Position: +2 in queue acme-training \(1 ahead\)$/m);
  });

  it('the workload using that quota is admitted (and runs on the simulated nodes), with the node of each pod', async () => {
    const result = await explainUntil(['mistral-7b-eval'], /^Phase: +(Admitted|Running)$/m);
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toMatch(/^Admitted: +\S+ by queue acme-training \(class a100-mig-3g\)$/m);
    const pods = result.stdout
      .split('\n')
      .filter((l) => l.includes('acme-research/mistral-7b-eval/evaluator-'));
    expect(pods).toHaveLength(3);
    for (const line of pods) expect(line).toMatch(/→ par-a100-0\d \(MIG 3g\.40gb on GPU \d\)$/);
  });

  it('a workload that can never start: no node could host its pod, with the filters that rejected each node', async () => {
    const result = await explainUntil(
      ['llama-70b-single-node', '-p', 'acme-research'],
      /^Reason: +placement$/m,
    );
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toMatch(/^Phase: +Pending$/m);
    expect(result.stdout).toContain(
      'no node of the fleet could ever host pod acme-research/llama-70b-single-node/trainer-0',
    );
    expect(result.stdout).toContain('change the request or the fleet');
    // ACME is EU-only and asked for EU: the US site's nodes fail residency.
    expect(result.stdout).toMatch(/^ {2}residency: \d+ nodes?: /m);
  });

  it('a workload that does not exist: exit 1 naming it', async () => {
    const result = await sandbox.strata(['explain', 'workload', 'no-such-workload']);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('workload no-such-workload not found');
  });

  it('a kind it cannot explain: exit 2', async () => {
    const result = await sandbox.strata(['explain', 'node', 'fra-h100-01']);
    expect(result.code).toBe(2);
  });
});
