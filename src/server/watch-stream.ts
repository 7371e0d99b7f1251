import type { FastifyReply, FastifyRequest } from 'fastify';
import type { KindDefinition } from '../model/kinds.js';
import { type LabelSelector, matchesSelector } from '../model/label-selector.js';
import type { ApiObject } from '../model/object.js';
import type { StoreEvent } from '../store/store.js';
import { ApiError, toApiError } from './api-error.js';
import type { AppContext } from './app.js';

export interface WatchRequest {
  readonly def: KindDefinition;
  readonly project?: string;
  readonly name?: string;
  readonly selector?: LabelSelector;
}

const HEARTBEAT_MS = 15_000;
/** The longest timer Node keeps (2^31 - 1 ms); a longer one fires at once, ending the watch. */
const MAX_TIMEOUT_S = Math.floor(0x7fffffff / 1000);

type Frame = { type: StoreEvent['type'] | 'ERROR'; object: unknown; revision?: number };

/**
 * A watch: the Kubernetes wire format (one JSON event per line, chunked) by
 * default, or Server-Sent Events when the client accepts text/event-stream.
 * Without a resourceVersion (or with "0") it first sends the current objects
 * as ADDED, like Kubernetes; with one, every change after it, resumed from the
 * event log. SSE clients resume with Last-Event-ID.
 */
export async function serveWatch(
  ctx: AppContext,
  request: FastifyRequest,
  reply: FastifyReply,
  watch: WatchRequest,
): Promise<void> {
  const requestCtx = ctx.context(request);
  const query = request.query as Record<string, string | undefined>;
  const sse = (request.headers.accept ?? '').includes('text/event-stream');
  const lastEventId = request.headers['last-event-id'];
  const from = typeof lastEventId === 'string' && sse ? lastEventId : query.resourceVersion;
  if (from !== undefined && from !== '' && !/^\d+$/.test(from)) {
    throw ApiError.badRequest('resourceVersion', 'must be a decimal revision number');
  }
  const timeout = query.timeoutSeconds === undefined ? undefined : Number(query.timeoutSeconds);
  if (timeout !== undefined && (!Number.isInteger(timeout) || timeout < 1 || timeout > MAX_TIMEOUT_S)) {
    throw ApiError.badRequest(
      'timeoutSeconds',
      `must be a whole number of seconds from 1 to ${MAX_TIMEOUT_S}`,
    );
  }

  const replay = from === undefined || from === '' || from === '0';
  const listPage = (limit: number, cont?: string) =>
    ctx.resources.list(requestCtx, watch.def, {
      ...(watch.project !== undefined && { project: watch.project }),
      ...(watch.selector !== undefined && { selector: watch.selector }),
      limit,
      ...(cont !== undefined && { continue: cont }),
    });
  // The first page authorises the watch exactly as a list, before any byte of the stream is sent.
  const first = await listPage(replay ? 500 : 1);
  const visible = ctx.resources.visibility(requestCtx.principal, watch.def, 'watch');
  // The list pages are already read this way; live events come from the store as written.
  const read = ctx.resources.reader(requestCtx.principal, watch.def);
  const inScope = (object: ApiObject) =>
    object.kind === watch.def.kind &&
    (watch.project === undefined || object.metadata.project === watch.project) &&
    (watch.name === undefined || object.metadata.name === watch.name) &&
    visible(object);
  const selected = (labels: ApiObject['metadata']['labels']) =>
    watch.selector === undefined || matchesSelector(watch.selector, labels);
  const matches = (object: ApiObject) => inScope(object) && selected(object.metadata.labels);
  /**
   * What a subscriber of this selector sees of an event: a label change that
   * moves an object into the selector is ADDED, out of it DELETED (as in Kubernetes).
   */
  const seen = (event: StoreEvent): StoreEvent['type'] | undefined => {
    if (!inScope(event.object)) return undefined;
    const now = selected(event.object.metadata.labels);
    if (event.type !== 'MODIFIED') return now ? event.type : undefined;
    const before = selected(event.previousLabels ?? event.object.metadata.labels);
    if (now) return before ? 'MODIFIED' : 'ADDED';
    return before ? 'DELETED' : undefined;
  };

  reply.hijack();
  const raw = reply.raw;
  raw.writeHead(200, {
    'content-type': sse ? 'text/event-stream' : 'application/json',
    'cache-control': 'no-cache',
    'x-request-id': String(request.id),
  });
  // Send the status line now: a watch on a quiet collection may not write anything for a long time.
  raw.flushHeaders();
  const write = (frame: Frame) => {
    if (sse) {
      const id = frame.revision === undefined ? '' : `id: ${frame.revision}\n`;
      raw.write(`event: ${frame.type}\n${id}data: ${JSON.stringify(frame.object)}\n\n`);
    } else {
      raw.write(`${JSON.stringify({ type: frame.type, object: frame.object })}\n`);
    }
  };

  const start = replay ? first.revision : Number(from);
  if (replay) {
    let page = first;
    for (;;) {
      for (const object of page.items)
        if (matches(object)) write({ type: 'ADDED', object, revision: page.revision });
      if (page.continue === undefined) break;
      page = await listPage(500, page.continue);
    }
  }

  ctx.metrics.watches.inc();
  let closed = false;
  const close = () => {
    if (closed) return;
    closed = true;
    unsubscribe();
    clearInterval(heartbeat);
    if (timer) clearTimeout(timer);
    ctx.metrics.watches.dec();
    ctx.watches.delete(close);
    raw.end();
  };
  ctx.watches.add(close);
  const unsubscribe = ctx.hub.subscribe(
    start,
    (events) => {
      for (const event of events) {
        const type = seen(event);
        if (type !== undefined) write({ type, object: read(event.object), revision: event.revision });
      }
    },
    (error) => {
      const api = toApiError(error) ?? new ApiError(500, 'InternalError', 'the watch failed');
      write({ type: 'ERROR', object: api.body() });
      close();
    },
  );
  const heartbeat = setInterval(() => {
    if (sse) raw.write(': keep-alive\n\n');
  }, HEARTBEAT_MS);
  const timer = timeout === undefined ? undefined : setTimeout(close, timeout * 1000);
  request.raw.on('close', close);
}
