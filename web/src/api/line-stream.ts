import type { ApiClient } from './client.js';

/**
 * Follows a response of one JSON value per line (the audit stream, a watch), handing over each
 * chunk's complete lines as one batch; `onItems` may return a reason to end the stream there.
 * `onEnd` runs once when the stream ends, fails or is ended so; the returned function stops it
 * without calling `onEnd`.
 */
export function streamLines<T>(
  client: ApiClient,
  path: string,
  onItems: (items: T[]) => string | undefined,
  onEnd: (reason: string) => void,
  endedByServer = 'the server ended the stream',
): () => void {
  const abort = new AbortController();
  const run = async () => {
    const response = await client.response(path, { signal: abort.signal });
    const reader = response.body!.pipeThrough(new TextDecoderStream()).getReader();
    let buffer = '';
    for (;;) {
      const { done, value } = await reader.read();
      if (done) return endedByServer;
      buffer += value;
      const lines = buffer.split('\n');
      buffer = lines.pop() ?? '';
      const items = lines.filter((l) => l.trim() !== '').map((l) => JSON.parse(l) as T);
      if (items.length === 0) continue;
      const end = onItems(items);
      if (typeof end === 'string') return end;
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
