import { type AuditInput, type AuditRecord, GENESIS_HASH } from './audit-event.js';
import { canonicalJson } from './canonical-json.js';
import { sha256Hex } from './digest.js';

/** The end of a chain: what the next record links to. */
export interface ChainLink {
  readonly seq: number;
  readonly hash: string;
}

/** The chain before the first record. */
export const GENESIS: ChainLink = { seq: 0, hash: GENESIS_HASH };

/**
 * SHA-256(prevHash + canonicalJSON(record without hash)). Setting `hash` to
 * undefined drops it from the canonical JSON without copying the record twice.
 */
export function recordHash(record: Omit<AuditRecord, 'hash'> & { readonly hash?: string }): string {
  return sha256Hex(record.prevHash + canonicalJson({ ...record, hash: undefined }));
}

/** Appends `input` after `prev` (undefined: the chain is empty). Pure. */
export function chainRecord(prev: ChainLink | undefined, input: AuditInput): AuditRecord {
  const link = prev ?? GENESIS;
  const unsigned = { ...input, seq: link.seq + 1, prevHash: link.hash };
  return { ...unsigned, hash: recordHash(unsigned) };
}

/**
 * - edited: a record's content no longer matches its own hash;
 * - deleted: seqs jump forward and the missing ones never turn up;
 * - inserted: two records claim the same seq;
 * - reordered: seqs jump forward and the missing one turns up later;
 * - bad-link: a record's prevHash is not its predecessor's hash (the predecessor was
 *   rewritten with a fresh hash, or this record was forged to sit here).
 */
export type ChainProblem = 'edited' | 'deleted' | 'inserted' | 'reordered' | 'bad-link';

export interface ChainBreak {
  /** The seq where the chain first breaks: the record that fails, or the first missing one. */
  readonly seq: number;
  readonly problem: ChainProblem;
  readonly message: string;
}

export type ChainVerdict =
  | { readonly ok: true; readonly count: number; readonly head: string }
  | {
      readonly ok: false;
      /** Records verified before the break. */
      readonly count: number;
      readonly firstBad: ChainBreak;
    };

/**
 * Verifies a chain fed one record at a time (pages from the API, lines of a
 * JSONL export), in O(1) memory.
 *
 * Verification stops at the first break. Only a forward jump in seq needs to
 * look further before it can be named: the missing record may turn up later
 * (reordered), the record that jumped ahead may turn up again (inserted), or
 * neither (deleted). So after such a jump the verifier keeps reading seqs,
 * without hashing, and names the problem in `result()`.
 *
 * A verified chain proves its records are intact relative to each other; a
 * truncated tail is only visible by comparing `head` with a head kept elsewhere.
 */
export class ChainVerifier {
  readonly #anchor: ChainLink;
  #last: ChainLink;
  #count = 0;
  #break: { readonly count: number; readonly firstBad: ChainBreak } | undefined;
  #jump:
    | { readonly expected: number; readonly found: number; missingSeen: boolean; foundAgain: boolean }
    | undefined;

  /** `anchor`: the record just before the first one pushed, when verifying a chain's tail. */
  constructor(anchor: ChainLink = GENESIS) {
    this.#anchor = anchor;
    this.#last = anchor;
  }

  push(record: AuditRecord): void {
    if (this.#jump) {
      if (record.seq === this.#jump.expected) this.#jump.missingSeen = true;
      if (record.seq === this.#jump.found) this.#jump.foundAgain = true;
      return;
    }
    if (this.#break) return;

    const expected = this.#last.seq + 1;
    const seq: unknown = record.seq;
    if (seq === expected) {
      if (recordHash(record) !== record.hash) {
        this.#fail(
          this.#count,
          expected,
          'edited',
          `record ${expected} does not match its hash: it was changed after it was written`,
        );
      } else if (record.prevHash !== this.#last.hash) {
        this.#fail(
          this.#count,
          expected,
          'bad-link',
          `record ${expected} does not link to record ${expected - 1}: one of them was rewritten or forged`,
        );
      } else {
        this.#last = { seq: expected, hash: record.hash };
        this.#count++;
      }
    } else if (typeof seq === 'number' && Number.isInteger(seq) && seq > expected) {
      this.#jump = { expected, found: seq, missingSeen: false, foundAgain: false };
    } else if (typeof seq === 'number' && Number.isInteger(seq) && seq > this.#anchor.seq) {
      // Seq `seq` was verified already: a second record claims it. When it is the
      // record just verified, either of the two may be the forgery, so neither counts.
      this.#fail(
        seq === this.#last.seq ? this.#count - 1 : this.#count,
        seq,
        'inserted',
        `two records claim seq ${seq}: a record was inserted`,
      );
    } else {
      this.#fail(this.#count, expected, 'edited', `the record after seq ${expected - 1} has an invalid seq`);
    }
  }

  result(): ChainVerdict {
    if (this.#jump) return this.#jumpVerdict(this.#jump);
    if (this.#break) return { ok: false, ...this.#break };
    return { ok: true, count: this.#count, head: this.#last.hash };
  }

  #jumpVerdict(jump: {
    expected: number;
    found: number;
    missingSeen: boolean;
    foundAgain: boolean;
  }): ChainVerdict {
    const { expected, found } = jump;
    const [problem, message]: [ChainProblem, string] = jump.foundAgain
      ? ['inserted', `a record claiming seq ${found} was inserted where record ${expected} should be`]
      : jump.missingSeen
        ? [
            'reordered',
            `record ${found} appears where record ${expected} should be: records are out of order`,
          ]
        : [
            'deleted',
            found === expected + 1
              ? `record ${expected} is missing`
              : `records ${expected} to ${found - 1} are missing`,
          ];
    return { ok: false, count: this.#count, firstBad: { seq: expected, problem, message } };
  }

  #fail(count: number, seq: number, problem: ChainProblem, message: string): void {
    this.#break = { count, firstBad: { seq, problem, message } };
  }
}

/** Verifies a whole chain held in memory; see ChainVerifier. */
export function verifyChain(records: Iterable<AuditRecord>, anchor: ChainLink = GENESIS): ChainVerdict {
  const verifier = new ChainVerifier(anchor);
  for (const record of records) verifier.push(record);
  return verifier.result();
}
