import { useEffect, useState } from 'react';
import { ApiFailure } from '../api/client.js';
import { useFleetData } from '../fleet-data.js';
import type { Workload } from '../model/objects.js';
import { placementOf } from './workloads-page.js';

interface Rejection {
  readonly filter: string;
  readonly nodes: number;
  readonly message: string;
}

export function WorkloadDetailPage({ project, name }: { project: string; name: string }) {
  const { workloads } = useFleetData();
  const w = workloads.items.get(`${project}/${name}`);
  if (!workloads.loaded) return <p className="loading">Loading…</p>;
  if (!w)
    return (
      <p className="error">
        Workload {project}/{name} is not visible to this token (or does not exist).
      </p>
    );
  const status = w.status;
  const phase = status?.phase ?? 'Pending';
  return (
    <section data-testid="workload-detail">
      <h2>
        {project}/{name}{' '}
        <span className={`phase ${phase}`} data-testid="detail-phase">
          {phase}
        </span>
      </h2>
      <dl className="facts">
        <dt>Queue</dt>
        <dd>{w.spec.queue}</dd>
        <dt>Priority class</dt>
        <dd>{w.spec.priorityClass ?? '–'}</dd>
        <dt>Placement</dt>
        <dd>{placementOf(w)}</dd>
        {status?.message && (
          <>
            <dt>Message</dt>
            <dd>{status.message}</dd>
          </>
        )}
      </dl>
      <WhyPending workload={w} />
      {status?.admission && (
        <>
          <h3>Pods</h3>
          <table className="grid">
            <thead>
              <tr>
                <th>Pod</th>
                <th>Node</th>
                <th>GPUs</th>
                <th>MIG</th>
                <th>Phase</th>
              </tr>
            </thead>
            <tbody>
              {status.admission.pods.map((p) => (
                <tr key={p.pod}>
                  <td>{p.pod}</td>
                  <td>{p.node}</td>
                  <td>{p.gpus.join(', ') || '–'}</td>
                  <td>{p.mig ? `${p.mig.profile} on GPU ${p.mig.gpu} @${p.mig.start}` : '–'}</td>
                  <td>{status.pods?.find((s) => s.pod === p.pod)?.phase ?? '–'}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </>
      )}
      <h3>History</h3>
      {(status?.history ?? []).length === 0 ? (
        <p className="muted">No phase changes recorded yet.</p>
      ) : (
        <ol className="history" data-testid="history">
          {status!.history!.map((h) => (
            <li key={`${h.at}-${h.phase}`}>
              <time>{h.at.replace('T', ' ').slice(0, 19)}</time> <strong>{h.phase}</strong>
              {h.reason && ` · ${h.reason}`}
              {h.message && <div className="muted">{h.message}</div>}
            </li>
          ))}
        </ol>
      )}
      {/* Keyed by phase: a pod that starts or ends has new output, so the logs are read again. */}
      <Logs key={phase} project={project} name={name} />
    </section>
  );
}

/** The admission controller's own explanation (status.pending), as `strata explain` prints it. */
function WhyPending({ workload }: { workload: Workload }) {
  const status = workload.status;
  if (status?.phase !== undefined && status.phase !== 'Pending') return null;
  const p = status?.pending;
  const rejections = (p?.detail?.rejections ?? []) as Rejection[];
  return (
    <div className="why-pending" data-testid="why-pending">
      <h3>Why pending</h3>
      {!p ? (
        <p>Not yet seen by the admission controller.</p>
      ) : (
        <>
          <p>
            <strong data-testid="pending-reason">{p.reason}</strong>: {p.message}
          </p>
          <p className="muted">
            Position {p.ahead + 1} in queue {p.queue} ({p.ahead} ahead)
          </p>
          {rejections.length > 0 && (
            <ul>
              {rejections.map((r) => (
                <li key={r.filter}>
                  {r.filter}: {r.nodes} nodes · {r.message}
                </li>
              ))}
            </ul>
          )}
        </>
      )}
    </div>
  );
}

/** The pods' output through the logs API, when the server has it. */
function Logs({ project, name }: { project: string; name: string }) {
  const { client } = useFleetData();
  const [text, setText] = useState<string>();
  const [error, setError] = useState<string>();
  useEffect(() => {
    let live = true;
    client
      .text(`/api/v1/projects/${encodeURIComponent(project)}/workloads/${encodeURIComponent(name)}/logs`)
      .then(
        (t) => {
          if (live) setText(t);
        },
        (e: Error) => {
          if (!live) return;
          setText(undefined);
          setError(e instanceof ApiFailure && e.status === 404 ? undefined : e.message);
        },
      );
    return () => {
      live = false;
    };
  }, [client, project, name]);
  return (
    <>
      <h3>Logs</h3>
      {text ? (
        <pre className="logs">{text}</pre>
      ) : (
        <p className="muted" data-testid="no-logs">
          No logs{error ? `: ${error}` : ' for this workload.'}
        </p>
      )}
    </>
  );
}
