/**
 * Crash safety, the full run: `strata up` under a steady load from concurrent
 * clients, SIGKILLed at random (seeded) moments and restarted on the same
 * store, or (--mode restart) its PostgreSQL server restarted under it; then
 * every acknowledged write is checked against the store, the event log, the
 * watchers and the audit chain (test/crash/harness.ts).
 *
 *   npm run bench:crash -- [--store sqlite|postgres] [--mode kill|restart] [--kills 50] [--seed 42] [--clients 8]
 *
 * PostgreSQL runs on a throwaway server (initdb + pg_ctl, test/support/postgres.ts).
 * Needs a build (`npm run build`): the harness runs bin/strata.js. The last line
 * is one JSON object with every figure; the exit code is 1 if anything was lost or wrong.
 */
import { parseArgs } from 'node:util';
import {
  type CrashReport,
  postgresTarget,
  reportLine,
  runCrashHarness,
  sqliteTarget,
} from '../test/crash/harness.js';
import { createTestDatabase, startPostgresServer } from '../test/support/postgres.js';

const { values: args } = parseArgs({
  options: {
    store: { type: 'string', default: 'sqlite' },
    mode: { type: 'string', default: 'kill' },
    kills: { type: 'string', default: '50' },
    seed: { type: 'string', default: '42' },
    clients: { type: 'string', default: '8' },
  },
});

function wholeNumber(flag: string, text: string | undefined): number {
  const n = Number(text);
  if (!Number.isInteger(n) || n < 1) throw new Error(`--${flag} ${text}: must be a whole number ≥ 1`);
  return n;
}

const kills = wholeNumber('kills', args.kills);
const seed = Number(args.seed);
const clients = wholeNumber('clients', args.clients);
if (args.store !== 'sqlite' && args.store !== 'postgres')
  throw new Error(`--store ${args.store}: sqlite or postgres`);
if (args.mode !== 'kill' && args.mode !== 'restart') throw new Error(`--mode ${args.mode}: kill or restart`);
if (args.mode === 'restart' && args.store !== 'postgres') {
  throw new Error('--mode restart restarts the PostgreSQL server: use it with --store postgres');
}
const mode = args.mode === 'kill' ? 'kill-strata' : 'restart-store';
const log = (line: string) => process.stderr.write(`${line}\n`);

async function run(): Promise<CrashReport> {
  if (args.store === 'sqlite') {
    return runCrashHarness({ target: sqliteTarget(), kills, seed, clients, log });
  }
  const server = await startPostgresServer();
  try {
    const database = await createTestDatabase(server.info.adminUrl);
    let restarts = 0;
    // Alternate a clean shutdown with a crash of the server (immediate: it replays its WAL on start).
    const restart = () => server.restart(restarts++ % 2 === 0 ? 'fast' : 'immediate');
    return await runCrashHarness({
      target: postgresTarget(database.url, restart),
      mode,
      kills,
      seed,
      clients,
      log,
    });
  } finally {
    await server.destroy();
  }
}

const report = await run();
const failed = Object.entries(report.failures)
  .map(([cause, n]) => `${n} ${cause}`)
  .join(', ');
console.log(`crash harness: ${report.store}, ${report.mode}, seed ${report.seed}, ${report.clients} clients`);
console.log(
  `  ${report.mode === 'kill-strata' ? 'kills survived' : 'restarts survived'}  ${report.kills} (${report.killsMidWrite} with writes in flight${report.mode === 'kill-strata' ? `; plus ${report.startupKills} during start-up` : ''})`,
);
console.log(`  acknowledged writes  ${report.acknowledgedWrites} checked, ${report.losses} lost`);
console.log(
  `  unacknowledged       ${report.unacknowledgedWrites} (${report.unacknowledgedCommitted} of them committed before the answer was cut off)`,
);
console.log(`  failed requests      ${failed || 'none'}`);
console.log(
  `  event log            revisions 1..${report.revision}, ${report.events} events, ${report.objects} objects`,
);
console.log(`  watchers             ${report.watchedEvents} events over ${report.watchStreams} streams`);
console.log(`  audit chain          ${report.auditRecords} records`);
if (report.maxRecoveryMs !== undefined)
  console.log(`  recovery             ≤ ${report.maxRecoveryMs} ms to the next acknowledged write`);
console.log(`  duration             ${(report.durationMs / 1000).toFixed(1)} s`);
for (const problem of report.problems) console.log(`  PROBLEM: ${problem}`);
if (report.dataDir !== undefined) console.log(`  data kept in ${report.dataDir}`);
console.log(reportLine(report));
if (!report.ok) process.exitCode = 1;
