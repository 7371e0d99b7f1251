import type { Store } from '../store/store.js';

/**
 * Calls `fn` after the store's commits, at most once per `ms`: the first commit of a quiet spell
 * schedules a call `ms` later and the commits until then ride along. For loops that re-read part of
 * the store on change, so the heartbeats of a large fleet cost one read per `ms`, not one per commit.
 * Returns the function that stops it.
 */
export function onCommitsThrottled(store: Store, ms: number, fn: () => void): () => void {
  let timer: NodeJS.Timeout | undefined;
  let stopped = false;
  const unsubscribe = store.onCommit(() => {
    if (timer || stopped) return;
    timer = setTimeout(() => {
      timer = undefined;
      if (!stopped) fn();
    }, ms);
    timer.unref();
  });
  return () => {
    stopped = true;
    unsubscribe();
    if (timer) clearTimeout(timer);
  };
}
