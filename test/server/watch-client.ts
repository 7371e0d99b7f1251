import type { Json, TestPlane } from '../support/control-plane.js';

/** One watch event as the client saw it; `id` is the SSE `id:` line, when there is one. */
export interface WatchEvent {
  readonly type: string;
  readonly object: Json;
  readonly id?: string;
}

/** How long a test waits for a stream before failing, rather than hanging. */
const DEFAULT_WAIT_MS = 5_000;

export interface WatchStream {
  readonly status: number;
  readonly headers: Headers;
  /** The error body, when the server refused the watch. */
  readonly error: Json;
  /** The next event; fails after `timeoutMs` without one, or when the stream ends. */
  next(timeoutMs?: number): Promise<WatchEvent>;
  /** Reads events up to and including the first for which `done` holds. */
  until(done: (event: WatchEvent) => boolean, timeoutMs?: number): Promise<WatchEvent[]>;
  /** Reads until the server ends the stream (for example after `timeoutSeconds`). */
  rest(timeoutMs?: number): Promise<WatchEvent[]>;
  close(): void;
}

/**
 * Opens a watch over the real socket with fetch and reads it incrementally:
 * the Kubernetes format (one JSON event per line), or Server-Sent Events when
 * the request accepts text/event-stream. Every read has a deadline, so a test
 * can fail but never hang.
 */
export async function openWatch(
  plane: TestPlane,
  path: string,
  options: { token?: string; headers?: Record<string, string>; headersWithinMs?: number } = {},
): Promise<WatchStream> {
  const controller = new AbortController();
  const headersWithin = options.headersWithinMs ?? DEFAULT_WAIT_MS;
  const connectTimer = setTimeout(() => controller.abort(), headersWithin);
  const response = await fetch(`${plane.url}${path}`, {
    headers: { authorization: `Bearer ${options.token ?? plane.adminToken}`, ...options.headers },
    signal: controller.signal,
  })
    .catch((error: unknown) => {
      throw controller.signal.aborted
        ? new Error(`the watch sent no response headers within ${headersWithin} ms`)
        : error;
    })
    .finally(() => clearTimeout(connectTimer));
  const sse = (response.headers.get('content-type') ?? '').startsWith('text/event-stream');

  if (response.status !== 200) {
    const text = await response.text();
    let error: Json = text;
    try {
      error = JSON.parse(text);
    } catch {
      // keep the text
    }
    const refused = () => Promise.reject(new Error(`the watch was refused: ${response.status} ${text}`));
    return {
      status: response.status,
      headers: response.headers,
      error,
      next: refused,
      until: refused,
      rest: refused,
      close: () => controller.abort(),
    };
  }

  const reader = response.body!.getReader();
  const decoder = new TextDecoder();
  const queue: WatchEvent[] = [];
  const seen: WatchEvent[] = [];
  let buffer = '';
  let ended = false;
  let pending: ReturnType<typeof reader.read> | undefined;

  const parse = () => {
    const separator = sse ? '\n\n' : '\n';
    for (let at = buffer.indexOf(separator); at >= 0; at = buffer.indexOf(separator)) {
      const frame = buffer.slice(0, at);
      buffer = buffer.slice(at + separator.length);
      const event = sse ? parseSseFrame(frame) : frame.trim() === '' ? undefined : JSON.parse(frame);
      if (event) {
        queue.push(event);
        seen.push(event);
      }
    }
  };

  /** Reads one chunk; false when the deadline passed first. */
  const readChunk = async (deadline: number): Promise<boolean> => {
    pending ??= reader.read();
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<'timeout'>((resolve) => {
      timer = setTimeout(() => resolve('timeout'), Math.max(0, deadline - Date.now()));
    });
    const result = await Promise.race([pending, timeout]).finally(() => clearTimeout(timer));
    if (result === 'timeout') return false;
    pending = undefined;
    if (result.done) ended = true;
    else buffer += decoder.decode(result.value, { stream: true });
    parse();
    return true;
  };

  const describeSeen = () =>
    seen.map((e) => `${e.type} ${e.object?.metadata?.name ?? e.object?.message ?? ''}`).join(', ') || 'none';

  const next = async (timeoutMs = DEFAULT_WAIT_MS): Promise<WatchEvent> => {
    const deadline = Date.now() + timeoutMs;
    while (queue.length === 0) {
      if (ended) throw new Error(`the watch stream ended; events seen: ${describeSeen()}`);
      if (!(await readChunk(deadline))) {
        throw new Error(`no watch event within ${timeoutMs} ms; events seen: ${describeSeen()}`);
      }
    }
    return queue.shift()!;
  };

  return {
    status: response.status,
    headers: response.headers,
    error: undefined,
    next,
    async until(done, timeoutMs = DEFAULT_WAIT_MS) {
      const deadline = Date.now() + timeoutMs;
      const events: WatchEvent[] = [];
      for (;;) {
        const event = await next(Math.max(1, deadline - Date.now()));
        events.push(event);
        if (done(event)) return events;
      }
    },
    async rest(timeoutMs = DEFAULT_WAIT_MS) {
      const deadline = Date.now() + timeoutMs;
      while (!ended) {
        if (!(await readChunk(deadline))) {
          throw new Error(`the watch stream did not end within ${timeoutMs} ms`);
        }
      }
      return queue.splice(0);
    },
    close() {
      pending?.catch(() => undefined);
      controller.abort();
    },
  };
}

function parseSseFrame(frame: string): WatchEvent | undefined {
  let type: string | undefined;
  let id: string | undefined;
  const data: string[] = [];
  for (const line of frame.split('\n')) {
    if (line.startsWith(':')) continue;
    const colon = line.indexOf(':');
    const field = colon < 0 ? line : line.slice(0, colon);
    const value = colon < 0 ? '' : line.slice(colon + 1).replace(/^ /, '');
    if (field === 'event') type = value;
    else if (field === 'id') id = value;
    else if (field === 'data') data.push(value);
  }
  if (type === undefined && data.length === 0) return undefined;
  return {
    type: type ?? 'message',
    object: data.length === 0 ? undefined : JSON.parse(data.join('\n')),
    ...(id !== undefined && { id }),
  };
}
