/**
 * Node failure (issue 6, Measure): the time from a killed agent's last heartbeat to its work being
 * requeued, with the default node grace (30 s; the goal is 40 s) and with a short configured one.
 *
 *   npm run bench:node-failure -- [--agents 100] [--workloads 4] [--kills 3] [--short-kills 10]
 *                                  [--short-grace 2] [--interval 5] [--short-interval 0.5] [--seed 42]
 *
 * One in-process control plane per grace (ControlPlaneOptions.nodeGraceMs), `--agents` light agent
 * clients heartbeating as `strata agent` does on the wire: every `--interval` s under the default
 * grace, every `--short-interval` s under the short one (an interval must stay well under the grace,
 * or live nodes lapse between their beats). For each kill a
 * victim is drawn (seeded), `--workloads` workloads are given Admitted statuses with pods on it (the
 * admission controller is off so nothing else moves them), and the victim stops heartbeating at a
 * random moment. Measured on the store's commits: from the victim's last heartbeat (the
 * lastHeartbeat it wrote) to the first and to the last of its workloads back in Pending with reason
 * NodeLost. The last line is one JSON object with every figure.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { API_VERSION, type ApiObject } from '../src/model/object.js';
import type { WorkloadStatus } from '../src/model/scheduling.js';
import { AgentHttp } from '../src/providers/agent/agent-http.js';
import { apiPaths } from '../src/providers/agent/api-paths.js';
import { Rng } from '../src/runtime/rng.js';
import { DEFAULT_NODE_GRACE_MS, startControlPlane } from '../src/server/control-plane.js';

const { values: args } = parseArgs({
  options: {
    agents: { type: 'string', default: '100' },
    workloads: { type: 'string', default: '4' },
    kills: { type: 'string', default: '3' },
    'short-kills': { type: 'string', default: '10' },
    'short-grace': { type: 'string', default: '2' },
    interval: { type: 'string', default: '5' },
    'short-interval': { type: 'string', default: '0.5' },
    seed: { type: 'string', default: '42' },
  },
});
const AGENTS = Number(args.agents);
const WORKLOADS = Number(args.workloads);
const rng = new Rng(Number(args.seed));
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

interface Run {
  readonly graceS: number;
  readonly heartbeatIntervalS: number;
  readonly kills: number;
  readonly toFirstRequeueMs: readonly number[];
  readonly toAllRequeuedMs: readonly number[];
}

async function scenario(graceMs: number | undefined, intervalMs: number, kills: number): Promise<Run> {
  const dataDir = await mkdtemp(join(tmpdir(), 'strata-bench-node-failure-'));
  const plane = await startControlPlane({
    dataDir,
    port: 0,
    host: '127.0.0.1',
    demo: false,
    tls: false,
    admission: false,
    localNode: false,
    ...(graceMs !== undefined && { nodeGraceMs: graceMs }),
  });
  const admin = new AgentHttp({ server: plane.url, token: plane.bootstrap.adminToken });
  const must = async (method: string, path: string, json: unknown) => {
    const r = await admin.request(method, path, { json });
    if (r.status >= 400) throw new Error(`${method} ${path}: ${r.status} ${JSON.stringify(r.body)}`);
    return r.body as ApiObject & { token?: string };
  };
  const object = (kind: string, name: string, spec: unknown, metadata: object = {}) => ({
    apiVersion: API_VERSION,
    kind,
    metadata: { name, ...metadata },
    spec,
  });
  const base = `/apis/${API_VERSION}`;
  await must(
    'PUT',
    `${base}/sites/lab`,
    object('Site', 'lab', {
      region: 'lab',
      jurisdiction: { country: 'DE', regime: 'EU' },
      provider: 'on-prem',
      timeZone: 'Europe/Berlin',
      powerBudgetKW: 1_000,
      tariff: { currency: 'EUR', pricePerKWh: 0.2 },
    }),
  );
  await must(
    'PUT',
    apiPaths.cluster('agents'),
    object('Cluster', 'agents', { site: 'lab', provider: 'agent' }),
  );
  await must('PUT', `${base}/tenants/acme`, object('Tenant', 'acme', {}));
  await must('PUT', `${base}/projects/ml`, object('Project', 'ml', {}, { tenant: 'acme' }));
  await must('PUT', `${base}/queues/q`, object('Queue', 'q', {}));
  const { token } = await must('POST', '/auth/v1/tokens', { subject: 'bench-agents', role: 'node-agent' });

  interface Agent {
    readonly name: string;
    readonly http: AgentHttp;
    node?: ApiObject;
    alive: boolean;
    lastHeartbeat?: string;
    timer?: NodeJS.Timeout;
  }
  const agents: Agent[] = [];
  for (let i = 0; i < AGENTS; i++) {
    const name = `node-${String(i).padStart(3, '0')}`;
    const http = new AgentHttp({ server: plane.url, token: token! });
    const spec = { cluster: 'agents', cpu: { cores: 64, numaNodes: 1 }, memory: '512Gi' };
    const r = await http.request('PUT', apiPaths.node(name), { json: object('Node', name, spec) });
    if (r.status >= 400) throw new Error(`registering ${name}: ${r.status}`);
    agents.push({ name, http, node: r.body as ApiObject, alive: true });
  }
  const beat = async (agent: Agent) => {
    for (let attempt = 0; attempt < 2 && agent.alive; attempt++) {
      const lastHeartbeat = new Date().toISOString();
      const r = await agent.http.request('PUT', apiPaths.nodeStatus(agent.name), {
        json: {
          ...(agent.node && { metadata: { resourceVersion: agent.node.metadata.resourceVersion } }),
          status: { state: 'Ready', lastHeartbeat, message: 'bench agent' },
        },
      });
      if (r.status === 409) {
        agent.node = (await agent.http.request('GET', apiPaths.node(agent.name))).body as ApiObject;
        continue;
      }
      if (r.status < 400) {
        agent.node = r.body as ApiObject;
        agent.lastHeartbeat = lastHeartbeat;
      }
      return;
    }
  };
  const loop = (agent: Agent) => {
    if (!agent.alive) return;
    void beat(agent).catch(() => {});
    agent.timer = setTimeout(() => loop(agent), intervalMs);
  };
  for (const agent of agents) agent.timer = setTimeout(() => loop(agent), rng.next() * intervalMs);
  await sleep(intervalMs + 200);

  const toFirst: number[] = [];
  const toAll: number[] = [];
  for (let k = 0; k < kills; k++) {
    const victim = agents.filter((a) => a.alive)[rng.int(0, agents.filter((a) => a.alive).length - 1)]!;
    const names = Array.from({ length: WORKLOADS }, (_, i) => `w-${k}-${i}`);
    const at = new Date().toISOString();
    for (const name of names) {
      await must('PUT', `${base}/namespaces/ml/workloads/${name}`, {
        ...object(
          'Workload',
          name,
          { queue: 'q', podSets: [{ name: 'main', count: 1, resources: { cpu: 1, memory: '1Gi' } }] },
          { project: 'ml' },
        ),
      });
      await must('PUT', `${base}/namespaces/ml/workloads/${name}/status`, {
        status: {
          phase: 'Running',
          startedAt: at,
          admission: {
            queue: 'q',
            priority: 0,
            demand: { cpu: 1 },
            admittedAt: at,
            pods: [{ pod: 'main-0', node: victim.name, gpus: [] }],
          },
        } satisfies WorkloadStatus,
      });
    }
    const requeuedAt = new Map<string, number>();
    const allRequeued = new Promise<void>((resolve) => {
      const unsubscribe = plane.store.onCommit(() => {
        void (async () => {
          for (const name of names) {
            if (requeuedAt.has(name)) continue;
            const w = await plane.store.get({ kind: 'Workload', name, project: 'ml' });
            const status = w?.status as WorkloadStatus | undefined;
            if (status?.phase === 'Pending' && status.reason === 'NodeLost') requeuedAt.set(name, Date.now());
          }
          if (requeuedAt.size === names.length) {
            unsubscribe();
            resolve();
          }
        })();
      });
    });
    // Killed at a random point of its heartbeat cycle.
    await sleep(rng.next() * intervalMs);
    victim.alive = false;
    clearTimeout(victim.timer);
    await allRequeued;
    const last = Date.parse(victim.lastHeartbeat!);
    const times = [...requeuedAt.values()].map((t) => t - last);
    toFirst.push(Math.min(...times));
    toAll.push(Math.max(...times));
    console.log(
      `grace ${(graceMs ?? DEFAULT_NODE_GRACE_MS) / 1000} s, kill ${k + 1}/${kills} (${victim.name}): last heartbeat → first requeue ${(Math.min(...times) / 1000).toFixed(3)} s, all ${WORKLOADS} ${(Math.max(...times) / 1000).toFixed(3)} s`,
    );
  }
  for (const agent of agents) {
    agent.alive = false;
    clearTimeout(agent.timer);
    agent.http.close();
  }
  admin.close();
  await plane.close();
  await rm(dataDir, { recursive: true, force: true });
  return {
    graceS: (graceMs ?? DEFAULT_NODE_GRACE_MS) / 1000,
    heartbeatIntervalS: intervalMs / 1000,
    kills,
    toFirstRequeueMs: toFirst,
    toAllRequeuedMs: toAll,
  };
}

function summary(values: readonly number[]) {
  const sorted = [...values].sort((a, b) => a - b);
  const s = (v: number | undefined) => (v === undefined ? null : Math.round(v) / 1000);
  return { min: s(sorted[0]), p50: s(sorted[Math.floor(sorted.length / 2)]), max: s(sorted.at(-1)) };
}

const short = await scenario(
  Number(args['short-grace']) * 1000,
  Number(args['short-interval']) * 1000,
  Number(args['short-kills']),
);
const byDefault = await scenario(undefined, Number(args.interval) * 1000, Number(args.kills));
const figures = {
  bench: 'node-failure',
  agents: AGENTS,
  workloadsPerNode: WORKLOADS,
  defaultGrace: {
    graceS: byDefault.graceS,
    heartbeatIntervalS: byDefault.heartbeatIntervalS,
    kills: byDefault.kills,
    lastHeartbeatToFirstRequeueS: summary(byDefault.toFirstRequeueMs),
    lastHeartbeatToAllRequeuedS: summary(byDefault.toAllRequeuedMs),
    goalS: 40,
    withinGoal: byDefault.toAllRequeuedMs.every((ms) => ms <= 40_000),
    // The figure is the grace plus up to one sweep interval (2 s) plus the requeue writes.
    overGraceMaxS: Math.round(Math.max(...byDefault.toAllRequeuedMs) - byDefault.graceS * 1000) / 1000,
  },
  shortGrace: {
    graceS: short.graceS,
    heartbeatIntervalS: short.heartbeatIntervalS,
    kills: short.kills,
    lastHeartbeatToFirstRequeueS: summary(short.toFirstRequeueMs),
    lastHeartbeatToAllRequeuedS: summary(short.toAllRequeuedMs),
    overGraceMaxS: Math.round(Math.max(...short.toAllRequeuedMs) - short.graceS * 1000) / 1000,
  },
  seed: Number(args.seed),
  machine: { cpus: cpus().length, node: process.version },
};
console.log(JSON.stringify(figures));
