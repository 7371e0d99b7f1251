/** `strata logs WORKLOAD [-p PROJECT] [--pod P] [--follow]`: the output of a workload's pods. */
import type { Command } from 'commander';
import { clientFor } from './common.js';
import { findWorkload } from './workload-lookup.js';

export function registerLogs(program: Command): void {
  program
    .command('logs')
    .description(
      "Print a workload's pod output (its latest admission); several pods' lines are prefixed with [pod]",
    )
    .argument('<workload>')
    .option('-p, --project <project>', 'the workload’s project (found by name across projects when omitted)')
    .option('--pod <pod>', 'one pod only, e.g. main-0')
    .option('-f, --follow', 'keep streaming until the workload ends')
    .action(
      async (name: string, opts: { project?: string; pod?: string; follow?: boolean }, command: Command) => {
        const client = await clientFor(command);
        const workload = await findWorkload(client, name, opts.project);
        const query = new URLSearchParams();
        if (opts.pod !== undefined) query.set('pod', opts.pod);
        if (opts.follow) query.set('follow', 'true');
        const path =
          `/api/v1/projects/${encodeURIComponent(workload.metadata.project ?? '')}` +
          `/workloads/${encodeURIComponent(name)}/logs${query.size > 0 ? `?${query}` : ''}`;
        const stream = await client.stream(path, 'text/plain');
        for await (const chunk of stream) process.stdout.write(chunk as string);
      },
    );
}
