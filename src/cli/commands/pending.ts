/**
 * `strata pending [QUEUE] [-p PROJECT] [-o json]`: the workloads waiting for admission, in queue
 * order, each with its position (0 = next), queue, reason and what would make it admissible. Reads
 * the pending-workloads API, so it shows what the caller may list; positions count every workload
 * ahead, visible to the caller or not.
 */
import type { Command } from 'commander';
import type { PendingWorkloadItem } from '../../server/routes/pending-routes.js';
import { renderTable, UsageError } from '../output.js';
import { clientFor } from './common.js';

interface PendingList {
  readonly items: readonly PendingWorkloadItem[];
}

export function registerPending(program: Command): void {
  program
    .command('pending')
    .description('List the workloads waiting for admission, in queue order, with why each waits')
    .argument('[queue]', 'only this queue')
    .option('-p, --project <project>', 'only this project’s workloads')
    .option('-o, --output <format>', 'json, or a table by default')
    .action(
      async (queue: string | undefined, opts: { project?: string; output?: string }, command: Command) => {
        if (opts.output !== undefined && opts.output !== 'json')
          throw new UsageError(`-o ${opts.output}: unknown output format; use json`);
        const client = await clientFor(command);
        const query = new URLSearchParams(opts.project !== undefined ? { project: opts.project } : {});
        const path =
          queue !== undefined
            ? `/api/v1/queues/${encodeURIComponent(queue)}/pending`
            : '/api/v1/pending-workloads';
        const suffix = query.size > 0 ? `?${query}` : '';
        const { body } = await client.request<PendingList>('GET', `${path}${suffix}`);
        if (opts.output === 'json') {
          console.log(JSON.stringify(body, null, 2));
          return;
        }
        if (body.items.length === 0) {
          console.log('No pending workloads.');
          return;
        }
        console.log(
          renderTable(
            ['Position', 'Workload', 'Project', 'Queue', 'Reason', 'Message'],
            body.items.map((i) => [i.position, i.name, i.project ?? '', i.queue, i.reason, i.message]),
          ),
        );
      },
    );
}
