import { parseToken } from '../governance/auth/tokens.js';
import type { Clock } from '../runtime/clock.js';
import { TooManyRequestsError } from './api-error.js';

/** A sustained rate and the burst allowed above it: a bucket of `burst` tokens refilled at `perSecond`. */
export interface RateLimit {
  readonly perSecond: number;
  readonly burst: number;
}

export interface RateLimitOptions {
  /** Requests of one authenticated subject (every token of that subject shares one bucket). */
  readonly perSubject?: RateLimit;
  /** Failed authentications from one client address. */
  readonly perClient?: RateLimit;
  /** Keys each table of buckets holds at most, so invented subjects or addresses cannot grow memory. */
  readonly maxKeys?: number;
}

/**
 * Generous on purpose. The per-subject limit sits above what one replica serves
 * on a small machine (about 14k GETs/s from 50 clients sharing one admin token
 * on 2 cores, `npm run bench:api`), so it only stops a runaway client on bigger
 * hardware; lower it where many teams share a replica. The per-client limit only
 * counts failed authentications, so it never slows a client with a good token.
 */
export const DEFAULT_RATE_LIMITS = {
  perSubject: { perSecond: 20_000, burst: 40_000 },
  perClient: { perSecond: 50, burst: 100 },
  maxKeys: 10_000,
} as const satisfies Required<RateLimitOptions>;

/** What a bucket answers for one request. */
export type RateDecision =
  | { readonly allowed: true }
  | { readonly allowed: false; readonly retryAfterSeconds: number };

interface Bucket {
  tokens: number;
  at: number;
}

/**
 * Token buckets by key. A bucket holds at most `burst` tokens and gains
 * `perSecond` per second; each request takes one. A full bucket behaves like
 * no bucket, so buckets are made on first use and full ones are dropped when
 * the table reaches `maxKeys`; if that is not enough the tenth made longest
 * ago goes (handing those keys a fresh burst, the price of bounded memory).
 */
export class TokenBuckets {
  readonly #limit: RateLimit;
  readonly #clock: Clock;
  readonly #maxKeys: number;
  readonly #buckets = new Map<string, Bucket>();

  constructor(limit: RateLimit, clock: Clock, maxKeys: number = DEFAULT_RATE_LIMITS.maxKeys) {
    if (!(limit.perSecond > 0) || !(limit.burst >= 1)) {
      throw new RangeError(`a rate limit needs perSecond > 0 and burst >= 1, got ${JSON.stringify(limit)}`);
    }
    this.#limit = limit;
    this.#clock = clock;
    this.#maxKeys = Math.max(1, maxKeys);
  }

  /** Buckets held now (full ones may linger until the table fills). */
  get size(): number {
    return this.#buckets.size;
  }

  /** Takes one token for `key`, or says how long until one is there. */
  take(key: string): RateDecision {
    const now = this.#clock.now().getTime();
    const bucket = this.#refilled(key, now);
    if (bucket.tokens >= 1) {
      bucket.tokens -= 1;
      return { allowed: true };
    }
    return { allowed: false, retryAfterSeconds: this.#secondsUntilOne(bucket.tokens) };
  }

  /** What `take` would answer, without taking. */
  peek(key: string): RateDecision {
    const bucket = this.#buckets.get(key);
    if (bucket === undefined) return { allowed: true };
    const tokens = this.#tokensAt(bucket, this.#clock.now().getTime());
    return tokens >= 1
      ? { allowed: true }
      : { allowed: false, retryAfterSeconds: this.#secondsUntilOne(tokens) };
  }

  #tokensAt(bucket: Bucket, now: number): number {
    // A clock that steps back refills nothing (and takes nothing away).
    const elapsed = Math.max(0, now - bucket.at) / 1000;
    return Math.min(this.#limit.burst, bucket.tokens + elapsed * this.#limit.perSecond);
  }

  #refilled(key: string, now: number): Bucket {
    const bucket = this.#buckets.get(key);
    if (bucket !== undefined) {
      bucket.tokens = this.#tokensAt(bucket, now);
      bucket.at = now;
      return bucket;
    }
    if (this.#buckets.size >= this.#maxKeys) this.#evict(now);
    const fresh = { tokens: this.#limit.burst, at: now };
    this.#buckets.set(key, fresh);
    return fresh;
  }

  /** Drops full buckets, then the oldest tenth if still full: O(maxKeys) once per maxKeys/10 new keys. */
  #evict(now: number): void {
    for (const [key, bucket] of this.#buckets) {
      if (this.#tokensAt(bucket, now) >= this.#limit.burst) this.#buckets.delete(key);
    }
    if (this.#buckets.size < this.#maxKeys) return;
    let drop = Math.max(1, Math.ceil(this.#maxKeys / 10));
    for (const key of this.#buckets.keys()) {
      if (drop-- === 0) break;
      this.#buckets.delete(key);
    }
  }

  #secondsUntilOne(tokens: number): number {
    return Math.max(1, Math.ceil((1 - tokens) / this.#limit.perSecond));
  }
}

/** How long a token that authenticated stays known, letting it past an address that is over its failure budget. */
const KNOWN_TOKEN_MS = 60_000;

/**
 * The API's rate limits, in the order a request meets them:
 *
 * 1. `admitClient`, before the token lookup: an address that has spent its
 *    budget of failed authentications is refused at the cost of a map lookup,
 *    without touching the store. A token that authenticated in the last minute
 *    still passes (people behind one NAT address are not locked out by one
 *    broken script); any other credential from that address waits.
 * 2. `chargeFailure`, after a failed lookup: the failure costs the address one
 *    token, and when none is left the answer is 429 instead of 401 — so the
 *    caller refuses it before the audit record is written.
 * 3. `admitSubject`, after a successful lookup: one token of the subject's bucket.
 */
export class RateLimiter {
  readonly #subjects: TokenBuckets;
  readonly #clients: TokenBuckets;
  readonly #clock: Clock;
  readonly #maxKeys: number;
  /** Token id → when it last authenticated. Ids only: a secret is never kept. */
  readonly #known = new Map<string, number>();

  constructor(options: RateLimitOptions, clock: Clock) {
    this.#maxKeys = options.maxKeys ?? DEFAULT_RATE_LIMITS.maxKeys;
    this.#subjects = new TokenBuckets(
      options.perSubject ?? DEFAULT_RATE_LIMITS.perSubject,
      clock,
      this.#maxKeys,
    );
    this.#clients = new TokenBuckets(
      options.perClient ?? DEFAULT_RATE_LIMITS.perClient,
      clock,
      this.#maxKeys,
    );
    this.#clock = clock;
  }

  /** Throws a 429 naming `(client)` when the address is over its failure budget and the token is not known. */
  admitClient(client: string, authorization: string | undefined): void {
    const decision = this.#clients.peek(client);
    if (decision.allowed) return;
    const id = tokenId(authorization);
    const seen = id === undefined ? undefined : this.#known.get(id);
    if (seen !== undefined && this.#clock.now().getTime() - seen < KNOWN_TOKEN_MS) return;
    throw clientRefusal(decision.retryAfterSeconds);
  }

  /** Charges a failed authentication to the address; throws a 429 naming `(client)` when it was over budget. */
  chargeFailure(client: string): void {
    const decision = this.#clients.take(client);
    if (!decision.allowed) throw clientRefusal(decision.retryAfterSeconds);
  }

  /** Charges one request to the subject; throws a 429 naming `authorization` when it is over its limit. */
  admitSubject(subject: string, authorization: string | undefined): void {
    const id = tokenId(authorization);
    if (id !== undefined) this.#remember(id);
    const decision = this.#subjects.take(subject);
    if (!decision.allowed) {
      throw new TooManyRequestsError(
        'authorization',
        `${subject} is over its rate limit; retry after ${decision.retryAfterSeconds} s`,
        decision.retryAfterSeconds,
      );
    }
  }

  #remember(id: string): void {
    // Re-inserted so that the Map's order is least recently seen first.
    this.#known.delete(id);
    if (this.#known.size >= this.#maxKeys) {
      const oldest = this.#known.keys().next();
      if (!oldest.done) this.#known.delete(oldest.value);
    }
    this.#known.set(id, this.#clock.now().getTime());
  }
}

function tokenId(authorization: string | undefined): string | undefined {
  if (authorization === undefined || !authorization.startsWith('Bearer ')) return undefined;
  return parseToken(authorization.slice(7).trim())?.id;
}

function clientRefusal(retryAfterSeconds: number): TooManyRequestsError {
  return new TooManyRequestsError(
    '(client)',
    `too many failed authentications from this address; retry after ${retryAfterSeconds} s`,
    retryAfterSeconds,
  );
}
