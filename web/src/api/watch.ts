import type { ApiClient } from './client.js';
import { streamLines } from './line-stream.js';

export interface WatchEvent<T> {
  readonly type: 'ADDED' | 'MODIFIED' | 'DELETED';
  readonly object: T;
}

/**
 * Follows a collection through the watch API (`?watch=true`: one JSON event per line)
 * from `revision`. Events are handed over in batches, one per chunk read, so a burst
 * costs one render. `onEnd` runs once when the stream ends, fails or reports an ERROR
 * event (a revision too old to resume from, say): the caller lists again and re-watches.
 * Returns the function that stops it without calling `onEnd`.
 */
export function watchCollection<T>(
  client: ApiClient,
  path: string,
  revision: string,
  onEvents: (events: WatchEvent<T>[]) => void,
  onEnd: (reason: string) => void,
): () => void {
  return streamLines<{ type: string; object: unknown }>(
    client,
    `${path}?watch=true&resourceVersion=${revision}`,
    (items) => {
      const error = items.find((e) => e.type === 'ERROR');
      if (error) return (error.object as { message?: string }).message ?? 'watch error';
      onEvents(items as WatchEvent<T>[]);
      return undefined;
    },
    onEnd,
    'the server ended the watch',
  );
}
