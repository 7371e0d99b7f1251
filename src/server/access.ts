import { buildGrantIndex } from '../governance/auth/grant-index.js';
import type { Grant, Principal } from '../governance/auth/rbac.js';
import { parseToken, secretMatches } from '../governance/auth/tokens.js';
import type { Clock } from '../runtime/clock.js';
import type { WatchHub } from '../runtime/watch-hub.js';
import type { Store, TokenRecord } from '../store/store.js';
import { ApiError } from './api-error.js';

/** How long a token lookup is trusted before the store is asked again (a revocation on another replica takes at most this long). */
const TOKEN_TTL_MS = 5_000;
/** Token lookups cached at most: every invented token id is a miss that would otherwise stay forever. */
const MAX_CACHED_TOKENS = 10_000;

const RBAC_KINDS = new Set(['Role', 'RoleBinding']);

/**
 * Authentication and the in-memory grant index. Roles and bindings are read
 * once and re-read only after one of them changes (seen through the watch
 * hub, or told directly by a local write), so a request costs two map lookups.
 */
export class Access {
  readonly #store: Store;
  readonly #clock: Clock;
  readonly #tokens = new Map<string, { record: TokenRecord | undefined; at: number }>();
  #grants: ReadonlyMap<string, readonly Grant[]> | undefined;
  #rebuilding: Promise<ReadonlyMap<string, readonly Grant[]>> | undefined;

  constructor(store: Store, hub: WatchHub, clock: Clock) {
    this.#store = store;
    this.#clock = clock;
    hub.subscribe(hub.head, (events) => {
      if (events.some((e) => RBAC_KINDS.has(e.object.kind))) this.invalidateGrants();
    });
  }

  invalidateGrants(): void {
    this.#grants = undefined;
    this.#rebuilding = undefined;
  }

  forgetToken(id: string): void {
    this.#tokens.delete(id);
  }

  /** Resolves an Authorization header to a principal, or throws a 401. */
  async authenticate(header: string | undefined): Promise<Principal> {
    const bearer = header?.startsWith('Bearer ') ? header.slice(7).trim() : undefined;
    if (!bearer) {
      throw new ApiError(
        401,
        'Unauthorized',
        'a bearer token is required: send "Authorization: Bearer <token>"',
      );
    }
    const parsed = parseToken(bearer);
    const record = parsed ? await this.#token(parsed.id) : undefined;
    const now = this.#clock.now();
    if (
      !parsed ||
      !record ||
      record.revokedAt !== undefined ||
      (record.expiresAt !== undefined && new Date(record.expiresAt) <= now) ||
      !secretMatches(parsed.secret, record.secretHash)
    ) {
      throw new ApiError(401, 'Unauthorized', 'the bearer token is invalid, expired or revoked');
    }
    const grants = (await this.#grantIndex()).get(record.subject) ?? [];
    return {
      name: record.subject,
      ...(record.tenant !== undefined && { tenant: record.tenant }),
      ...(record.project !== undefined && { project: record.project }),
      grants,
    };
  }

  async grantsOf(subject: string): Promise<readonly Grant[]> {
    return (await this.#grantIndex()).get(subject) ?? [];
  }

  async #token(id: string): Promise<TokenRecord | undefined> {
    const now = this.#clock.now().getTime();
    const cached = this.#tokens.get(id);
    if (cached && now - cached.at < TOKEN_TTL_MS) return cached.record;
    const record = await this.#store.findToken(id);
    // Deleted first so the Map's order is oldest lookup first.
    this.#tokens.delete(id);
    this.#tokens.set(id, { record, at: now });
    if (this.#tokens.size > MAX_CACHED_TOKENS) this.#trimTokens(now);
    return record;
  }

  /** Drops expired lookups, then the oldest until half the cap is left: O(cap) once per cap/2 misses. */
  #trimTokens(now: number): void {
    for (const [id, entry] of this.#tokens) if (now - entry.at >= TOKEN_TTL_MS) this.#tokens.delete(id);
    for (const id of this.#tokens.keys()) {
      if (this.#tokens.size <= MAX_CACHED_TOKENS / 2) break;
      this.#tokens.delete(id);
    }
  }

  #grantIndex(): Promise<ReadonlyMap<string, readonly Grant[]>> {
    if (this.#grants) return Promise.resolve(this.#grants);
    if (!this.#rebuilding) {
      const build = this.#build();
      this.#rebuilding = build;
      // A change that landed while we read invalidates this build; only keep it if none did.
      void build.then(
        (index) => {
          if (this.#rebuilding === build) this.#grants = index;
        },
        () => {
          if (this.#rebuilding === build) this.#rebuilding = undefined;
        },
      );
    }
    return this.#rebuilding;
  }

  async #build(): Promise<ReadonlyMap<string, readonly Grant[]>> {
    const [roles, bindings] = await Promise.all([
      this.#store.list({ kind: 'Role' }),
      this.#store.list({ kind: 'RoleBinding' }),
    ]);
    return buildGrantIndex(roles.items, bindings.items);
  }
}
