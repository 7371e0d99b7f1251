import { describeKey, type ObjectKey } from '../model/object.js';
import type { Fence, Lease } from './store.js';

/** The object does not exist (or is not visible to the caller). */
export class NotFoundError extends Error {
  override readonly name = 'NotFoundError';
  constructor(readonly key: ObjectKey) {
    super(`${describeKey(key)} not found`);
  }
}

/** A create collided with an existing object. */
export class AlreadyExistsError extends Error {
  override readonly name = 'AlreadyExistsError';
  constructor(readonly key: ObjectKey) {
    super(`${describeKey(key)} already exists`);
  }
}

/** A conditional write named a resourceVersion that is no longer current. */
export class StaleVersionError extends Error {
  override readonly name = 'StaleVersionError';
  constructor(
    readonly key: ObjectKey,
    readonly expected: string,
    readonly actual: string,
  ) {
    super(
      `${describeKey(key)} has been modified: the write expected resourceVersion ${expected} but the stored object is at ${actual}; read it again and retry`,
    );
  }
}

/** A write made under a leadership that has since been lost: a deposed leader never writes a decision. */
export class FencedError extends Error {
  override readonly name = 'FencedError';
  constructor(
    readonly fence: Fence,
    readonly current: Lease | undefined,
  ) {
    super(
      `write refused: ${fence.holder} no longer holds lease ${fence.lease} at epoch ${fence.epoch}` +
        (current ? ` (now ${current.holder}, epoch ${current.epoch})` : ''),
    );
  }
}

/** A watch or event read asked for revisions that have been compacted away. */
export class RevisionGoneError extends Error {
  override readonly name = 'RevisionGoneError';
  constructor(
    readonly requested: number,
    readonly oldest: number,
  ) {
    super(
      `revision ${requested} is too old: the event log starts after revision ${oldest}; list again and watch from the list's resourceVersion`,
    );
  }
}

/** A list's `continue` token was not one the store handed out. */
export class BadContinueTokenError extends Error {
  override readonly name = 'BadContinueTokenError';
  constructor(readonly token: string) {
    super(
      'the continue token is not valid: pass the token from the previous page unchanged, or list from the start',
    );
  }
}

/**
 * The database could not be reached or dropped the connection (restarting,
 * failing over, network down, out of connections). Nothing is known to be
 * wrong with the request: retry once the database is back. A write that failed
 * this way while committing may or may not have been applied, so read before
 * retrying a create.
 */
export class StoreUnavailableError extends Error {
  override readonly name = 'StoreUnavailableError';
  constructor(
    /** What the driver said, e.g. "Connection terminated unexpectedly". */
    readonly reason: string,
    options?: { readonly cause?: unknown },
  ) {
    super(
      `the store's database is unavailable (${reason}); retry shortly: a write that failed this way may or may not have been applied`,
      options,
    );
  }
}
