/**
 * A WorkloadPort over the Store that keeps the workloads a runner has work in, in memory, and follows
 * the store's event log instead of listing every Workload on each change. The runner syncs on every
 * commit; a full list (and the runner's parse of each item) on each of them made the work per commit
 * grow with every workload ever submitted, finished ones included, and that queueing was most of the
 * submit → running latency under load (bench/local-provider.ts).
 *
 * `list` returns only the workloads `relevant` keeps (`holdsBooking`, or for the local provider:
 * holding a booking on its node). To the runner a workload that leaves the set is gone, which is what it would do with
 * it anyway: stop its pods here and forget it. Writes, `get` and `node` go to the wrapped port.
 */
import type { ApiObject } from '../model/object.js';
import type { WorkloadStatus } from '../model/scheduling.js';
import { HOLDING_PHASES } from '../model/workload-history.js';
import { RevisionGoneError } from '../store/errors.js';
import type { Store } from '../store/store.js';
import type { WorkloadPort } from './workload-port.js';

/** Whether the workload holds a booking (Admitted or Running): the only ones a runner has work in. */
export function holdsBooking(workload: ApiObject, onNode?: (node: string) => boolean): boolean {
  const status = workload.status as WorkloadStatus | undefined;
  if (status?.admission === undefined || !HOLDING_PHASES.has(status.phase)) return false;
  return onNode === undefined || status.admission.pods.some((p) => onNode(p.node));
}

/** Events read per query while catching up. */
const BATCH = 1000;

export function incrementalWorkloadPort(
  store: Store,
  base: WorkloadPort,
  relevant: (workload: ApiObject) => boolean,
): WorkloadPort {
  const kept = new Map<string, ApiObject>();
  let revision: number | undefined;
  let catchingUp: Promise<boolean> | undefined;
  let again = false;

  const keyOf = (o: ApiObject) => `${o.metadata.project ?? ''}/${o.metadata.name}`;
  /** Keeps the newer of what is held and what `object` says (a relist may have read ahead of the log). */
  const apply = (object: ApiObject, deleted: boolean): boolean => {
    const key = keyOf(object);
    const held = kept.get(key);
    if (held && Number(held.metadata.resourceVersion) > Number(object.metadata.resourceVersion)) return false;
    if (!deleted && relevant(object)) {
      kept.set(key, object);
      return true;
    }
    return kept.delete(key);
  };

  const relist = async (): Promise<void> => {
    kept.clear();
    let cont: string | undefined;
    let first: number | undefined;
    do {
      const page = await store.list({ kind: 'Workload', limit: BATCH, ...(cont ? { continue: cont } : {}) });
      first ??= page.revision;
      for (const o of page.items) apply(o, false);
      cont = page.continue;
    } while (cont);
    // Pages read after the first may be newer; replaying the log from the first keeps the newest.
    revision = first;
  };

  /** Brings the set up to the log's head; true when a Workload changed (or the set was rebuilt). */
  const follow = async (): Promise<boolean> => {
    if (revision === undefined) {
      await relist();
      return true;
    }
    let changed = false;
    for (;;) {
      let events: Awaited<ReturnType<Store['events']>>;
      try {
        events = await store.events(revision, BATCH);
      } catch (error) {
        if (!(error instanceof RevisionGoneError)) throw error;
        await relist();
        return true;
      }
      for (const event of events) {
        revision = event.revision;
        if (event.object.kind !== 'Workload') continue;
        changed = apply(event.object, event.type === 'DELETED') || changed;
      }
      if (events.length < BATCH) return changed;
    }
  };

  /** One catch-up at a time; a request during one runs another right after it. */
  const catchUp = (): Promise<boolean> => {
    if (catchingUp) {
      again = true;
      return catchingUp;
    }
    const run = async () => {
      let changed = false;
      try {
        do {
          again = false;
          changed = (await follow()) || changed;
        } while (again);
        return changed;
      } finally {
        catchingUp = undefined;
      }
    };
    catchingUp = run();
    return catchingUp;
  };

  return {
    async list() {
      await catchUp();
      return [...kept.values()];
    },
    get: (ref) => base.get(ref),
    node: (name) => base.node(name),
    watch(listener) {
      return store.onCommit(() => {
        catchUp().then(
          (changed) => {
            if (changed) listener();
          },
          // The next commit or the runner's resync tries again; a relist then repairs the set.
          () => {
            revision = undefined;
          },
        );
      });
    },
    writeStatus: (ref, status, resourceVersion) => base.writeStatus(ref, status, resourceVersion),
  };
}
