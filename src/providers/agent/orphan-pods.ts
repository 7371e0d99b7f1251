/**
 * Pods left running by an agent that died without stopping them (SIGKILL, a crash, the OOM killer):
 * their processes outlive it in their own process groups, and nothing can adopt them (their
 * output pipes died with the agent). A restarting agent ends them before it runs anything, so a
 * workload requeued meanwhile never runs twice, and one still bound here is started afresh.
 *
 * A pod's processes are recognised by the `STRATA_NODE=<node>` every pod (and every child it
 * starts) has in its environment; /proc shows only this user's environments, the ones the agent
 * could have started.
 */
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';

/** SIGKILLs the processes of earlier pods of `node`; resolves with their pids. */
export async function reapOrphanPods(node: string, procRoot = '/proc'): Promise<number[]> {
  const marker = `STRATA_NODE=${node}`;
  const entries = await readdir(procRoot).catch(() => [] as string[]);
  const reaped: number[] = [];
  for (const entry of entries) {
    if (!/^\d+$/.test(entry) || Number(entry) === process.pid) continue;
    const environ = await readFile(join(procRoot, entry, 'environ'), 'utf8').catch(() => '');
    if (!environ.split('\0').includes(marker)) continue;
    try {
      process.kill(Number(entry), 'SIGKILL');
      reaped.push(Number(entry));
    } catch {
      // Gone meanwhile.
    }
  }
  return reaped;
}
