/**
 * How a workload runner reads and writes Workloads. In the control plane it is the Store itself;
 * a node agent implements it over the HTTP API. Status writes are conditional on the
 * resourceVersion read, so two runners (two agents sharing a gang, or a runner and the admission
 * controller) never overwrite each other: a 'conflict' means read again and reapply.
 */
import type { ApiObject } from '../model/object.js';
import type { WorkloadStatus } from '../model/scheduling.js';
import { NotFoundError, StaleVersionError } from '../store/errors.js';
import type { Fence, Store } from '../store/store.js';

export interface WorkloadRef {
  readonly name: string;
  readonly project?: string;
}

export type StatusWrite = 'written' | 'conflict' | 'gone';

export interface WorkloadPort {
  /** Every Workload (the runner keeps those with pods on its nodes). */
  list(): Promise<readonly ApiObject[]>;
  get(ref: WorkloadRef): Promise<ApiObject | undefined>;
  node(name: string): Promise<ApiObject | undefined>;
  /** Calls `listener` whenever workloads may have changed; returns the unsubscribe function. */
  watch(listener: () => void): () => void;
  writeStatus(ref: WorkloadRef, status: WorkloadStatus, resourceVersion: string): Promise<StatusWrite>;
}

/** The Store as a WorkloadPort, writing as `subject` (under `fence` for leader-only runners). */
export function storeWorkloadPort(store: Store, options: { subject: string; fence?: Fence }): WorkloadPort {
  let seq = 0;
  const prefix = `${options.subject}-${Date.now().toString(36)}`;
  return {
    async list() {
      const items: ApiObject[] = [];
      let cont: string | undefined;
      do {
        const page = await store.list({ kind: 'Workload', limit: 1000, ...(cont ? { continue: cont } : {}) });
        items.push(...page.items);
        cont = page.continue;
      } while (cont);
      return items;
    },
    get: (ref) =>
      store.get({
        kind: 'Workload',
        name: ref.name,
        ...(ref.project !== undefined && { project: ref.project }),
      }),
    node: (name) => store.get({ kind: 'Node', name }),
    watch: (listener) => store.onCommit(() => listener()),
    async writeStatus(ref, status, resourceVersion) {
      try {
        await store.write(
          {
            requestId: `${prefix}-${++seq}`,
            subject: { name: options.subject },
            verb: 'update-status',
            ...(options.fence && { fence: options.fence }),
          },
          (tx) =>
            tx.updateStatus(
              {
                kind: 'Workload',
                name: ref.name,
                ...(ref.project !== undefined && { project: ref.project }),
              },
              status,
              resourceVersion,
            ),
        );
        return 'written';
      } catch (error) {
        if (error instanceof StaleVersionError) return 'conflict';
        if (error instanceof NotFoundError) return 'gone';
        throw error;
      }
    },
  };
}
