import { describe, expect, it } from 'vitest';
import { WatchHub } from '../../src/runtime/watch-hub.js';
import type { Store, StoreEvent } from '../../src/store/store.js';

/** A store whose event log can fail on demand, as PostgreSQL does while it restarts. */
function flakyStore(events: StoreEvent[]) {
  let failing = false;
  let revision = 0;
  const listeners = new Set<(revision: number) => void>();
  const store = {
    currentRevision: async () => revision,
    events: async (after: number) => {
      if (failing) throw new Error('connection terminated');
      return events.filter((e) => e.revision > after);
    },
    onCommit: (listener: (revision: number) => void) => {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
  } as unknown as Store;
  return {
    store,
    fail: (on: boolean) => {
      failing = on;
    },
    commit: (event: StoreEvent) => {
      events.push(event);
      revision = event.revision;
      for (const l of listeners) l(revision);
    },
  };
}

const event = (revision: number): StoreEvent => ({
  revision,
  type: 'ADDED',
  object: {
    apiVersion: 'strata.dev/v1alpha1',
    kind: 'Site',
    metadata: {
      name: `s${revision}`,
      uid: 'u',
      resourceVersion: String(revision),
      generation: 1,
      creationTimestamp: '',
    },
    spec: {},
  },
});

describe('the watch hub', () => {
  it('survives an event log that cannot be read, and delivers the missed events once it can', async () => {
    const unhandled: unknown[] = [];
    const onUnhandled = (reason: unknown) => unhandled.push(reason);
    process.on('unhandledRejection', onUnhandled);
    try {
      const log = flakyStore([]);
      const hub = await WatchHub.start(log.store);
      const seen: number[] = [];
      hub.subscribe(0, (events) => seen.push(...events.map((e) => e.revision)));
      log.fail(true);
      log.commit(event(1));
      await new Promise((resolve) => setTimeout(resolve, 20));
      log.fail(false);
      log.commit(event(2));
      await hub.sync();
      expect(seen).toEqual([1, 2]);
      expect(unhandled).toEqual([]);
      hub.close();
    } finally {
      process.off('unhandledRejection', onUnhandled);
    }
  });
});
