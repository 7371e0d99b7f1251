/**
 * API throughput and latency on loopback: 50 concurrent clients against real
 * `strata up` child processes, first GETs of single objects, then applies (PUT
 * create-or-update that really change the object).
 *
 *   npm run bench:api -- [--seconds 10] [--clients 50] [--seed 42] [--tls] [--profile DIR]
 *   npm run bench:api -- --store postgres [--replicas 3]
 *
 * By default one replica on the embedded SQLite store. With `--store postgres`
 * a throwaway PostgreSQL is started and `--replicas` control planes share it;
 * clients are spread over them round-robin. --profile writes each server's V8
 * CPU profile to DIR (open it in Chrome DevTools).
 *
 * The load generator runs in this process and shares the machine's cores with
 * the servers (and PostgreSQL), so the figures are a floor for the servers
 * alone; on 2 cores, more replicas add correctness under concurrency, not
 * speed. The last line is one JSON object with every figure.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { Agent as HttpAgent, request as httpRequest } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { Rng } from '../src/runtime/rng.js';
import { site } from '../test/support/builders.js';
import { createTestDatabase, startPostgresServer } from '../test/support/postgres.js';

const { values: args } = parseArgs({
  options: {
    seconds: { type: 'string', default: '10' },
    clients: { type: 'string', default: '50' },
    seed: { type: 'string', default: '42' },
    nodes: { type: 'string', default: '500' },
    tls: { type: 'boolean', default: false },
    profile: { type: 'string' },
    store: { type: 'string', default: 'sqlite' },
    replicas: { type: 'string', default: '1' },
  },
});
const SECONDS = Number(args.seconds);
const CLIENTS = Number(args.clients);
const NODES = Number(args.nodes);
const REPLICAS = Number(args.replicas);
if (args.store !== 'sqlite' && args.store !== 'postgres')
  throw new Error('--store must be sqlite or postgres');
if (args.store === 'sqlite' && REPLICAS !== 1) throw new Error('several replicas need --store postgres');
const random = new Rng(Number(args.seed));

interface Server {
  readonly url: string;
  readonly pid: number;
  readonly token: string;
  readonly ca: string | undefined;
  readonly child: ChildProcess;
}

async function startServer(dataDir: string, storeUrl: string | undefined): Promise<Server> {
  const child = spawn(
    process.execPath,
    [
      ...(args.profile !== undefined ? ['--cpu-prof', `--cpu-prof-dir=${args.profile}`] : []),
      'bin/strata.js',
      'up',
      '--data-dir',
      dataDir,
      '--port',
      '0',
      ...(args.tls ? [] : ['--no-tls']),
      ...(storeUrl !== undefined ? ['--store', storeUrl] : []),
    ],
    {
      env: { ...process.env, STRATA_CONFIG: join(dataDir, 'cli.json') },
      stdio: ['ignore', 'pipe', 'inherit'],
    },
  );
  const url = await new Promise<string>((resolve, reject) => {
    let out = '';
    child.stdout.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      const match = /listening on (\S+)/.exec(out);
      if (match) resolve(match[1]!);
    });
    child.once('exit', (code) => reject(new Error(`strata up exited with ${code}: ${out}`)));
  });
  const token = (await readFile(join(dataDir, 'admin-token'), 'utf8')).trim();
  const ca = args.tls ? await readFile(join(dataDir, 'tls', 'ca.crt'), 'utf8') : undefined;
  return { url, pid: child.pid!, token, ca, child };
}

async function rssOf(pid: number): Promise<{ rss: number; peak: number }> {
  const status = await readFile(`/proc/${pid}/status`, 'utf8');
  const kb = (field: string) => Number(new RegExp(`${field}:\\s+(\\d+)`).exec(status)?.[1] ?? 0);
  return { rss: Math.round(kb('VmRSS') / 1024), peak: Math.round(kb('VmHWM') / 1024) };
}

interface Client {
  call(method: string, path: string, body?: unknown): Promise<number>;
  close(): void;
}

/** A keep-alive client for one server. */
function clientFor(server: Server, sockets: number): Client {
  const base = new URL(server.url);
  const agent = args.tls
    ? new HttpsAgent({
        keepAlive: true,
        maxSockets: sockets,
        ...(server.ca !== undefined && { ca: server.ca }),
      })
    : new HttpAgent({ keepAlive: true, maxSockets: sockets });
  const send = args.tls ? httpsRequest : httpRequest;
  return {
    call(method, path, body) {
      const payload = body === undefined ? undefined : JSON.stringify(body);
      return new Promise((resolve, reject) => {
        const req = send(
          {
            host: base.hostname,
            port: base.port,
            method,
            path,
            agent,
            headers: {
              authorization: `Bearer ${server.token}`,
              ...(payload !== undefined && {
                'content-type': 'application/json',
                'content-length': Buffer.byteLength(payload),
              }),
            },
          },
          (res) => {
            res.resume();
            res.on('end', () => resolve(res.statusCode ?? 0));
          },
        );
        req.on('error', reject);
        req.end(payload);
      });
    },
    close: () => agent.destroy(),
  };
}

const nodePath = (i: number) => `/apis/strata.dev/v1alpha1/nodes/bench-${i}`;
const nodeBody = (i: number, generation: number) => ({
  apiVersion: 'strata.dev/v1alpha1',
  kind: 'Node',
  metadata: { name: `bench-${i}`, labels: { 'bench.strata.dev/rack': `r${i % 16}` } },
  spec: {
    cluster: 'bench',
    cpu: { cores: 64 + (generation % 64), numaNodes: 2 },
    memory: '1Ti',
    accelerators: Array.from({ length: 8 }, (_, g) => ({
      index: g,
      model: 'H100-SXM-80GB',
      uuid: `GPU-${i.toString(16).padStart(8, '0')}-0000-0000-0000-${g.toString(16).padStart(12, '0')}`,
      numaNode: g < 4 ? 0 : 1,
      nvlinkDomain: `bench-${i}-nvl`,
    })),
  },
});

/** Runs `op` from every client in a closed loop for the phase's duration. */
async function phase(name: string, clients: readonly Client[], op: (client: Client) => Promise<number>) {
  const latencies: number[] = [];
  let errors = 0;
  const deadline = performance.now() + SECONDS * 1000;
  const started = performance.now();
  let lastReport = started;
  await Promise.all(
    clients.map(async (client) => {
      while (performance.now() < deadline) {
        const t0 = performance.now();
        const status = await op(client);
        const t1 = performance.now();
        latencies.push(t1 - t0);
        if (status >= 400) errors++;
        if (t1 - lastReport > 1000) {
          lastReport = t1;
          process.stderr.write(
            `\r${name}: ${latencies.length} requests, ${Math.round((t1 - started) / 1000)}s…`,
          );
        }
      }
    }),
  );
  const elapsed = (performance.now() - started) / 1000;
  process.stderr.write('\n');
  latencies.sort((a, b) => a - b);
  const pct = (p: number) =>
    Number(latencies[Math.min(latencies.length - 1, Math.floor(latencies.length * p))]!.toFixed(2));
  return {
    perSecond: Math.round(latencies.length / elapsed),
    p50: pct(0.5),
    p99: pct(0.99),
    requests: latencies.length,
    errors,
  };
}

async function main(): Promise<void> {
  const root = await mkdtemp(join(tmpdir(), 'strata-bench-'));
  const postgres = args.store === 'postgres' ? await startPostgresServer() : undefined;
  const database = postgres && (await createTestDatabase(postgres.info.adminUrl));
  const servers: Server[] = [];
  try {
    for (let i = 0; i < REPLICAS; i++)
      servers.push(await startServer(join(root, `replica-${i}`), database?.url));
    const perServer = Math.ceil(CLIENTS / servers.length);
    const pools = servers.map((server) => clientFor(server, perServer));
    const clients = Array.from({ length: CLIENTS }, (_, i) => pools[i % pools.length]!);
    const admin = pools[0]!;

    process.stderr.write(
      `${servers.map((s) => s.url).join(', ')} on ${args.store}; seeding ${NODES} nodes…\n`,
    );
    await admin.call(
      'PUT',
      '/apis/strata.dev/v1alpha1/sites/bench',
      site('bench', { region: 'bench', timeZone: 'UTC' }),
    );
    await admin.call('PUT', '/apis/strata.dev/v1alpha1/clusters/bench', {
      apiVersion: 'strata.dev/v1alpha1',
      kind: 'Cluster',
      metadata: { name: 'bench' },
      spec: { site: 'bench', provider: 'simulated' },
    });
    for (let i = 0; i < NODES; i += CLIENTS) {
      await Promise.all(
        Array.from({ length: Math.min(CLIENTS, NODES - i) }, (_, k) =>
          admin.call('PUT', nodePath(i + k), nodeBody(i + k, 0)),
        ),
      );
    }

    const gets = await phase('GET', clients, (c) => c.call('GET', nodePath(random.int(0, NODES - 1))));
    let generation = 1;
    const applies = await phase('apply', clients, (c) => {
      const i = random.int(0, NODES - 1);
      return c.call('PUT', nodePath(i), nodeBody(i, generation++));
    });

    const memory = await Promise.all(servers.map((s) => rssOf(s.pid)));
    const rssMB = Math.max(...memory.map((m) => m.rss));
    const peakRssMB = Math.max(...memory.map((m) => m.peak));
    for (const pool of pools) pool.close();

    const where = `${servers.length} replica${servers.length > 1 ? 's' : ''} on ${args.store}`;
    console.log(
      `GET    ${gets.perSecond}/s   p50 ${gets.p50} ms   p99 ${gets.p99} ms   (${gets.requests} requests, ${gets.errors} errors)`,
    );
    console.log(
      `apply  ${applies.perSecond}/s   p50 ${applies.p50} ms   p99 ${applies.p99} ms   (${applies.requests} requests, ${applies.errors} errors)`,
    );
    console.log(
      `${where}; largest server RSS ${rssMB} MB (peak ${peakRssMB} MB); ${CLIENTS} clients, ${SECONDS} s per phase, ${args.tls ? 'https' : 'http'}, seed ${args.seed}`,
    );
    console.log(
      JSON.stringify({
        bench: 'api',
        store: args.store,
        replicas: servers.length,
        clients: CLIENTS,
        seconds: SECONDS,
        seed: Number(args.seed),
        tls: args.tls,
        getsPerSecond: gets.perSecond,
        getP50Ms: gets.p50,
        getP99Ms: gets.p99,
        getErrors: gets.errors,
        appliesPerSecond: applies.perSecond,
        applyP50Ms: applies.p50,
        applyP99Ms: applies.p99,
        applyErrors: applies.errors,
        serverRssMB: rssMB,
        serverPeakRssMB: peakRssMB,
      }),
    );
  } finally {
    for (const server of servers) server.child.kill('SIGTERM');
    await Promise.all(servers.map((s) => new Promise((resolve) => s.child.once('exit', resolve))));
    await database?.drop().catch(() => undefined);
    await postgres?.destroy();
    await rm(root, { recursive: true, force: true });
  }
}

await main();
