import type { ApiClient } from './client.js';

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
  const abort = new AbortController();
  const run = async () => {
    const response = await client.response(`${path}?watch=true&resourceVersion=${revision}`, {
      signal: abort.signal,
    });
    const reader = response.body!.pipeThrough(new TextDecoderStream()).getReader();
    let buffer = '';
    for (;;) {
      const { done, value } = await reader.read();
      if (done) return 'the server ended the watch';
      buffer += value;
      const lines = buffer.split('\n');
      buffer = lines.pop() ?? '';
      const events: WatchEvent<T>[] = [];
      for (const line of lines) {
        if (line.trim() === '') continue;
        const event = JSON.parse(line) as { type: string; object: unknown };
        if (event.type === 'ERROR') return (event.object as { message?: string }).message ?? 'watch error';
        events.push(event as WatchEvent<T>);
      }
      if (events.length > 0) onEvents(events);
    }
  };
  run().then(
    (reason) => {
      if (!abort.signal.aborted) onEnd(reason);
    },
    (error: Error) => {
      if (!abort.signal.aborted) onEnd(error.message);
    },
  );
  return () => abort.abort();
}
