/**
 * Node lifecycle: a node whose agent stops heartbeating becomes NotReady, and the work it held goes
 * back to its queue (or fails, when the workload asked for that) so nothing waits on a dead machine.
 *
 * Leader-only: two replicas judging the same node would race; the fence makes a deposed leader's
 * verdicts fail instead of landing late.
 *
 * A lapsing node is marked NotReady first (so admission stops placing work there), then the
 * workloads it held are requeued. NotReady nodes are scanned whenever their set changes, on the
 * sweep after (an admission committed just before the node lapsed lands there), and on every new
 * term (a leader that died between the writes). A requeued workload no longer holds a booking, so a
 * later scan never requeues it twice for one loss; the admission controller queues it again as soon
 * as it sees the booking gone.
 */
import type { NodeStatus } from '../model/fleet.js';
import type { ApiObject } from '../model/object.js';
import type { WorkloadSpec, WorkloadStatus } from '../model/scheduling.js';
import { HOLDING_PHASES, withTransition } from '../model/workload-history.js';
import { FencedError, NotFoundError, StaleVersionError } from '../store/errors.js';
import type { Fence, Store } from '../store/store.js';
import type { Controller } from './controller.js';

export interface NodeLifecycleOptions {
  /** A Ready node whose last heartbeat is older than this becomes NotReady. */
  readonly graceMs: number;
  /** The longest time between sweeps; a sweep also runs when the next heartbeat deadline falls due. */
  readonly intervalMs: number;
  readonly onError?: (error: unknown) => void;
}

/** The reason (and history entry) of a workload moved off a lost node. */
export const NODE_LOST = 'NodeLost';
const SUBJECT = 'system:node-lifecycle';
/** Conditional writes retried against a workload another writer is updating at the same moment. */
const WRITE_ATTEMPTS = 5;
/** Never sweep more often than this, however close the next deadline. */
const MIN_SWEEP_MS = 20;

/** The status a node should get now, or undefined when it is fine as it is. Pure. */
export function lapsedStatus(node: ApiObject, nowMs: number, graceMs: number): NodeStatus | undefined {
  const status = node.status as NodeStatus | undefined;
  if (status?.state !== 'Ready' || status.lastHeartbeat === undefined || status.simulated) return undefined;
  const silentMs = nowMs - Date.parse(status.lastHeartbeat);
  if (!(silentMs > graceMs)) return undefined;
  return {
    ...status,
    state: 'NotReady',
    message: `no heartbeat for ${Math.round(silentMs / 1000)} s (grace ${Math.round(graceMs / 1000)} s); the node's lease has expired`,
  };
}

/** When a Ready node's lease runs out, in ms since the epoch; undefined for nodes that never lapse. Pure. */
export function leaseDeadline(node: ApiObject, graceMs: number): number | undefined {
  const status = node.status as NodeStatus | undefined;
  if (status?.state !== 'Ready' || status.lastHeartbeat === undefined || status.simulated) return undefined;
  const deadline = Date.parse(status.lastHeartbeat) + graceMs;
  // A heartbeat time that does not parse never lapses (lapsedStatus agrees); it must not spin the sweep.
  return Number.isFinite(deadline) ? deadline : undefined;
}

/**
 * The status of a workload one of whose pods sat on a lost node, or undefined when it holds nothing
 * there. Pure. It goes back to its queue (Pending, no admission, one more requeue), or ends Failed
 * when `spec.onNodeFailure` is Fail; either way through `withTransition`, so the history shows it.
 */
export function nodeLostStatus(
  workload: ApiObject<WorkloadSpec, WorkloadStatus>,
  lost: ReadonlySet<string>,
  at: string,
): WorkloadStatus | undefined {
  const status = workload.status;
  if (!status?.admission || !HOLDING_PHASES.has(status.phase)) return undefined;
  const nodes = [...new Set(status.admission.pods.map((p) => p.node))].filter((n) => lost.has(n)).sort();
  if (nodes.length === 0) return undefined;
  const where = `node${nodes.length > 1 ? 's' : ''} ${nodes.join(', ')}`;
  if (workload.spec.onNodeFailure === 'Fail') {
    return withTransition(
      status,
      {
        ...status,
        phase: 'Failed',
        reason: NODE_LOST,
        message: `${where} stopped heartbeating; failed, as spec.onNodeFailure asks`,
        finishedAt: at,
      },
      at,
      NODE_LOST,
    );
  }
  const { admission: _admission, pods: _pods, startedAt: _startedAt, pending: _pending, ...kept } = status;
  return withTransition(
    status,
    {
      ...kept,
      phase: 'Pending',
      reason: NODE_LOST,
      message: `${where} stopped heartbeating; requeued to run elsewhere`,
      requeues: (status.requeues ?? 0) + 1,
    },
    at,
    NODE_LOST,
  );
}

export function nodeLifecycleController(options: NodeLifecycleOptions): Controller {
  const report =
    options.onError ??
    ((error: unknown) => process.emitWarning(`node-lifecycle sweep failed: ${String(error)}`));
  return {
    name: 'node-lifecycle',
    start({ store, clock, fence }) {
      let stopped = false;
      let round = 0;
      let timer: NodeJS.Timeout | undefined;
      /** NotReady nodes at the last sweep, as a sorted key; undefined before this term's first sweep. */
      let lastLost: string | undefined;
      let scansLeft = 0;
      const context = (verb: string) => ({
        requestId: `node-lifecycle-${fence.epoch}-${++round}`,
        subject: { name: SUBJECT },
        verb,
        fence,
      });

      /** One sweep; returns when the next one should run (ms from now). */
      const sweep = async (): Promise<number> => {
        const nodes = await store.list({ kind: 'Node' });
        const now = clock.now().getTime();
        const lost = new Set<string>();
        const lapsing: { node: ApiObject; next: NodeStatus }[] = [];
        let nextDeadline = Number.POSITIVE_INFINITY;
        for (const node of nodes.items) {
          const next = lapsedStatus(node, now, options.graceMs);
          if (next !== undefined) {
            lapsing.push({ node, next });
            continue;
          }
          if ((node.status as NodeStatus | undefined)?.state === 'NotReady') lost.add(node.metadata.name);
          nextDeadline = Math.min(nextDeadline, leaseDeadline(node, options.graceMs) ?? nextDeadline);
        }
        for (const { node, next } of lapsing) {
          if (stopped) return options.intervalMs;
          try {
            await store.write(context('update-status'), (tx) =>
              tx.updateStatus(
                { kind: 'Node', name: node.metadata.name },
                next,
                node.metadata.resourceVersion,
              ),
            );
            lost.add(node.metadata.name);
          } catch (error) {
            // A heartbeat that landed since the list wins: the node is alive and keeps its work.
            if (!(error instanceof StaleVersionError)) throw error;
          }
        }
        const key = [...lost].sort().join(',');
        if (key !== lastLost) scansLeft = 2;
        lastLost = key;
        if (scansLeft > 0) {
          scansLeft--;
          if (lost.size > 0)
            await requeueFrom(store, lost, clock.now().toISOString(), context, () => stopped);
        }
        return Math.max(MIN_SWEEP_MS, Math.min(options.intervalMs, nextDeadline - clock.now().getTime() + 1));
      };

      const schedule = (delayMs: number) => {
        if (stopped) return;
        timer = setTimeout(() => {
          sweep().then(schedule, (error: unknown) => {
            // A lost lease ends this term's sweeps; the next term starts its own.
            if (error instanceof FencedError) return;
            report(error);
            schedule(options.intervalMs);
          });
        }, delayMs);
        timer.unref();
      };
      schedule(0);
      return () => {
        stopped = true;
        if (timer) clearTimeout(timer);
      };
    },
  };
}

/** Requeues (or fails) every workload holding pods on a lost node; verb `evict`, so the audit names it. */
async function requeueFrom(
  store: Store,
  lost: ReadonlySet<string>,
  at: string,
  context: (verb: string) => {
    requestId: string;
    subject: { name: string };
    verb: string;
    fence: Fence;
  },
  stopped: () => boolean,
): Promise<void> {
  let cont: string | undefined;
  do {
    const page = await store.list({ kind: 'Workload', limit: 1000, ...(cont ? { continue: cont } : {}) });
    for (const item of page.items) {
      if (stopped()) return;
      let workload: ApiObject | undefined = item;
      for (let attempt = 0; attempt < WRITE_ATTEMPTS && workload; attempt++) {
        const current = workload as ApiObject<WorkloadSpec, WorkloadStatus>;
        const next = nodeLostStatus(current, lost, at);
        if (!next) break;
        const key = {
          kind: 'Workload',
          name: current.metadata.name,
          ...(current.metadata.project !== undefined && { project: current.metadata.project }),
        };
        try {
          await store.write(context('evict'), (tx) =>
            tx.updateStatus(key, next, current.metadata.resourceVersion),
          );
          break;
        } catch (error) {
          if (error instanceof NotFoundError) break;
          if (!(error instanceof StaleVersionError)) throw error;
          // A runner wrote the workload meanwhile (a pod's report): read it again and judge again.
          workload = await store.get(key);
        }
      }
    }
    cont = page.continue;
  } while (cont);
}
