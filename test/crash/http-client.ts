import { Agent, request } from 'node:http';

/** A request's fate as a client sees it: an answer, or no answer at all. */
export type HttpResult =
  | {
      readonly ok: true;
      readonly status: number;
      readonly headers: Readonly<Record<string, string | string[] | undefined>>;
      /** Parsed JSON, or the text when the body is not JSON. */
      readonly body: unknown;
    }
  | {
      readonly ok: false;
      /** ECONNREFUSED, ECONNRESET, TIMEOUT, … : the write may or may not have happened. */
      readonly code: string;
      readonly message: string;
    };

/**
 * Plain HTTP/1.1 JSON calls with keep-alive, over one agent per server
 * incarnation: a killed server's sockets die with it, and the next
 * incarnation (on a new port) gets a fresh agent.
 */
export class JsonClient {
  readonly #agent: Agent;

  constructor(
    readonly baseUrl: string,
    readonly token: string,
    readonly timeoutMs: number,
  ) {
    this.#agent = new Agent({ keepAlive: true, maxSockets: 256 });
  }

  call(method: string, path: string, body?: unknown): Promise<HttpResult> {
    const payload = body === undefined ? undefined : JSON.stringify(body);
    return new Promise((resolve) => {
      let settled = false;
      const done = (result: HttpResult) => {
        if (settled) return;
        settled = true;
        resolve(result);
      };
      const req = request(
        `${this.baseUrl}${path}`,
        {
          method,
          agent: this.#agent,
          headers: {
            authorization: `Bearer ${this.token}`,
            accept: 'application/json',
            ...(payload !== undefined && {
              'content-type': 'application/json',
              'content-length': Buffer.byteLength(payload),
            }),
          },
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (chunk: Buffer) => chunks.push(chunk));
          res.on('error', (error: NodeJS.ErrnoException) =>
            done({ ok: false, code: error.code ?? 'ERESPONSE', message: error.message }),
          );
          // A body cut off by the kill is no answer: the status line alone acknowledges nothing.
          res.on('aborted', () =>
            done({ ok: false, code: 'EABORTED', message: 'response aborted before its end' }),
          );
          res.on('end', () => {
            if (!res.complete) {
              done({ ok: false, code: 'EABORTED', message: 'response ended before its end' });
              return;
            }
            const text = Buffer.concat(chunks).toString('utf8');
            let parsed: unknown = text;
            try {
              parsed = JSON.parse(text);
            } catch {
              // Not JSON: keep the text for the report.
            }
            done({ ok: true, status: res.statusCode ?? 0, headers: res.headers, body: parsed });
          });
        },
      );
      req.setTimeout(this.timeoutMs, () => {
        req.destroy(Object.assign(new Error(`no answer within ${this.timeoutMs} ms`), { code: 'TIMEOUT' }));
      });
      req.on('error', (error: NodeJS.ErrnoException) =>
        done({ ok: false, code: error.code ?? 'EREQUEST', message: error.message }),
      );
      req.end(payload);
    });
  }

  close(): void {
    this.#agent.destroy();
  }
}
