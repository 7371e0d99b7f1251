import { type Kysely, sql } from 'kysely';
import type { AuditInput } from '../governance/audit/audit-event.js';
import { FencedError } from './errors.js';
import { type Database, toNumber } from './schema.js';
import type { SqlDialect } from './sql-dialect.js';
import type { Fence, Lease } from './store.js';

/**
 * Lease rows for leader election, read and written inside the store's write
 * transactions (which the engine serialises across replicas), with time taken
 * from the database's clock so replicas never disagree about expiry.
 */
export class SqlLeases {
  readonly #dialect: SqlDialect;

  constructor(dialect: SqlDialect) {
    this.#dialect = dialect;
  }

  async nowMs(conn: Kysely<Database>): Promise<number> {
    const { rows } = await sql<{
      now: number | string;
    }>`select ${sql.raw(this.#dialect.nowMsSql)} as now`.execute(conn);
    return toNumber(rows[0]!.now);
  }

  async read(conn: Kysely<Database>, name: string): Promise<Lease | undefined> {
    const row = await conn.selectFrom('leases').selectAll().where('name', '=', name).executeTakeFirst();
    return (
      row && {
        name: row.name,
        holder: row.holder,
        epoch: toNumber(row.epoch),
        expiresAtMs: toNumber(row.expires_at_ms),
      }
    );
  }

  /**
   * Takes or renews the lease. A holder renewing an unexpired lease keeps its
   * epoch; any takeover of a free or expired lease (even by the same holder,
   * whose controllers may still be finishing writes under the old epoch) takes
   * the next one. Returns the lease and, on a takeover, the audit record to write.
   */
  async acquire(
    conn: Kysely<Database>,
    name: string,
    holder: string,
    ttlMs: number,
  ): Promise<{ lease: Lease | undefined; takeover?: Omit<AuditInput, 'time' | 'requestId'> }> {
    const now = await this.nowMs(conn);
    const current = await this.read(conn, name);
    const expiresAtMs = now + ttlMs;
    if (current !== undefined && current.expiresAtMs > now) {
      if (current.holder !== holder) return { lease: undefined };
      await conn.updateTable('leases').set({ expires_at_ms: expiresAtMs }).where('name', '=', name).execute();
      return { lease: { ...current, expiresAtMs } };
    }
    const lease: Lease = { name, holder, epoch: (current?.epoch ?? 0) + 1, expiresAtMs };
    if (current === undefined) {
      await conn
        .insertInto('leases')
        .values({ name, holder, epoch: lease.epoch, expires_at_ms: expiresAtMs })
        .execute();
    } else {
      await conn
        .updateTable('leases')
        .set({ holder, epoch: lease.epoch, expires_at_ms: expiresAtMs })
        .where('name', '=', name)
        .execute();
    }
    return {
      lease,
      takeover: {
        subject: { name: holder },
        verb: 'acquire-lease',
        object: { kind: 'Lease', name },
        outcome: 'allowed',
        reason:
          current === undefined
            ? `first holder, epoch ${lease.epoch}`
            : `took over from ${current.holder} (epoch ${current.epoch}, expired) at epoch ${lease.epoch}`,
      },
    };
  }

  /** Gives the lease up at once (a clean shutdown), so a successor need not wait for it to expire. */
  async release(conn: Kysely<Database>, name: string, holder: string): Promise<boolean> {
    const now = await this.nowMs(conn);
    const result = await conn
      .updateTable('leases')
      .set({ expires_at_ms: now })
      .where('name', '=', name)
      .where('holder', '=', holder)
      .where('expires_at_ms', '>', now)
      .executeTakeFirst();
    return Number(result.numUpdatedRows) > 0;
  }

  /** Throws FencedError unless `fence` still names the current, unexpired holder and epoch. */
  async check(conn: Kysely<Database>, fence: Fence): Promise<void> {
    const [lease, now] = [await this.read(conn, fence.lease), await this.nowMs(conn)];
    if (!lease || lease.holder !== fence.holder || lease.epoch !== fence.epoch || lease.expiresAtMs <= now) {
      throw new FencedError(fence, lease);
    }
  }
}
