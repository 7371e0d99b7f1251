/**
 * The audit trail as compliance uses it, and restarts as an operator does them:
 * verify, export and verify offline, then stop the server, tamper with the
 * SQLite file by hand, start it again on the same data dir and watch
 * `audit verify` name the record. Tests run in order and share one data dir.
 */
import { readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { closedPort, DEMO_DIR, lines, Sandbox, type UpProcess } from './support.js';

let sandbox: Sandbox;
let up: UpProcess;
let dataDir: string;
/** What the first `audit verify` reported. */
let count: number;
let head: string;

const VERIFIED = /^audit chain verified: (\d+) records, head ([0-9a-f]{64})$/;

beforeAll(async () => {
  sandbox = await Sandbox.create('audit');
  dataDir = sandbox.dataDir();
  up = await sandbox.up({ demo: true, dataDir });
});

afterAll(async () => {
  await sandbox?.dispose();
});

/** Restarts `strata up --demo` on the same data dir, running `edit` on the stopped database in between. */
async function restart(edit?: (db: Database.Database) => void): Promise<void> {
  await up.stop();
  if (edit) {
    const db = new Database(join(dataDir, 'strata.db'));
    try {
      edit(db);
    } finally {
      db.close();
    }
  }
  up = await sandbox.up({ demo: true, dataDir });
}

/** Flags that make sure a command cannot be talking to any server. */
async function offline(): Promise<{ args: string[]; env: NodeJS.ProcessEnv }> {
  return {
    args: ['--server', `https://127.0.0.1:${await closedPort()}`],
    env: { STRATA_CONFIG: join(sandbox.root, 'no-such-config.json') },
  };
}

describe('strata audit verify / export', () => {
  it('verify passes on a fresh demo: exit 0, the record count and the head', async () => {
    const result = await sandbox.strata(['audit', 'verify']);
    expect(result.code, result.stderr).toBe(0);
    const match = VERIFIED.exec(result.stdout.trim());
    expect(match, result.stdout).not.toBeNull();
    count = Number(match![1]);
    head = match![2]!;
    // At least one record per demo object and per built-in role.
    expect(count).toBeGreaterThan(40);
  });

  it('--expect-head passes with the head it printed and fails (exit 1) with another one', async () => {
    const [same, other] = await Promise.all([
      sandbox.strata(['audit', 'verify', '--expect-head', head]),
      sandbox.strata(['audit', 'verify', '--expect-head', '0'.repeat(64)]),
    ]);
    expect(same.code, same.stderr).toBe(0);
    expect(other.code).toBe(1);
    expect(other.stderr).toContain(head);
  });

  it('export -o FILE writes one JSON record per line (mode 0600), and verify --file checks it offline', async () => {
    const file = join(sandbox.root, 'audit.jsonl');
    const exported = await sandbox.strata(['audit', 'export', '-o', file]);
    expect(exported.code, exported.stderr).toBe(0);
    const records = lines(await readFile(file, 'utf8')).map((l) => JSON.parse(l));
    expect(records.length).toBeGreaterThanOrEqual(count);
    expect(records.map((r) => r.seq)).toEqual(records.map((_, i) => i + 1));
    expect(exported.stderr).toContain(`${records.length} audit records written to ${file}`);
    expect(((await stat(file)).mode & 0o777).toString(8)).toBe('600');

    const { args, env } = await offline();
    const verified = await sandbox.strata(['audit', 'verify', '--file', file, ...args], { env });
    expect(verified.code, verified.stderr).toBe(0);
    expect(verified.stdout.trim()).toBe(
      `audit chain verified: ${records.length} records, head ${records.at(-1).hash}`,
    );
  });

  it('a tampered export fails offline, naming the edited record, then the deleted one', async () => {
    const file = join(sandbox.root, 'audit.jsonl');
    const original = lines(await readFile(file, 'utf8'));
    const seq = Math.floor(original.length / 2);
    const record = JSON.parse(original[seq - 1]!);
    expect(record.seq).toBe(seq);
    const { args, env } = await offline();

    const edited = join(sandbox.root, 'edited.jsonl');
    const forged = { ...record, subject: { name: 'mallory' } };
    await writeFile(
      edited,
      `${original.map((l, i) => (i === seq - 1 ? JSON.stringify(forged) : l)).join('\n')}\n`,
    );
    const deleted = join(sandbox.root, 'deleted.jsonl');
    await writeFile(deleted, `${original.filter((_, i) => i !== seq - 1).join('\n')}\n`);

    const [afterEdit, afterDelete] = await Promise.all([
      sandbox.strata(['audit', 'verify', '--file', edited, ...args], { env }),
      sandbox.strata(['audit', 'verify', '--file', deleted, ...args], { env }),
    ]);
    expect(afterEdit.code).toBe(1);
    expect(afterEdit.stdout).toBe('');
    expect(afterEdit.stderr).toContain(`audit chain BROKEN at record ${seq} (edited)`);
    expect(afterEdit.stderr).toContain(`${seq - 1} records verified before it`);
    expect(afterDelete.code).toBe(1);
    expect(afterDelete.stderr).toContain(`audit chain BROKEN at record ${seq} (deleted)`);
    expect(afterDelete.stderr).toContain(`record ${seq} is missing`);
  });

  it('verify --file of a missing file is a usage error (exit 2)', async () => {
    const result = await sandbox.strata(['audit', 'verify', '--file', join(sandbox.root, 'nope.jsonl')]);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('nope.jsonl');
  });
});

describe('strata up again on the same data dir', () => {
  it('reuses the admin token, keeps every object as it was (uid and generation), and the demo re-applies as unchanged', async () => {
    const tokenFile = join(dataDir, 'admin-token');
    const tokenBefore = await readFile(tokenFile, 'utf8');
    // Statuses move on by themselves (heartbeats, simulated pods running, synthetic utilisation):
    // a restart must not re-create or re-apply anything, which uid and generation tell.
    const versions = async () => {
      const result = await sandbox.strata(['get', 'nodes', '-o', 'json']);
      const workloads = await sandbox.strata(['get', 'workloads', '-o', 'json']);
      return [...JSON.parse(result.stdout).items, ...JSON.parse(workloads.stdout).items].map(
        (o: { kind: string; metadata: { name: string; uid: string; generation: number } }) =>
          `${o.kind}/${o.metadata.name}@${o.metadata.uid}/${o.metadata.generation}`,
      );
    };
    const before = await versions();
    expect(before.length).toBeGreaterThan(18);

    await restart();

    expect(up.banner).toContain(`admin token  stored in ${tokenFile}`);
    expect(up.banner).not.toContain('admin token  created');
    expect(await readFile(tokenFile, 'utf8')).toBe(tokenBefore);
    expect(((await stat(tokenFile)).mode & 0o777).toString(8)).toBe('600');
    // The context file points at the new port with the same token, so plain `strata get` works.
    const context = JSON.parse(await readFile(sandbox.configFile, 'utf8'));
    expect(context.contexts.local).toMatchObject({ server: up.url, token: tokenBefore.trim() });

    expect(await versions()).toEqual(before);
    const reapplied = await sandbox.strata(['apply', '-f', DEMO_DIR]);
    expect(reapplied.code, reapplied.stderr).toBe(0);
    const outcomes = lines(reapplied.stdout);
    expect(outcomes.length).toBeGreaterThan(40);
    expect(outcomes.filter((l) => !l.endsWith(' unchanged'))).toEqual([]);

    const verified = await sandbox.strata(['audit', 'verify']);
    expect(verified.code, verified.stderr).toBe(0);
  });
});

describe('tampering with the audit table of a stopped server', () => {
  /** The row edited below, to put back before the next tampering. */
  let editedSeq: number;
  let originalBody: string;

  it('one edited row: after a restart, verify exits 1 and names that seq', async () => {
    editedSeq = Math.floor(count / 2);
    await restart((db) => {
      const row = db.prepare('select body from audit where seq = ?').get(editedSeq) as { body: string };
      originalBody = row.body;
      const record = JSON.parse(row.body);
      record.verb = record.verb === 'delete' ? 'create' : 'delete';
      const changed = db
        .prepare('update audit set body = ? where seq = ?')
        .run(JSON.stringify(record), editedSeq);
      expect(changed.changes).toBe(1);
    });

    const result = await sandbox.strata(['audit', 'verify']);
    expect(result.code).toBe(1);
    expect(result.stdout).toBe('');
    expect(result.stderr).toContain(`audit chain BROKEN at record ${editedSeq} (edited)`);
    expect(result.stderr).toContain(`${editedSeq - 1} records verified before it`);
  });

  it('one deleted row: after a restart, verify exits 1 and names that seq as missing', async () => {
    // After the edited row: were it not put back, verify would name the edited row first.
    const deletedSeq = Math.floor((2 * count) / 3);
    expect(deletedSeq).toBeGreaterThan(editedSeq);
    await restart((db) => {
      db.prepare('update audit set body = ? where seq = ?').run(originalBody, editedSeq);
      expect(db.prepare('delete from audit where seq = ?').run(deletedSeq).changes).toBe(1);
    });

    const result = await sandbox.strata(['audit', 'verify']);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain(`audit chain BROKEN at record ${deletedSeq} (deleted)`);
    expect(result.stderr).toContain(`record ${deletedSeq} is missing`);
  });
});
