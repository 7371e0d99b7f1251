import { SelectorSyntaxError } from '../model/label-selector.js';
import type { FieldIssue } from '../model/validation.js';
import {
  AlreadyExistsError,
  BadContinueTokenError,
  NotFoundError,
  RevisionGoneError,
  StaleVersionError,
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

  static invalid(what: string, details: readonly FieldIssue[]): ApiError {
    const first = details[0];
    const summary = first ? `${first.field}: ${first.message}` : 'invalid';
    const more = details.length > 1 ? ` (and ${details.length - 1} more)` : '';
    return new ApiError(422, 'Invalid', `${what} is invalid: ${summary}${more}`, details);
  }

  static badRequest(field: string, message: string): ApiError {
    return new ApiError(400, 'BadRequest', `${field}: ${message}`, [{ field, message }]);
  }

  static notFound(message: string): ApiError {
    return new ApiError(404, 'NotFound', message);
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
  return undefined;
}
