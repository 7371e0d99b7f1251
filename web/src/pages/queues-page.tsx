import { type ReactNode, useMemo } from 'react';
import { useFleetData } from '../fleet-data.js';
import { heat } from '../model/fleet-view.js';
import type { Workload } from '../model/objects.js';
import {
  type CohortNode,
  cohortTree,
  type DimensionUse,
  type QueueShare,
  queueShares,
} from '../model/queue-shares.js';
import { navigate, UI } from '../route.js';

/** Pending workloads per queue, in queue order (the admission controller's `ahead`). */
function pendingByQueue(workloads: Iterable<Workload>): Map<string, Workload[]> {
  const pending = new Map<string, Workload[]>();
  for (const w of workloads) {
    if (w.status !== undefined && w.status.phase !== 'Pending') continue;
    const queue = w.status?.pending?.queue ?? w.spec.queue;
    pending.set(queue, [...(pending.get(queue) ?? []), w]);
  }
  for (const list of pending.values()) {
    list.sort((a, b) => (a.status?.pending?.ahead ?? 1e9) - (b.status?.pending?.ahead ?? 1e9));
  }
  return pending;
}

function admittedByQueue(workloads: Iterable<Workload>): Map<string, number> {
  const admitted = new Map<string, number>();
  for (const w of workloads) {
    const a = w.status?.admission;
    if (a && (w.status?.phase === 'Admitted' || w.status?.phase === 'Running'))
      admitted.set(a.queue, (admitted.get(a.queue) ?? 0) + 1);
  }
  return admitted;
}

export function QueuesPage() {
  const { queues, cohorts, workloads } = useFleetData();
  const view = useMemo(() => {
    const shares = queueShares(queues.items.values(), cohorts.items.values(), workloads.items.values());
    return {
      tree: cohortTree(shares, cohorts.items.values()),
      loose: shares.filter((s) => s.cohort === undefined),
      pending: pendingByQueue(workloads.items.values()),
      admitted: admittedByQueue(workloads.items.values()),
      count: shares.length,
    };
  }, [queues.items, cohorts.items, workloads.items]);
  if (!queues.loaded) return <p className="loading">Loading queues…</p>;
  const card = (q: QueueShare) => (
    <QueueCard
      key={q.name}
      share={q}
      pending={view.pending.get(q.name) ?? []}
      admitted={view.admitted.get(q.name) ?? 0}
    />
  );
  return (
    <section data-testid="queues-page">
      <h2>Queues</h2>
      {queues.error && <p className="error">{queues.error}</p>}
      {view.count === 0 && <p className="muted">No queues visible to this token.</p>}
      <p className="legend">
        A queue's <strong>weighted share</strong> is its dominant use of its cohort pool (the most-used
        dimension's use ÷ the pool's nominal) divided by its weight (its own times its cohorts' up to the
        root); the admission controller admits the lowest weighted share first and adds decayed past use,
        which this page does not show. Its <strong>fair share</strong> is its weight's part of the pool.
      </p>
      {view.tree.map((node) => (
        <CohortView key={node.name} node={node} card={card} />
      ))}
      {view.loose.length > 0 && (
        <div className="cohort" data-cohort="">
          <h3>Outside any cohort</h3>
          <div className="queues">{view.loose.map(card)}</div>
        </div>
      )}
    </section>
  );
}

function CohortView({ node, card }: { node: CohortNode; card: (q: QueueShare) => ReactNode }) {
  return (
    <div className="cohort" data-testid="cohort" data-cohort={node.name}>
      <h3>
        cohort {node.name} <small>weight {node.weight}</small>
      </h3>
      {node.queues.length > 0 && <div className="queues">{node.queues.map(card)}</div>}
      {node.children.map((child) => (
        <CohortView key={child.name} node={child} card={card} />
      ))}
    </div>
  );
}

function QueueCard({
  share,
  pending,
  admitted,
}: {
  share: QueueShare;
  pending: Workload[];
  admitted: number;
}) {
  const classes = [...new Set(share.dimensions.map((d) => d.resourceClass))];
  return (
    <article className="card" data-testid="queue" data-queue={share.name}>
      <h3>
        {share.name} {share.cohort && <small>cohort {share.cohort}</small>}
      </h3>
      <p className="muted">
        {admitted} admitted · {pending.length} pending
      </p>
      <FairShare share={share} />
      {classes.map((resourceClass) => (
        <table key={resourceClass} className="quota">
          <caption>{resourceClass}</caption>
          <tbody>
            {share.dimensions
              .filter((d) => d.resourceClass === resourceClass)
              .map((d) => (
                <QuotaRow key={d.dimension} use={d} />
              ))}
          </tbody>
        </table>
      ))}
      {pending.length > 0 && (
        <ol className="pending">
          {pending.map((w) => (
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
  );
}

/** The queue's weighted share, the dimension that sets it, and its fair share of the pool. */
function FairShare({ share }: { share: QueueShare }) {
  const d = share.dominant;
  const fair = d ? d.pool * share.fairShare : undefined;
  return (
    <div className="fair-share" data-testid="fair-share" data-weighted-share={share.weightedShare.toFixed(4)}>
      <div>
        weighted share <strong>{share.weightedShare.toFixed(3)}</strong>{' '}
        <span className="muted">
          (weight {share.weight}
          {share.effectiveWeight !== share.weight && `, ${round(share.effectiveWeight)} with its cohorts`})
        </span>
      </div>
      <div className="muted">
        {share.pool === undefined
          ? 'own pool (no cohort)'
          : `fair share ${Math.round(share.fairShare * 100)}% of pool ${share.pool}`}
        {d && fair !== undefined && (
          <>
            {' '}
            · {d.dimension} ({d.resourceClass}): uses {round(d.used)} of {round(d.pool)}, fair {round(fair)}
          </>
        )}
      </div>
      {d && fair !== undefined && (
        <div className="bar fair" title="use of the pool; the mark is its fair share">
          <div
            style={{ width: `${pct(d.used, d.pool)}%`, background: heat(fair === 0 ? 1 : d.used / fair / 2) }}
          />
          <span className="mark" style={{ left: `${pct(fair, d.pool)}%` }} />
        </div>
      )}
    </div>
  );
}

function QuotaRow({ use }: { use: DimensionUse }) {
  const { dimension, used, nominal, borrowed, borrowingLimit } = use;
  return (
    <tr>
      <th>{dimension}</th>
      <td>
        <div className="bar">
          <div
            style={{
              width: `${Math.min(100, nominal === 0 ? 100 : (used / nominal) * 100)}%`,
              background: heat(nominal === 0 ? 1 : used / nominal),
            }}
          />
        </div>
      </td>
      <td className="num">
        {format(dimension, used)} / {format(dimension, nominal)}
      </td>
      <td className="num borrow" data-testid="borrowing">
        {borrowed > 0 ? `+${format(dimension, borrowed)} borrowed` : ''}
        {borrowingLimit === undefined
          ? ''
          : borrowingLimit === 0
            ? ' no borrowing'
            : ` (limit ${format(dimension, borrowingLimit)})`}
      </td>
    </tr>
  );
}

function pct(part: number, whole: number): number {
  return whole === 0 ? 0 : Math.min(100, (part / whole) * 100);
}

function format(dimension: string, n: number): string {
  return dimension === 'memory' ? `${round(n / 2 ** 30)}Gi` : round(n);
}

function round(n: number): string {
  return Number.isInteger(n) ? String(n) : n.toFixed(1);
}
