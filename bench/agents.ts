/**
 * 1,000 node agents heartbeating one control plane (issue 6, Measure): the control plane's CPU and
 * the heartbeat latency.
 *
 *   npm run bench:agents -- [--agents 1000] [--seconds 30] [--interval 5] [--seed 42]
 *
 * The control plane (SQLite store, every default controller: node lifecycle, admission, …) runs in
 * a child process so its CPU (process.cpuUsage over the window) is its own; the agents are light
 * HTTP clients in this process, each with its own token and keep-alive connection, doing what
 * `strata agent` does on the wire: declare an 8-GPU Node once, then every interval write the Node's
 * status conditionally on its resourceVersion (on a 409, read and write again). They start spread
 * over one interval (seeded), so the load is the steady ~agents/interval heartbeats a second.
 * The last line is one JSON object with every figure.
 */
import { fork } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import type { DiscoveredHardware } from '../src/hardware/discovery/discover-hardware.js';
import { nodeSpecFrom } from '../src/hardware/discovery/node-spec-from.js';
import { API_VERSION, type ApiObject } from '../src/model/object.js';
import { AgentHttp } from '../src/providers/agent/agent-http.js';
import { apiPaths } from '../src/providers/agent/api-paths.js';
import { Rng } from '../src/runtime/rng.js';
import { startControlPlane } from '../src/server/control-plane.js';

const { values: args } = parseArgs({
  options: {
    agents: { type: 'string', default: '1000' },
    seconds: { type: 'string', default: '30' },
    interval: { type: 'string', default: '5' },
    seed: { type: 'string', default: '42' },
    admission: { type: 'string', default: 'on' },
    serve: { type: 'boolean', default: false },
  },
});

interface Usage {
  readonly cpu: NodeJS.CpuUsage;
  readonly rssBytes: number;
}

if (args.serve) {
  // The control plane's side: start, say where, then answer usage requests until told to stop.
  const dataDir = await mkdtemp(join(tmpdir(), 'strata-bench-agents-'));
  const plane = await startControlPlane({
    dataDir,
    port: 0,
    host: '127.0.0.1',
    demo: false,
    tls: false,
    localNode: false,
    admission: args.admission !== 'off',
  });
  process.on('message', async (message: string) => {
    if (message === 'usage') {
      process.send!({ cpu: process.cpuUsage(), rssBytes: process.memoryUsage().rss } satisfies Usage);
    } else if (message === 'stop') {
      await plane.close();
      await rm(dataDir, { recursive: true, force: true });
      process.exit(0);
    }
  });
  process.send!({ url: plane.url, adminToken: plane.bootstrap.adminToken });
} else {
  await main();
}

async function main(): Promise<void> {
  const AGENTS = Number(args.agents);
  const WINDOW_MS = Number(args.seconds) * 1000;
  const INTERVAL_MS = Number(args.interval) * 1000;
  const rng = new Rng(Number(args.seed));

  const child = fork(new URL(import.meta.url).pathname, ['--serve', '--admission', args.admission!], {
    execArgv: ['--import', 'tsx'],
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  const replies: ((value: unknown) => void)[] = [];
  child.on('message', (message) => replies.shift()?.(message));
  const next = <T>() => new Promise<T>((resolve) => replies.push(resolve as (value: unknown) => void));
  const { url, adminToken } = await next<{ url: string; adminToken: string }>();
  const usage = () => {
    const reply = next<Usage>();
    child.send('usage');
    return reply;
  };

  const admin = new AgentHttp({ server: url, token: adminToken });
  const must = async (method: string, path: string, json: unknown) => {
    const r = await admin.request(method, path, { json });
    if (r.status >= 400) throw new Error(`${method} ${path}: ${r.status} ${JSON.stringify(r.body)}`);
    return r.body as { token?: string };
  };
  await must('PUT', `/apis/${API_VERSION}/sites/lab`, {
    apiVersion: API_VERSION,
    kind: 'Site',
    metadata: { name: 'lab' },
    spec: {
      region: 'lab',
      jurisdiction: { country: 'DE', regime: 'EU' },
      provider: 'on-prem',
      timeZone: 'Europe/Berlin',
      powerBudgetKW: 10_000,
      tariff: { currency: 'EUR', pricePerKWh: 0.2 },
    },
  });
  await must('PUT', apiPaths.cluster('agents'), {
    apiVersion: API_VERSION,
    kind: 'Cluster',
    metadata: { name: 'agents' },
    spec: { site: 'lab', provider: 'agent' },
  });

  const setupStart = performance.now();
  const names = Array.from({ length: AGENTS }, (_, i) => `node-${String(i).padStart(4, '0')}`);
  const specs = names.map((name) => nodeSpecFrom(hardwareOf(name, rng), 'agents', name));
  const agents: { name: string; http: AgentHttp; node?: ApiObject }[] = [];
  // Registration is set-up, not the measured load: a few agents at a time, as machines come up.
  const SETUP_CONCURRENCY = 16;
  for (let start = 0; start < AGENTS; start += SETUP_CONCURRENCY) {
    const batch = names.slice(start, start + SETUP_CONCURRENCY);
    agents.push(
      ...(await Promise.all(
        batch.map(async (name, j) => {
          const { token } = await must('POST', '/auth/v1/tokens', {
            subject: 'bench-agents',
            ...(start + j === 0 && { role: 'node-agent' }),
          });
          const http = new AgentHttp({ server: url, token: token! });
          const r = await http.request('PUT', apiPaths.node(name), {
            json: { apiVersion: API_VERSION, kind: 'Node', metadata: { name }, spec: specs[start + j] },
          });
          if (r.status >= 400) throw new Error(`registering ${name}: ${r.status} ${JSON.stringify(r.body)}`);
          return { name, http, node: r.body as ApiObject };
        }),
      )),
    );
  }
  const setupMs = performance.now() - setupStart;
  console.log(`${AGENTS} agents registered (tokens and Nodes) in ${(setupMs / 1000).toFixed(1)} s`);

  let measuring = false;
  let stopped = false;
  const latencies: number[] = [];
  let conflicts = 0;
  let errors = 0;
  const errorKinds = new Map<string, number>();
  const failed = (kind: string) => {
    if (!measuring) return;
    errors++;
    errorKinds.set(kind, (errorKinds.get(kind) ?? 0) + 1);
  };
  const beat = async (agent: (typeof agents)[number]) => {
    const started = performance.now();
    for (let attempt = 0; attempt < 2; attempt++) {
      const r = await agent.http.request('PUT', apiPaths.nodeStatus(agent.name), {
        json: {
          ...(agent.node && { metadata: { resourceVersion: agent.node.metadata.resourceVersion } }),
          status: {
            state: 'Ready',
            lastHeartbeat: new Date().toISOString(),
            message: 'bench agent: 0 pods running',
          },
        },
      });
      if (r.status === 409) {
        if (measuring) conflicts++;
        agent.node = (await agent.http.request('GET', apiPaths.node(agent.name))).body as ApiObject;
        continue;
      }
      if (r.status >= 400) {
        failed(`HTTP ${r.status}`);
        return;
      }
      agent.node = r.body as ApiObject;
      break;
    }
    if (measuring) latencies.push(performance.now() - started);
  };
  const timers = agents.map((agent) => {
    let timer: NodeJS.Timeout | undefined;
    const loop = () => {
      if (stopped) return;
      void beat(agent).catch((error: Error) => failed(error.message.replace(/.*\((.*)\)$/, '$1')));
      timer = setTimeout(loop, INTERVAL_MS);
    };
    timer = setTimeout(loop, rng.next() * INTERVAL_MS);
    return () => clearTimeout(timer);
  });

  // One interval of warm-up: every agent has beaten once before the window opens.
  await new Promise((r) => setTimeout(r, INTERVAL_MS));
  const before = await usage();
  const ownBefore = process.cpuUsage();
  const windowStart = performance.now();
  measuring = true;
  await new Promise((r) => setTimeout(r, WINDOW_MS));
  measuring = false;
  const windowMs = performance.now() - windowStart;
  const after = await usage();
  const own = process.cpuUsage(ownBefore);
  stopped = true;
  for (const stop of timers) stop();
  for (const agent of agents) agent.http.close();
  admin.close();
  child.send('stop');
  await new Promise((r) => child.once('exit', r));

  const cpuMs = (after.cpu.user - before.cpu.user + after.cpu.system - before.cpu.system) / 1000;
  const sorted = [...latencies].sort((a, b) => a - b);
  const pct = (p: number) =>
    sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? NaN;
  const figures = {
    bench: 'agents',
    agents: AGENTS,
    heartbeatIntervalS: INTERVAL_MS / 1000,
    windowS: round(windowMs / 1000, 1),
    heartbeats: latencies.length,
    heartbeatsPerSecond: round(latencies.length / (windowMs / 1000), 1),
    controllers: args.admission === 'off' ? 'node lifecycle only' : 'node lifecycle and admission',
    conflicts,
    errors,
    errorKinds: Object.fromEntries(errorKinds),
    heartbeatLatencyMs: {
      p50: round(pct(50), 2),
      p99: round(pct(99), 2),
      max: round(sorted.at(-1) ?? NaN, 2),
    },
    controlPlaneCpu: {
      cores: round(cpuMs / windowMs, 3),
      cpuMsPerHeartbeat: round(cpuMs / Math.max(1, latencies.length), 3),
      rssMiB: round(after.rssBytes / 2 ** 20, 0),
    },
    clientsCpuCores: round((own.user + own.system) / 1000 / windowMs, 3),
    setupS: round(setupMs / 1000, 1),
    seed: Number(args.seed),
    machine: { cpus: (await import('node:os')).cpus().length, node: process.version },
  };
  console.log(
    `${figures.heartbeats} heartbeats in ${figures.windowS} s (${figures.heartbeatsPerSecond}/s): latency p50 ${figures.heartbeatLatencyMs.p50} ms, p99 ${figures.heartbeatLatencyMs.p99} ms; control plane ${figures.controlPlaneCpu.cores} cores (${figures.controlPlaneCpu.cpuMsPerHeartbeat} ms CPU a heartbeat), RSS ${figures.controlPlaneCpu.rssMiB} MiB; ${conflicts} conflicts, ${errors} errors`,
  );
  console.log(JSON.stringify(figures));
}

function round(value: number, digits: number): number {
  const f = 10 ** digits;
  return Math.round(value * f) / f;
}

/** A DGX-like machine: 224 CPUs on 2 NUMA nodes, 2 TiB, 8 H100s in one NVLink domain. */
function hardwareOf(name: string, rng: Rng): DiscoveredHardware {
  const hex = () =>
    Math.floor(rng.next() * 2 ** 32)
      .toString(16)
      .padStart(8, '0');
  return {
    hostname: name,
    cpu: { logicalCpus: 224, sockets: 2, model: 'Intel(R) Xeon(R) Platinum 8480C' },
    numaNodes: [
      { id: 0, cpus: [] },
      { id: 1, cpus: [] },
    ],
    memoryBytes: 2 * 2 ** 40,
    gpus: Array.from({ length: 8 }, (_, index) => ({
      index,
      uuid: `GPU-${hex()}-${hex().slice(0, 4)}-${hex().slice(0, 4)}-${hex().slice(0, 4)}-${hex()}${hex().slice(0, 4)}`,
      name: 'NVIDIA H100 80GB HBM3',
      model: 'H100-SXM-80GB',
      memoryMiB: 81559,
      pciBusId: `00000000:${(0x18 + index * 0x10).toString(16).toUpperCase()}:00.0`,
      migMode: 'disabled' as const,
      migDevices: [],
      numaNode: index < 4 ? 0 : 1,
      nvlinkDomain: 0,
    })),
    warnings: [],
  };
}
