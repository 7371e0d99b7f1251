/**
 * Leader failover: three `strata up` replicas share one throwaway PostgreSQL;
 * the leader (the holder of the controllers lease) is killed with SIGKILL,
 * and the time until another replica reports itself leader is measured. The
 * killed replica is restarted, so three always contend. Repeated `--kills` times.
 *
 *   npm run bench:failover -- [--kills 20] [--lease-ttl 6] [--seed 42]
 *
 * Failover is bounded by the lease TTL plus one retry (a third of the TTL);
 * the goal is 10 s. The last line is one JSON object with every figure.
 */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { Rng } from '../src/runtime/rng.js';
import { StrataProcess } from '../test/crash/strata-process.js';
import { createTestDatabase, startPostgresServer } from '../test/support/postgres.js';

const { values: args } = parseArgs({
  options: {
    kills: { type: 'string', default: '20' },
    'lease-ttl': { type: 'string', default: '6' },
    seed: { type: 'string', default: '42' },
    replicas: { type: 'string', default: '3' },
  },
});
const KILLS = Number(args.kills);
const TTL_S = Number(args['lease-ttl']);
const REPLICAS = Number(args.replicas);

const random = new Rng(Number(args.seed));
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

interface Replica {
  readonly name: string;
  readonly dataDir: string;
  process: StrataProcess;
  url: string;
  token: string;
}

async function leaderOf(replica: Replica): Promise<{ isLeader: boolean; epoch?: number } | undefined> {
  try {
    const response = await fetch(`${replica.url}/leader`, {
      headers: { authorization: `Bearer ${replica.token}` },
      signal: AbortSignal.timeout(1_000),
    });
    if (!response.ok) return undefined;
    const body = (await response.json()) as { isLeader: boolean; lease?: { epoch: number } };
    return { isLeader: body.isLeader, ...(body.lease && { epoch: body.lease.epoch }) };
  } catch {
    return undefined;
  }
}

async function main(): Promise<void> {
  const postgres = await startPostgresServer();
  const database = await createTestDatabase(postgres.info.adminUrl);
  const root = await mkdtemp(join(tmpdir(), 'strata-failover-'));
  const start = async (name: string, dataDir: string) => {
    const process = new StrataProcess({
      dataDir,
      configFile: join(root, `${name}.json`),
      args: ['--store', database.url, '--replica-id', name, '--lease-ttl', String(TTL_S)],
    });
    const url = await process.listening;
    const token = (await readFile(join(dataDir, 'admin-token'), 'utf8')).trim();
    return { process, url, token };
  };
  const replicas: Replica[] = [];
  try {
    for (let i = 1; i <= REPLICAS; i++) {
      const name = `replica-${i}`;
      const dataDir = join(root, name);
      replicas.push({ name, dataDir, ...(await start(name, dataDir)) });
    }
    const times: number[] = [];
    for (let kill = 1; kill <= KILLS; kill++) {
      let leader: Replica | undefined;
      let epoch = 0;
      while (!leader) {
        for (const r of replicas) {
          const seen = await leaderOf(r);
          if (seen?.isLeader) {
            leader = r;
            epoch = seen.epoch ?? 0;
          }
        }
        if (!leader) await sleep(50);
      }
      await sleep(random.int(200, 1000));
      const killedAt = performance.now();
      await leader.process.kill();
      const survivors = replicas.filter((r) => r !== leader);
      let successor: Replica | undefined;
      while (!successor) {
        for (const r of survivors) {
          const seen = await leaderOf(r);
          if (seen?.isLeader && (seen.epoch ?? 0) > epoch) successor = r;
        }
        if (!successor) await sleep(25);
        if (performance.now() - killedAt > 60_000) throw new Error('no replica took over within 60 s');
      }
      const ms = performance.now() - killedAt;
      times.push(ms);
      process.stderr.write(
        `kill ${kill}/${KILLS}: ${leader.name} → ${successor.name} in ${(ms / 1000).toFixed(2)} s\n`,
      );
      Object.assign(leader, await start(leader.name, leader.dataDir));
    }
    times.sort((a, b) => a - b);
    const mean = times.reduce((s, t) => s + t, 0) / times.length;
    const pct = (p: number) => times[Math.min(times.length - 1, Math.floor(times.length * p))]!;
    const round = (ms: number) => Number((ms / 1000).toFixed(2));
    console.log(
      `failover over ${KILLS} kills: mean ${round(mean)} s, p50 ${round(pct(0.5))} s, max ${round(times.at(-1)!)} s (lease TTL ${TTL_S} s, goal ≤ 10 s)`,
    );
    console.log(
      JSON.stringify({
        bench: 'failover',
        replicas: REPLICAS,
        kills: KILLS,
        leaseTtlSeconds: TTL_S,
        seed: Number(args.seed),
        meanSeconds: round(mean),
        p50Seconds: round(pct(0.5)),
        maxSeconds: round(times.at(-1)!),
        minSeconds: round(times[0]!),
      }),
    );
  } finally {
    await Promise.all(replicas.map((r) => r.process.kill()));
    await database.drop().catch(() => undefined);
    await postgres.destroy();
    await rm(root, { recursive: true, force: true });
  }
}

await main();
