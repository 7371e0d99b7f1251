import type { ApiClient } from './client.js';

/**
 * Follows a response of one JSON value per line (the audit stream), handing over each chunk's
 * complete lines as one batch. `onEnd` runs once when the stream ends or fails; the returned
 * function stops it without calling `onEnd`.
 */
export function streamLines<T>(
  client: ApiClient,
  path: string,
  onItems: (items: T[]) => void,
  onEnd: (reason: string) => void,
): () => void {
  const abort = new AbortController();
  const run = async () => {
    const response = await client.response(path, { signal: abort.signal });
    const reader = response.body!.pipeThrough(new TextDecoderStream()).getReader();
    let buffer = '';
    for (;;) {
      const { done, value } = await reader.read();
      if (done) return 'the server ended the stream';
      buffer += value;
      const lines = buffer.split('\n');
      buffer = lines.pop() ?? '';
      const items = lines.filter((l) => l.trim() !== '').map((l) => JSON.parse(l) as T);
      if (items.length > 0) onItems(items);
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
