import pg from 'pg';

/** The channel every replica NOTIFYs on commit, with the new revision as payload. */
export const COMMIT_CHANNEL = 'strata_commits';

export interface CommitFeedOptions {
  /** Settings for the LISTEN connection (its own, outside the pool: it must stay open). */
  readonly connection: pg.ClientConfig;
  /** The database's current revision, read through the store's pool. */
  readonly readRevision: () => Promise<number>;
  /** Hears every revision seen, possibly more than once and possibly ones already heard. */
  readonly onRevision: (revision: number) => void;
  /** How often to read the revision whatever notifications say. */
  readonly pollIntervalMs: number;
  /** Reports losing and regaining the LISTEN connection. */
  readonly warn: (message: string) => void;
}

/** Backoff between attempts to reconnect the LISTEN connection. */
const RECONNECT_MIN_MS = 100;
const RECONNECT_MAX_MS = 5_000;

/**
 * Tells a store about commits made by other processes on the same database.
 *
 * Notifications arrive within milliseconds but are not reliable: any sent
 * while the LISTEN connection is down (a server restart, a network cut) are
 * lost. So the feed also reads the current revision every `pollIntervalMs`
 * and right after each reconnect. A lost notification thus only delays a
 * watch (by at most the poll interval); the event log, which watches read,
 * is the source of truth.
 */
export class PostgresCommitFeed {
  readonly #options: CommitFeedOptions;
  #client: pg.Client | undefined;
  #timer: NodeJS.Timeout | undefined;
  #reconnect: NodeJS.Timeout | undefined;
  #backoffMs = RECONNECT_MIN_MS;
  #polling = false;
  #down = false;
  #stopped = false;

  constructor(options: CommitFeedOptions) {
    this.#options = options;
  }

  /** Connects the listener (throws if it cannot) and starts polling. */
  async start(): Promise<void> {
    await this.#listen();
    this.#timer = setInterval(() => void this.#poll(), this.#options.pollIntervalMs);
    this.#timer.unref();
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    clearInterval(this.#timer);
    clearTimeout(this.#reconnect);
    const client = this.#client;
    this.#client = undefined;
    await client?.end().catch(() => undefined);
  }

  async #listen(): Promise<void> {
    const client = new pg.Client(this.#options.connection);
    // Set once listening: a failure before that is the caller's to handle (start, or the reconnect loop).
    let established = false;
    let lost = false;
    const onLost = (error?: Error) => {
      if (!established || lost) return;
      lost = true;
      if (this.#client === client) this.#client = undefined;
      void client.end().catch(() => undefined);
      if (this.#stopped) return;
      if (!this.#down) {
        this.#down = true;
        this.#options.warn(
          `lost the PostgreSQL notification connection (${error?.message ?? 'closed'}); reconnecting, and polling meanwhile`,
        );
      }
      this.#scheduleReconnect();
    };
    client.on('error', onLost);
    client.on('end', () => onLost());
    client.on('notification', (message) => {
      if (message.channel !== COMMIT_CHANNEL) return;
      const revision = Number(message.payload);
      if (Number.isSafeInteger(revision)) this.#options.onRevision(revision);
    });
    try {
      await client.connect();
      await client.query(`listen ${COMMIT_CHANNEL}`);
    } catch (error) {
      await client.end().catch(() => undefined);
      throw error;
    }
    if (this.#stopped) {
      await client.end().catch(() => undefined);
      return;
    }
    established = true;
    this.#client = client;
  }

  #scheduleReconnect(): void {
    const delay = this.#backoffMs;
    this.#backoffMs = Math.min(this.#backoffMs * 2, RECONNECT_MAX_MS);
    this.#reconnect = setTimeout(() => {
      this.#listen().then(
        () => {
          if (this.#stopped) return;
          this.#backoffMs = RECONNECT_MIN_MS;
          this.#down = false;
          this.#options.warn('PostgreSQL notification connection restored');
          // Commits made while it was down sent notifications nobody heard.
          void this.#poll();
        },
        () => {
          if (!this.#stopped) this.#scheduleReconnect();
        },
      );
    }, delay);
    this.#reconnect.unref();
  }

  async #poll(): Promise<void> {
    if (this.#polling || this.#stopped) return;
    this.#polling = true;
    try {
      this.#options.onRevision(await this.#options.readRevision());
    } catch {
      // The database is unreachable; requests report that. Try again next tick.
    } finally {
      this.#polling = false;
    }
  }
}
