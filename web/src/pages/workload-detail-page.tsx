import { useEffect, useState } from 'react';
import { ApiFailure } from '../api/client.js';
import { useFleetData } from '../fleet-data.js';
import { TERMINAL_PHASES, type Workload } from '../model/objects.js';
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
        {status?.reason && (
          <>
            <dt>Reason</dt>
            <dd>{status.reason}</dd>
          </>
        )}
        {(status?.requeues ?? 0) > 0 && (
          <>
            <dt>Requeues</dt>
            <dd>{status?.requeues}</dd>
          </>
        )}
        {status?.message && (
          <>
            <dt>Message</dt>
            <dd>{status.message}</dd>
          </>
        )}
      </dl>
      <WhyPending workload={w} />
      <Pods workload={w} />
      <h3>History</h3>
      {(status?.history ?? []).length === 0 ? (
        <p className="muted">No phase changes recorded yet.</p>
      ) : (
        <ol className="history" data-testid="history">
          {status!.history!.map((h) => (
            <li key={`${h.at}-${h.phase}`} data-phase={h.phase}>
              <time>{h.at.replace('T', ' ').slice(0, 19)}</time> <strong>{h.phase}</strong>
              {h.reason && ` · ${h.reason}`}
              {h.message && <div className="muted">{h.message}</div>}
            </li>
          ))}
        </ol>
      )}
      {/* Keyed by admission: a requeued workload's new pods write new logs from the start. */}
      <Logs
        key={status?.admission?.admittedAt ?? ''}
        project={project}
        name={name}
        ended={TERMINAL_PHASES.has(phase)}
      />
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

/**
 * Each booked pod's placement beside what its provider reports of it (status.pods): phase, exit
 * code, reason, restarts. Pods reported but no longer booked (a finished workload) are listed too.
 */
function Pods({ workload }: { workload: Workload }) {
  const status = workload.status;
  const placed = status?.admission?.pods ?? [];
  const reported = status?.pods ?? [];
  const names = [...new Set([...placed.map((p) => podName(p.pod)), ...reported.map((p) => podName(p.pod))])];
  if (names.length === 0) return null;
  return (
    <>
      <h3>Pods</h3>
      <table className="grid" data-testid="pods">
        <thead>
          <tr>
            <th>Pod</th>
            <th>Node</th>
            <th>GPUs</th>
            <th>MIG</th>
            <th>Phase</th>
            <th>Exit code</th>
            <th>Reason</th>
            <th>Restarts</th>
            <th>Started</th>
            <th>Finished</th>
          </tr>
        </thead>
        <tbody>
          {names.map((pod) => {
            const p = placed.find((x) => podName(x.pod) === pod);
            const r = reported.find((x) => podName(x.pod) === pod);
            return (
              <tr key={pod} data-pod={pod} data-pod-phase={r?.phase ?? 'Pending'} title={r?.message}>
                <td>{pod}</td>
                <td>{p?.node ?? r?.node ?? '–'}</td>
                <td>{p?.gpus.join(', ') || '–'}</td>
                <td>{p?.mig ? `${p.mig.profile} on GPU ${p.mig.gpu} @${p.mig.start}` : '–'}</td>
                <td className={`phase ${r?.phase ?? ''}`}>{r?.phase ?? '–'}</td>
                <td className="num" data-testid="exit-code">
                  {r?.exitCode ?? (r?.signal ? r.signal : '–')}
                </td>
                <td>{r?.reason ?? '–'}</td>
                <td className="num">{r?.restarts ?? 0}</td>
                <td>{timeOf(r?.startedAt)}</td>
                <td>{timeOf(r?.finishedAt)}</td>
              </tr>
            );
          })}
        </tbody>
      </table>
    </>
  );
}

/** Bookings name pods `project/workload/pod`, providers' reports `pod`: matched on the last part. */
function podName(pod: string): string {
  return pod.slice(pod.lastIndexOf('/') + 1);
}

function timeOf(at: string | undefined): string {
  return at ? at.replace('T', ' ').slice(0, 19) : '–';
}

/**
 * The pods' output through the logs API. While the workload can still run, the page follows it
 * (`follow=true`: the server streams new output and ends the response when the workload ends);
 * an ended workload's logs are read once.
 */
function Logs({ project, name, ended }: { project: string; name: string; ended: boolean }) {
  const { client } = useFleetData();
  const [text, setText] = useState('');
  const [following, setFollowing] = useState(false);
  const [error, setError] = useState<string>();
  // Only the first render's value decides: a followed stream ends by itself when the workload does.
  const [followAtStart] = useState(!ended);
  useEffect(() => {
    const abort = new AbortController();
    const path = `/api/v1/projects/${encodeURIComponent(project)}/workloads/${encodeURIComponent(name)}/logs`;
    const run = async () => {
      if (!followAtStart) {
        setText(await client.text(path));
        return;
      }
      setFollowing(true);
      const response = await client.response(`${path}?follow=true`, { signal: abort.signal });
      const reader = response.body!.pipeThrough(new TextDecoderStream()).getReader();
      for (;;) {
        const { done, value } = await reader.read();
        if (done) break;
        setText((before) => before + value);
      }
    };
    run().then(
      () => {
        if (!abort.signal.aborted) setFollowing(false);
      },
      (e: Error) => {
        if (abort.signal.aborted) return;
        setFollowing(false);
        setError(e instanceof ApiFailure && e.status === 404 ? undefined : e.message);
      },
    );
    return () => abort.abort();
  }, [client, project, name, followAtStart]);
  return (
    <>
      <h3>
        Logs{' '}
        {following && (
          <small className="muted" data-testid="logs-following">
            following…
          </small>
        )}
      </h3>
      {text ? (
        <pre className="logs" data-testid="logs">
          {text}
        </pre>
      ) : (
        <p className="muted" data-testid="no-logs">
          {error ? `No logs: ${error}` : following ? 'No output yet.' : 'No logs for this workload.'}
        </p>
      )}
    </>
  );
}
