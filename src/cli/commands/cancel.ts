/**
 * `strata cancel workload NAME [-p PROJECT]`: sets `spec.cancelled`. Its pods are stopped and it ends
 * Cancelled (a workload still waiting in its queue ends at once). The update carries the version read,
 * so it never overwrites a concurrent change; on a conflict it reads again.
 */
import type { Command } from 'commander';
import { findKind } from '../../model/kinds.js';
import type { ApiObject } from '../../model/object.js';
import { ApiClientError } from '../client.js';
import { UsageError } from '../output.js';
import { clientFor, objectPath } from './common.js';
import { findWorkload } from './workload-lookup.js';

const ATTEMPTS = 5;

export function registerCancel(program: Command): void {
  program
    .command('cancel')
    .description('Cancel a workload: its pods are stopped and it ends Cancelled')
    .argument('<kind>', 'workload (wl)')
    .argument('<name>')
    .option('-p, --project <project>', 'the workload’s project (found by name across projects when omitted)')
    .action(async (kind: string, name: string, opts: { project?: string }, command: Command) => {
      const def = findKind(kind);
      if (def?.kind !== 'Workload') throw new UsageError(`cancel supports workloads only, not "${kind}"`);
      const client = await clientFor(command);
      for (let attempt = 1; ; attempt++) {
        const workload = await findWorkload(client, name, opts.project);
        const spec = workload.spec as { cancelled?: boolean };
        if (spec.cancelled === true) {
          console.log(`workload/${name} already cancelled`);
          return;
        }
        const { status: _status, ...rest } = workload as ApiObject & { status?: unknown };
        try {
          await client.request('PUT', objectPath(def, workload.metadata.project, name), {
            ...rest,
            spec: { ...spec, cancelled: true },
          });
          console.log(`workload/${name} cancelled`);
          return;
        } catch (error) {
          if (!(error instanceof ApiClientError && error.status === 409) || attempt >= ATTEMPTS) throw error;
        }
      }
    });
}
