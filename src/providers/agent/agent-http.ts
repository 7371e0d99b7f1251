/**
 * The node agent's HTTP client for the Strata API: JSON or text bodies, keep-alive connections (an
 * agent talks to the server every few seconds for as long as it runs), the server's CA trusted for
 * https. Answers carry their status; only a connection failure throws.
 */
import { Agent as HttpAgent, request as httpRequest, type IncomingMessage } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';

export interface AgentConnection {
  readonly server: string;
  readonly token: string;
  /** PEM of the CA to trust for an https server. */
  readonly ca?: string;
}

export interface AgentResponse {
  readonly status: number;
  /** The parsed JSON body; undefined when empty or not JSON. */
  readonly body: unknown;
}

/** The server could not be reached (refused, reset, timed out). */
export class ServerUnreachableError extends Error {
  override readonly name = 'ServerUnreachableError';
}

/** How long one request may take before the agent gives up on it and tries again later. */
const REQUEST_TIMEOUT_MS = 15_000;

export class AgentHttp {
  readonly #connection: AgentConnection;
  readonly #url: URL;
  readonly #agent: HttpAgent | HttpsAgent;

  constructor(connection: AgentConnection) {
    this.#connection = connection;
    this.#url = new URL(connection.server);
    this.#agent =
      this.#url.protocol === 'https:'
        ? new HttpsAgent({ keepAlive: true, ...(connection.ca !== undefined && { ca: connection.ca }) })
        : new HttpAgent({ keepAlive: true });
  }

  get server(): string {
    return this.#connection.server;
  }

  /** A JSON request (or, with `text`, a text/plain body). */
  async request(
    method: string,
    path: string,
    body?: { json?: unknown; text?: Buffer },
  ): Promise<AgentResponse> {
    const response = await this.#send(method, path, body, REQUEST_TIMEOUT_MS);
    const text = await readAll(response);
    let parsed: unknown;
    try {
      parsed = text === '' ? undefined : JSON.parse(text);
    } catch {
      parsed = undefined;
    }
    return { status: response.statusCode ?? 0, body: parsed };
  }

  /** A long-lived GET (a watch); the caller reads and destroys it. */
  stream(path: string): Promise<IncomingMessage> {
    return this.#send('GET', path, undefined, 0);
  }

  close(): void {
    this.#agent.destroy();
  }

  #send(
    method: string,
    path: string,
    body: { json?: unknown; text?: Buffer } | undefined,
    timeoutMs: number,
  ): Promise<IncomingMessage> {
    const url = new URL(path, this.#url);
    const headers: Record<string, string> = {
      accept: 'application/json',
      authorization: `Bearer ${this.#connection.token}`,
    };
    let payload: Buffer | undefined;
    if (body?.text !== undefined) {
      payload = body.text;
      headers['content-type'] = 'text/plain; charset=utf-8';
    } else if (body?.json !== undefined) {
      payload = Buffer.from(JSON.stringify(body.json));
      headers['content-type'] = 'application/json';
    }
    if (payload !== undefined) headers['content-length'] = String(payload.length);
    const send = url.protocol === 'https:' ? httpsRequest : httpRequest;
    return new Promise((resolve, reject) => {
      const req = send(url, { method, headers, agent: this.#agent }, resolve);
      if (timeoutMs > 0) {
        req.setTimeout(timeoutMs, () => req.destroy(new Error(`no answer within ${timeoutMs / 1000} s`)));
      }
      req.on('error', (error: NodeJS.ErrnoException) =>
        reject(
          new ServerUnreachableError(
            `cannot reach the Strata server at ${this.#connection.server} (${error.code ?? error.message})`,
          ),
        ),
      );
      req.end(payload);
    });
  }
}

function readAll(response: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    response.on('data', (chunk: Buffer) => chunks.push(chunk));
    response.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    response.on('error', reject);
  });
}

/** The API's error message from a response body, or the status when it has none. */
export function errorMessage(response: AgentResponse): string {
  const body = response.body as { message?: unknown } | undefined;
  return typeof body?.message === 'string' ? body.message : `HTTP ${response.status}`;
}
