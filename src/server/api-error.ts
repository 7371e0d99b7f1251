import { SelectorSyntaxError } from '../model/label-selector.js';
import type { FieldIssue } from '../model/validation.js';
import {
  AlreadyExistsError,
  BadContinueTokenError,
  NotFoundError,
  RevisionGoneError,
  StaleVersionError,
  StoreUnavailableError,
} from '../store/errors.js';

export type Reason =
  | 'BadRequest'
  | 'Invalid'
  | 'Unauthorized'
  | 'Forbidden'
  | 'NotFound'
  | 'MethodNotAllowed'
  | 'AlreadyExists'
  | 'Conflict'
  | 'Gone'
  | 'RequestEntityTooLarge'
  | 'UnsupportedMediaType'
  | 'NotAcceptable'
  | 'RequestTimeout'
  | 'URITooLong'
  | 'RequestHeaderFieldsTooLarge'
  | 'TooManyRequests'
  | 'InternalError'
  | 'ServiceUnavailable';

/**
 * The one error shape of the API: `{code, reason, message, details: [{field, message}]}`.
 * (A Kubernetes Status has an object in `details`, so kubectl prints its own generic
 * text for our errors rather than this message; the strata CLI prints ours.)
 */
export interface ErrorBody {
  readonly code: number;
  readonly reason: Reason;
  readonly message: string;
  readonly details: readonly FieldIssue[];
}

/** The most field issues one answer lists; the message still counts them all. */
export const MAX_DETAILS = 100;

export class ApiError extends Error {
  override readonly name = 'ApiError';
  constructor(
    readonly code: number,
    readonly reason: Reason,
    message: string,
    readonly details: readonly FieldIssue[] = [],
  ) {
    super(message);
  }

  body(): ErrorBody {
    return { code: this.code, reason: this.reason, message: this.message, details: this.details };
  }

  /**
   * A 422 naming every bad field, up to MAX_DETAILS of them: a 1 MiB body can
   * hold 200,000 bad array items, and an answer twenty times the request helps nobody.
   */
  static invalid(what: string, details: readonly FieldIssue[]): ApiError {
    const first = details[0];
    const summary = first ? `${first.field}: ${first.message}` : 'invalid';
    const more = details.length > 1 ? ` (and ${details.length - 1} more)` : '';
    const shown = details.length > MAX_DETAILS ? details.slice(0, MAX_DETAILS) : details;
    return new ApiError(422, 'Invalid', `${what} is invalid: ${summary}${more}`, shown);
  }

  static badRequest(field: string, message: string): ApiError {
    return new ApiError(400, 'BadRequest', `${field}: ${message}`, [{ field, message }]);
  }

  static notFound(message: string): ApiError {
    return new ApiError(404, 'NotFound', message);
  }
}

/** A 429: the caller is over a rate limit; `retryAfterSeconds` is sent as the retry-after header. */
export class TooManyRequestsError extends ApiError {
  constructor(
    field: string,
    message: string,
    readonly retryAfterSeconds: number,
  ) {
    super(429, 'TooManyRequests', message, [{ field, message }]);
  }
}

/** Domain errors map to HTTP in this one place. */
export function toApiError(error: unknown): ApiError | undefined {
  if (error instanceof ApiError) return error;
  if (error instanceof NotFoundError) return ApiError.notFound(error.message);
  if (error instanceof AlreadyExistsError) return new ApiError(409, 'AlreadyExists', error.message);
  if (error instanceof StaleVersionError) {
    return new ApiError(409, 'Conflict', error.message, [
      { field: 'metadata.resourceVersion', message: `expected ${error.expected}, stored ${error.actual}` },
    ]);
  }
  if (error instanceof RevisionGoneError) {
    return new ApiError(410, 'Gone', error.message, [{ field: 'resourceVersion', message: error.message }]);
  }
  if (error instanceof BadContinueTokenError) return ApiError.badRequest('continue', error.message);
  if (error instanceof SelectorSyntaxError) return ApiError.badRequest('labelSelector', error.message);
  if (error instanceof StoreUnavailableError) return new ApiError(503, 'ServiceUnavailable', error.message);
  return undefined;
}
