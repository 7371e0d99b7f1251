import { useMemo } from 'react';
import { useFleetData } from '../fleet-data.js';
import { heat } from '../model/fleet-view.js';
import { HOLDING_PHASES, type Queue, type ResourceAmounts, type Workload } from '../model/objects.js';
import { navigate, UI } from '../route.js';

/** A queue's nominal quota as dimension amounts, named as the admission controller books them. */
function nominalOf(amounts: ResourceAmounts): [string, number][] {
  const out: [string, number][] = [];
  for (const [key, value] of Object.entries(amounts)) {
    if (key === 'migProfiles' && typeof value === 'object') {
      for (const [profile, n] of Object.entries(value)) out.push([`mig:${profile}`, n]);
    } else if (typeof value === 'number') out.push([key, value]);
    else if (key === 'cpu' && typeof value === 'string' && /^\d+(\.\d+)?$/.test(value))
      out.push([key, Number(value)]);
  }
  return out;
}

interface QueueView {
  readonly name: string;
  readonly cohort: string | undefined;
  readonly pending: Workload[];
  readonly admitted: number;
  /** resourceClass → dimension → [used, nominal] */
  readonly quota: [string, [string, number, number][]][];
}

function queueViews(queues: Iterable<Queue>, workloads: Iterable<Workload>): QueueView[] {
  const pending = new Map<string, Workload[]>();
  const used = new Map<string, Map<string, number>>();
  const admitted = new Map<string, number>();
  for (const w of workloads) {
    const status = w.status;
    if (status?.phase === 'Pending' || status === undefined) {
      const queue = status?.pending?.queue ?? w.spec.queue;
      pending.set(queue, [...(pending.get(queue) ?? []), w]);
    } else if (HOLDING_PHASES.has(status.phase) && status.admission) {
      const a = status.admission as { queue: string; resourceClass?: string; demand: Record<string, number> };
      admitted.set(a.queue, (admitted.get(a.queue) ?? 0) + 1);
      const key = `${a.queue}\u0000${a.resourceClass ?? ''}`;
      const dims = used.get(key) ?? new Map<string, number>();
      for (const [dim, n] of Object.entries(a.demand)) dims.set(dim, (dims.get(dim) ?? 0) + n);
      used.set(key, dims);
    }
  }
  return [...queues]
    .map((q) => ({
      name: q.metadata.name,
      cohort: q.spec.cohort,
      pending: (pending.get(q.metadata.name) ?? []).sort(
        (a, b) => (a.status?.pending?.ahead ?? 1e9) - (b.status?.pending?.ahead ?? 1e9),
      ),
      admitted: admitted.get(q.metadata.name) ?? 0,
      quota: (q.spec.resources ?? []).map((r): [string, [string, number, number][]] => {
        const dims = used.get(`${q.metadata.name}\u0000${r.resourceClass}`);
        return [r.resourceClass, nominalOf(r.nominal).map(([dim, n]) => [dim, dims?.get(dim) ?? 0, n])];
      }),
    }))
    .sort((a, b) => a.name.localeCompare(b.name));
}

export function QueuesPage() {
  const { queues, workloads } = useFleetData();
  const views = useMemo(
    () => queueViews(queues.items.values(), workloads.items.values()),
    [queues.items, workloads.items],
  );
  if (!queues.loaded) return <p className="loading">Loading queues…</p>;
  return (
    <section data-testid="queues-page">
      <h2>Queues</h2>
      {queues.error && <p className="error">{queues.error}</p>}
      {views.length === 0 && <p className="muted">No queues visible to this token.</p>}
      <div className="queues">
        {views.map((q) => (
          <article key={q.name} className="card" data-testid="queue" data-queue={q.name}>
            <h3>
              {q.name} {q.cohort && <small>cohort {q.cohort}</small>}
            </h3>
            <p className="muted">
              {q.admitted} admitted · {q.pending.length} pending
            </p>
            {q.quota.map(([resourceClass, dims]) => (
              <table key={resourceClass} className="quota">
                <caption>{resourceClass}</caption>
                <tbody>
                  {dims.map(([dim, usedAmount, nominal]) => (
                    <tr key={dim}>
                      <th>{dim}</th>
                      <td>
                        <div className="bar">
                          <div
                            style={{
                              width: `${Math.min(100, nominal === 0 ? 100 : (usedAmount / nominal) * 100)}%`,
                              background: heat(nominal === 0 ? 1 : usedAmount / nominal),
                            }}
                          />
                        </div>
                      </td>
                      <td className="num">
                        {round(usedAmount)} / {round(nominal)}
                      </td>
                    </tr>
                  ))}
                </tbody>
              </table>
            ))}
            {q.pending.length > 0 && (
              <ol className="pending">
                {q.pending.map((w) => (
                  <li key={`${w.metadata.project}/${w.metadata.name}`}>
                    <a
                      href={`${UI}/workloads/${w.metadata.project}/${w.metadata.name}`}
                      onClick={(e) => {
                        e.preventDefault();
                        navigate(`${UI}/workloads/${w.metadata.project}/${w.metadata.name}`);
                      }}
                    >
                      {w.metadata.project}/{w.metadata.name}
                    </a>{' '}
                    <span className="muted">
                      #{(w.status?.pending?.ahead ?? 0) + 1} · {w.status?.pending?.reason ?? 'not yet seen'}
                    </span>
                    {w.status?.pending?.message && <div className="why">{w.status.pending.message}</div>}
                  </li>
                ))}
              </ol>
            )}
          </article>
        ))}
      </div>
    </section>
  );
}

function round(n: number): string {
  return Number.isInteger(n) ? String(n) : n.toFixed(1);
}
