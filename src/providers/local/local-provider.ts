/**
 * The local provider as a leader-only controller: while this replica leads, its WorkloadRunner runs
 * the pods admitted onto the `local` node as child processes, and it heartbeats the node (Ready) so
 * node lifecycle and admission see a live node. Deposed or stopped, its pods are stopped: only the
 * leader's machine runs local work.
 */

import type { Controller } from '../../controllers/controller.js';
import type { NodeStatus } from '../../model/fleet.js';
import type { Clock } from '../../runtime/clock.js';
import { FencedError } from '../../store/errors.js';
import type { Fence, Store } from '../../store/store.js';
import { holdsBooking, incrementalWorkloadPort } from '../incremental-workload-port.js';
import { writeNodeStatus } from '../node-status-write.js';
import { storeWorkloadPort } from '../workload-port.js';
import { WorkloadRunner } from '../workload-runner.js';
import { LocalProcessRuntime } from './local-process-runtime.js';
import type { PodLogSink } from './pod-log-store.js';

export interface LocalProviderOptions {
  readonly node: string;
  readonly logs: PodLogSink;
  /** Between heartbeats; well under the node grace (40 s) of node lifecycle. Default 10 s. */
  readonly heartbeatMs?: number;
  readonly killGraceMs?: number;
  readonly onError?: (error: unknown) => void;
}

export interface LocalProviderController extends Controller {
  /** Resolves once the pods of the last term have ended (the runtime is closed). */
  closed(): Promise<void>;
}

const SUBJECT = 'system:local-provider';

export function localProviderController(options: LocalProviderOptions): LocalProviderController {
  let closing: Promise<void> = Promise.resolve();
  const report = options.onError ?? ((e: unknown) => process.emitWarning(`local provider: ${String(e)}`));
  return {
    name: 'local-provider',
    closed: () => closing,
    start({ store, clock, fence }) {
      const runtime = new LocalProcessRuntime({
        clock,
        logs: options.logs,
        ...(options.killGraceMs !== undefined && { killGraceMs: options.killGraceMs }),
      });
      const runner = new WorkloadRunner({
        port: incrementalWorkloadPort(store, storeWorkloadPort(store, { subject: SUBJECT, fence }), (w) =>
          holdsBooking(w, (node) => node === options.node),
        ),
        runtime,
        owns: (node) => node === options.node,
        clock,
        onError: report,
      });
      let stopped = false;
      let beats = 0;
      const beat = () => {
        if (stopped) return;
        heartbeat(store, clock, fence, options.node, ++beats).catch((error: unknown) => {
          if (error instanceof FencedError) return;
          report(error);
        });
      };
      beat();
      const timer = setInterval(beat, options.heartbeatMs ?? 10_000);
      timer.unref();
      runner.start();
      return () => {
        stopped = true;
        clearInterval(timer);
        closing = runner.stop().then(
          () => runtime.close(),
          () => runtime.close(),
        );
      };
    },
  };
}

/** Whether a workload holds a booking with a pod on `node`: the runner has work in it. */
/** Marks the node Ready now; a write that lost a race with another status write waits for the next beat. */
async function heartbeat(
  store: Store,
  clock: Clock,
  fence: Fence,
  node: string,
  beat: number,
): Promise<void> {
  const current = await store.get({ kind: 'Node', name: node });
  if (!current) return;
  const status: NodeStatus = {
    ...(current.status as NodeStatus | undefined),
    state: 'Ready',
    lastHeartbeat: clock.now().toISOString(),
    message: 'the control plane runs this node’s pods as local processes',
  };
  await writeNodeStatus(
    store,
    { subject: SUBJECT, requestId: `local-heartbeat-${fence.epoch}-${beat}`, fence },
    node,
    status,
    current.metadata.resourceVersion,
  );
}
