/** Reaping is tested on real processes and the real /proc (Linux only, as the agent is). */
import { type ChildProcess, spawn } from 'node:child_process';
import { afterEach, describe, expect, it } from 'vitest';
import { reapOrphanPods } from '../../../src/providers/agent/orphan-pods.js';

const children: ChildProcess[] = [];
afterEach(() => {
  for (const child of children.splice(0)) if (child.exitCode === null) child.kill('SIGKILL');
});

/** A pod-like process tree: `sh -c` with a child, detached, with STRATA_NODE in its environment. */
function pod(node: string): ChildProcess {
  const child = spawn('sh', ['-c', 'sleep 30 & wait'], {
    env: { PATH: process.env.PATH, STRATA_NODE: node },
    detached: true,
    stdio: 'ignore',
  });
  children.push(child);
  return child;
}

const exited = (child: ChildProcess) =>
  child.exitCode !== null || child.signalCode !== null
    ? Promise.resolve()
    : new Promise<void>((resolve) => child.once('exit', () => resolve()));

describe('reapOrphanPods', () => {
  it('ends every process of the node’s earlier pods, children included, and no one else’s', async () => {
    const mine = pod('reap-me-7f3a');
    const other = pod('keep-me-7f3a');
    await new Promise((r) => setTimeout(r, 300));
    const reaped = await reapOrphanPods('reap-me-7f3a');
    expect(reaped).toContain(mine.pid);
    // sh and its sleep child.
    expect(reaped.length).toBeGreaterThanOrEqual(2);
    await exited(mine);
    expect(mine.signalCode).toBe('SIGKILL');
    expect(other.exitCode === null && other.signalCode === null).toBe(true);
  });

  it('finds nothing when no pod of the node runs', async () => {
    expect(await reapOrphanPods('nobody-runs-here-7f3a')).toEqual([]);
  });
});
