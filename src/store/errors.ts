import { describeKey, type ObjectKey } from '../model/object.js';

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
