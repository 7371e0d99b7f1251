import { request as httpRequest, type IncomingMessage } from 'node:http';
import { request as httpsRequest } from 'node:https';
import type { ErrorBody } from '../server/api-error.js';
import type { Connection } from './context-file.js';

/** The server answered with an error; carries the API's error body. */
export class ApiClientError extends Error {
  override readonly name = 'ApiClientError';
  constructor(
    readonly status: number,
    readonly body: ErrorBody,
  ) {
    super(body.message);
  }
}

/** The server could not be reached at all. */
export class UnreachableError extends Error {
  override readonly name = 'UnreachableError';
}

export interface Response<T> {
  readonly status: number;
  readonly headers: IncomingMessage['headers'];
  readonly body: T;
}

/** A thin HTTP(S) client for the Strata API; trusts the CA of the connection for https. */
export class StrataClient {
  constructor(readonly connection: Connection) {}

  async request<T>(method: string, path: string, body?: unknown): Promise<Response<T>> {
    const response = await this.#send(method, path, body, 'application/json');
    const text = await readAll(response);
    const parsed = text === '' ? undefined : safeJson(text);
    const status = response.statusCode ?? 0;
    if (status >= 400) throw new ApiClientError(status, errorBody(status, parsed, text));
    return { status, headers: response.headers, body: parsed as T };
  }

  /** For streams (watch, audit export): the response, once its status is known to be good. */
  async stream(path: string, accept = 'application/json'): Promise<IncomingMessage> {
    const response = await this.#send('GET', path, undefined, accept);
    const status = response.statusCode ?? 0;
    if (status >= 400) {
      const text = await readAll(response);
      throw new ApiClientError(status, errorBody(status, safeJson(text), text));
    }
    response.setEncoding('utf8');
    return response;
  }

  #send(method: string, path: string, body: unknown, accept: string): Promise<IncomingMessage> {
    const url = new URL(path, this.connection.server);
    const payload = body === undefined ? undefined : JSON.stringify(body);
    const headers: Record<string, string> = { accept };
    if (this.connection.token) headers.authorization = `Bearer ${this.connection.token}`;
    if (payload !== undefined) {
      headers['content-type'] = 'application/json';
      headers['content-length'] = String(Buffer.byteLength(payload));
    }
    const send = url.protocol === 'https:' ? httpsRequest : httpRequest;
    return new Promise((resolve, reject) => {
      const req = send(
        url,
        { method, headers, ...(this.connection.ca !== undefined && { ca: this.connection.ca }) },
        resolve,
      );
      req.on('error', (error: NodeJS.ErrnoException) =>
        reject(connectionError(this.connection.server, error)),
      );
      req.end(payload);
    });
  }
}

const UNTRUSTED_CERTIFICATE = new Set([
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'CERT_HAS_EXPIRED',
  'ERR_TLS_CERT_ALTNAME_INVALID',
]);

function connectionError(server: string, error: NodeJS.ErrnoException): UnreachableError {
  const code = error.code ?? error.message;
  if (UNTRUSTED_CERTIFICATE.has(code)) {
    return new UnreachableError(
      `the TLS certificate of ${server} is not trusted (${code}); pass --ca-file <data-dir>/tls/ca.crt (or STRATA_CA_FILE), or use the context \`strata up\` saved`,
    );
  }
  return new UnreachableError(
    `cannot reach the Strata server at ${server} (${code}); is \`strata up\` running? (set --server or STRATA_SERVER to point elsewhere)`,
  );
}

function readAll(response: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    response.on('data', (chunk: Buffer) => chunks.push(chunk));
    response.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    response.on('error', reject);
  });
}

function errorBody(status: number, parsed: unknown, text: string): ErrorBody {
  if (parsed && typeof parsed === 'object' && 'message' in parsed) {
    const body = parsed as Partial<ErrorBody>;
    return {
      code: status,
      reason: body.reason ?? 'InternalError',
      message: String(body.message),
      details: body.details ?? [],
    };
  }
  return { code: status, reason: 'InternalError', message: text || `HTTP ${status}`, details: [] };
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}
