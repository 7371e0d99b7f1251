/**
 * API throughput and latency on loopback: 50 concurrent clients against a real
 * `strata up` child process (embedded SQLite), first GETs of single objects,
 * then applies (PUT create-or-update that really change the object).
 *
 *   npm run bench:api -- [--seconds 10] [--clients 50] [--seed 42] [--tls] [--profile DIR]
 *
 * --profile writes the server's V8 CPU profile to DIR (open it in Chrome DevTools).
 *
 * The load generator runs in this process and shares the machine's cores with
 * the server, so the figures are a floor for the server alone. The last line is
 * one JSON object with every figure.
 */
import { spawn } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { Agent as HttpAgent, request as httpRequest } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';

const { values: args } = parseArgs({
  options: {
    seconds: { type: 'string', default: '10' },
    clients: { type: 'string', default: '50' },
    seed: { type: 'string', default: '42' },
    nodes: { type: 'string', default: '500' },
    tls: { type: 'boolean', default: false },
    profile: { type: 'string' },
  },
});
const SECONDS = Number(args.seconds);
const CLIENTS = Number(args.clients);
const NODES = Number(args.nodes);

/** mulberry32: a small seeded generator, so a run's request sequence is reproducible. */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
const random = rng(Number(args.seed));

async function startServer(dataDir: string): Promise<{ url: string; pid: number; stop: () => void }> {
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
  return { url, pid: child.pid!, stop: () => child.kill('SIGTERM') };
}

async function main(): Promise<void> {
  const dataDir = await mkdtemp(join(tmpdir(), 'strata-bench-'));
  const server = await startServer(dataDir);
  const token = (await readFile(join(dataDir, 'admin-token'), 'utf8')).trim();
  const ca = args.tls ? await readFile(join(dataDir, 'tls', 'ca.crt'), 'utf8') : undefined;
  const base = new URL(server.url);
  const agent = args.tls
    ? new HttpsAgent({ keepAlive: true, maxSockets: CLIENTS, ...(ca !== undefined && { ca }) })
    : new HttpAgent({ keepAlive: true, maxSockets: CLIENTS });
  const send = args.tls ? httpsRequest : httpRequest;

  function call(method: string, path: string, body?: unknown): Promise<number> {
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
            authorization: `Bearer ${token}`,
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

  process.stderr.write(`server ${server.url} (pid ${server.pid}); seeding ${NODES} nodes…\n`);
  await call('PUT', '/apis/strata.dev/v1alpha1/sites/bench', {
    apiVersion: 'strata.dev/v1alpha1',
    kind: 'Site',
    metadata: { name: 'bench' },
    spec: {
      region: 'bench',
      jurisdiction: { country: 'DE', regime: 'EU' },
      provider: 'bench',
      timeZone: 'UTC',
      powerBudgetKW: 1000,
      tariff: { currency: 'EUR', pricePerKWh: 0.2 },
    },
  });
  await call('PUT', '/apis/strata.dev/v1alpha1/clusters/bench', {
    apiVersion: 'strata.dev/v1alpha1',
    kind: 'Cluster',
    metadata: { name: 'bench' },
    spec: { site: 'bench', provider: 'simulated' },
  });
  for (let i = 0; i < NODES; i += CLIENTS) {
    await Promise.all(
      Array.from({ length: Math.min(CLIENTS, NODES - i) }, (_, k) =>
        call('PUT', nodePath(i + k), nodeBody(i + k, 0)),
      ),
    );
  }

  async function phase(name: string, op: () => Promise<number>) {
    const latencies: number[] = [];
    let errors = 0;
    const deadline = performance.now() + SECONDS * 1000;
    const started = performance.now();
    let lastReport = started;
    await Promise.all(
      Array.from({ length: CLIENTS }, async () => {
        while (performance.now() < deadline) {
          const t0 = performance.now();
          const status = await op();
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

  const gets = await phase('GET', () => call('GET', nodePath(Math.floor(random() * NODES))));
  let generation = 1;
  const applies = await phase('apply', () => {
    const i = Math.floor(random() * NODES);
    return call('PUT', nodePath(i), nodeBody(i, generation++));
  });

  const status = await readFile(`/proc/${server.pid}/status`, 'utf8');
  const kb = (field: string) => Number(new RegExp(`${field}:\\s+(\\d+)`).exec(status)?.[1] ?? 0);
  const rssMB = Math.round(kb('VmRSS') / 1024);
  const peakRssMB = Math.round(kb('VmHWM') / 1024);
  server.stop();
  agent.destroy();
  await rm(dataDir, { recursive: true, force: true });

  console.log(
    `GET    ${gets.perSecond}/s   p50 ${gets.p50} ms   p99 ${gets.p99} ms   (${gets.requests} requests, ${gets.errors} errors)`,
  );
  console.log(
    `apply  ${applies.perSecond}/s   p50 ${applies.p50} ms   p99 ${applies.p99} ms   (${applies.requests} requests, ${applies.errors} errors)`,
  );
  console.log(
    `server RSS ${rssMB} MB (peak ${peakRssMB} MB); ${CLIENTS} clients, ${SECONDS} s per phase, ${args.tls ? 'https' : 'http'}, seed ${args.seed}`,
  );
  console.log(
    JSON.stringify({
      bench: 'api',
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
}

await main();
