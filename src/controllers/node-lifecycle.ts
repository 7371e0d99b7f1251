import type { NodeStatus } from '../model/fleet.js';
import type { ApiObject } from '../model/object.js';
import { FencedError, StaleVersionError } from '../store/errors.js';
import type { Controller } from './controller.js';

export interface NodeLifecycleOptions {
  /** A Ready node whose last heartbeat is older than this becomes NotReady. */
  readonly graceMs: number;
  readonly intervalMs: number;
}

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

/**
 * Marks nodes NotReady when their agent stops heartbeating. Leader-only: two
 * replicas judging the same node would race; the fence makes a deposed
 * leader's verdicts fail instead of landing late.
 */
export function nodeLifecycleController(options: NodeLifecycleOptions): Controller {
  return {
    name: 'node-lifecycle',
    start({ store, clock, fence }) {
      let stopped = false;
      let round = 0;
      const sweep = async () => {
        const nodes = await store.list({ kind: 'Node' });
        const now = clock.now().getTime();
        for (const node of nodes.items) {
          const next = lapsedStatus(node, now, options.graceMs);
          if (next === undefined || stopped) continue;
          try {
            await store.write(
              {
                requestId: `node-lifecycle-${fence.epoch}-${++round}`,
                subject: { name: 'system:node-lifecycle' },
                verb: 'update-status',
                fence,
              },
              (tx) =>
                tx.updateStatus(
                  { kind: 'Node', name: node.metadata.name },
                  next,
                  node.metadata.resourceVersion,
                ),
            );
          } catch (error) {
            // A heartbeat that landed since the list wins; a lost lease ends the sweep.
            if (error instanceof FencedError) return;
            if (!(error instanceof StaleVersionError)) throw error;
          }
        }
      };
      const timer = setInterval(() => {
        sweep().catch((error: unknown) =>
          process.emitWarning(`node-lifecycle sweep failed: ${String(error)}`),
        );
      }, options.intervalMs);
      timer.unref();
      return () => {
        stopped = true;
        clearInterval(timer);
      };
    },
  };
}
