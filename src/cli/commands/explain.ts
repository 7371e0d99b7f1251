/**
 * `strata explain workload NAME`: why a workload is pending and what would make it admissible, or
 * where it runs. Read from the Workload's status, which the admission controller writes (the
 * server's truth, not a client-side guess).
 */
import type { Command } from 'commander';
import { findKind } from '../../model/kinds.js';
import type { ApiObject } from '../../model/object.js';
import type { WorkloadSpec, WorkloadStatus } from '../../model/scheduling.js';
import { formatAmount } from '../../scheduling/admission-demand.js';
import { UsageError } from '../output.js';
import { clientFor, collectionPath, objectPath } from './common.js';

interface ListBody {
  items: ApiObject[];
  metadata: { continue?: string };
}

export function registerExplain(program: Command): void {
  program
    .command('explain')
    .description(
      'Explain an object: for a workload, why it is pending and what would admit it, or where it runs',
    )
    .argument('<kind>', 'workload (wl)')
    .argument('<name>')
    .option('-p, --project <project>', 'the workload’s project (found by name across projects when omitted)')
    .action(async (kind: string, name: string, opts: { project?: string }, command: Command) => {
      const def = findKind(kind);
      if (def?.kind !== 'Workload') throw new UsageError(`explain supports workloads only, not "${kind}"`);
      const client = await clientFor(command);
      let workload: ApiObject;
      if (opts.project !== undefined) {
        workload = (await client.request<ApiObject>('GET', objectPath(def, opts.project, name))).body;
      } else {
        const found: ApiObject[] = [];
        let cont: string | undefined;
        do {
          const query = new URLSearchParams({ limit: '500' });
          if (cont) query.set('continue', cont);
          const page = await client.request<ListBody>('GET', `${collectionPath(def, undefined)}?${query}`);
          found.push(...page.body.items.filter((o) => o.metadata.name === name));
          cont = page.body.metadata.continue;
        } while (cont);
        if (found.length === 0) throw new NotFound(`workload ${name} not found in any project you can see`);
        if (found.length > 1) {
          const projects = found.map((o) => o.metadata.project).join(', ');
          throw new UsageError(`workload ${name} exists in several projects (${projects}): pass -p PROJECT`);
        }
        workload = found[0]!;
      }
      console.log(explainWorkload(workload as ApiObject<WorkloadSpec>));
    });
}

/** A lookup that found nothing: exit 1 like any refusal, not 2 (the command was used rightly). */
class NotFound extends Error {}

/** The explanation, as printed. Pure, for tests. */
export function explainWorkload(w: ApiObject<WorkloadSpec>): string {
  const status = w.status as WorkloadStatus | undefined;
  const id = w.metadata.project ? `${w.metadata.project}/${w.metadata.name}` : w.metadata.name;
  const out = [`Workload:  ${id}`, `Queue:     ${w.spec.queue}`];
  if (status === undefined) {
    out.push(
      'Phase:     Pending',
      'Why:       not yet seen by the admission controller (is a leader running?)',
    );
    return out.join('\n');
  }
  out.push(`Phase:     ${status.phase}`);
  const since = status.conditions?.find((c) => c.type === 'Admitted')?.lastTransitionTime;
  if (status.phase === 'Pending' && status.pending) {
    const p = status.pending;
    out.push(
      `Reason:    ${p.reason}`,
      `Why:       ${p.message}`,
      `Position:  ${p.ahead + 1} in queue ${p.queue} (${p.ahead} ahead)`,
    );
    const rejections = (p.detail?.rejections ?? []) as { filter: string; nodes: number; message: string }[];
    if (rejections.length > 0) {
      out.push('Filters:');
      for (const r of rejections)
        out.push(`  ${r.filter}: ${r.nodes} node${r.nodes === 1 ? '' : 's'}: ${r.message}`);
    }
    if (since) out.push(`Since:     ${since}`);
    return out.join('\n');
  }
  if (status.admission) {
    const a = status.admission;
    out.push(
      `Admitted:  ${a.admittedAt} by queue ${a.queue}${a.resourceClass ? ` (class ${a.resourceClass})` : ''}`,
      `Quota:     ${Object.entries(a.demand)
        .map(([d, v]) => `${d}=${formatAmount(d, v)}`)
        .join(', ')}`,
      'Pods:',
    );
    for (const pod of a.pods) {
      const where = pod.mig
        ? `MIG ${pod.mig.profile} on GPU ${pod.mig.gpu}`
        : pod.gpus.length > 0
          ? `GPUs ${pod.gpus.join(',')}`
          : 'no GPUs';
      out.push(`  ${pod.pod} → ${pod.node} (${where})`);
    }
    const run = (status.pods ?? []).filter((p) => p.attempt === a.admittedAt);
    if (run.length > 0) {
      out.push('Run:');
      for (const p of run) out.push(`  ${p.pod}: ${podLine(p)}`);
    }
  }
  if (status.reason)
    out.push(`Ended:     ${status.reason}${status.finishedAt ? ` at ${status.finishedAt}` : ''}`);
  if (status.message) out.push(`Message:   ${status.message}`);
  if (status.history && status.history.length > 1) {
    out.push('History:');
    for (const h of status.history) out.push(`  ${h.at}  ${h.phase}${h.reason ? ` (${h.reason})` : ''}`);
  }
  return out.join('\n');
}

function podLine(p: NonNullable<WorkloadStatus['pods']>[number]): string {
  const parts: string[] = [p.phase];
  if (p.exitCode !== undefined) parts.push(`exit ${p.exitCode}`);
  if (p.signal !== undefined) parts.push(p.signal);
  if (p.reason !== undefined) parts.push(p.reason);
  if (p.restarts > 0) parts.push(`${p.restarts} restart${p.restarts === 1 ? '' : 's'}`);
  if (p.message !== undefined && p.phase !== 'Running') parts.push(p.message);
  return parts.join(', ');
}
