/**
 * A node cut off from the control plane, and its return. The agent reaches the server through a
 * TCP relay the test can cut (a real partition: connections reset, new ones dropped); the server
 * sees silence, marks the node NotReady and requeues its work, which another agent picks up. When
 * the relay is restored, the returning agent stops the pod whose workload moved and its node is
 * Ready again.
 */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { connect, createServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { discoverHardware } from '../../../src/hardware/discovery/discover-hardware.js';
import type { WorkloadStatus } from '../../../src/model/scheduling.js';
import { AgentHttp } from '../../../src/providers/agent/agent-http.js';
import { NodeAgent } from '../../../src/providers/agent/node-agent.js';
import { systemClock } from '../../../src/runtime/clock.js';
import { type AgentPlane, api, CLUSTER, cpuWorkload, PROJECT, startAgentPlane } from './agent-fleet.js';

const FIXTURES = join(import.meta.dirname, '../../hardware/discovery/fixtures');

/** A TCP relay to `target` that can be cut and restored. */
class Relay {
  readonly #sockets = new Set<Socket>();
  #cut = false;
  readonly server: Server;
  constructor(target: URL) {
    this.server = createServer((client) => {
      if (this.#cut) {
        client.destroy();
        return;
      }
      const upstream = connect(Number(target.port), target.hostname);
      for (const s of [client, upstream]) {
        this.#sockets.add(s);
        s.on('close', () => this.#sockets.delete(s));
        s.on('error', () => {});
      }
      client.pipe(upstream).pipe(client);
      client.on('close', () => upstream.destroy());
      upstream.on('close', () => client.destroy());
    });
  }
  async listen(): Promise<string> {
    await new Promise<void>((r) => this.server.listen(0, '127.0.0.1', r));
    const address = this.server.address();
    return `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
  }
  cut(): void {
    this.#cut = true;
    for (const s of this.#sockets) s.destroy();
  }
  restore(): void {
    this.#cut = false;
  }
  close(): Promise<void> {
    this.cut();
    return new Promise((r) => this.server.close(() => r()));
  }
}

async function until<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 20_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

describe('a partitioned node', () => {
  let plane: AgentPlane;
  let dir: string;
  let relay: Relay;
  const agents: NodeAgent[] = [];

  beforeAll(async () => {
    plane = await startAgentPlane({ admission: true, nodeGraceMs: 1_500 });
    dir = await mkdtemp(join(tmpdir(), 'strata-partition-'));
    relay = new Relay(new URL(plane.url));
  });
  afterAll(async () => {
    relay.restore();
    for (const agent of agents) await agent.stop();
    await relay.close();
    await plane.stop();
    await rm(dir, { recursive: true, force: true });
  }, 20_000);

  async function start(node: string, server: string) {
    const hardware = await discoverHardware({
      run: async (cmd) => {
        throw Object.assign(new Error(`spawn ${cmd} ENOENT`), { code: 'ENOENT' });
      },
      procRoot: join(FIXTURES, 'no-gpu', 'proc'),
      sysRoot: join(FIXTURES, 'no-gpu', 'sys'),
      hostname: node,
    });
    const agent = new NodeAgent({
      http: new AgentHttp({ server, token: (await plane.agentToken(`agent-${node}`)).token }),
      node,
      cluster: CLUSTER,
      dataDir: join(dir, node),
      clock: systemClock,
      hardware,
      heartbeatMs: 200,
      killGraceMs: 200,
      onError: () => {},
    });
    await agent.start();
    agents.push(agent);
  }

  const statusOf = async (name: string): Promise<WorkloadStatus | undefined> =>
    (await plane.call('GET', api('workloads', name, PROJECT))).body.status;
  const nodeState = async (name: string) => (await plane.call('GET', api('nodes', name))).body.status?.state;

  it('loses its work to another node, and stops its own copy when it comes back', async () => {
    await start('island', await relay.listen());
    const pidFile = join(dir, 'pid-$STRATA_NODE');
    await plane.call(
      'PUT',
      api('workloads', 'stays', PROJECT),
      cpuWorkload('stays', ['sh', '-c', `echo $$ > ${pidFile}; exec sleep 60`]),
    );
    await until('the workload to run on the island', async () =>
      (await statusOf('stays'))?.phase === 'Running' ? true : undefined,
    );
    const islandPid = Number(
      await until('the pod pid', () => readFile(join(dir, 'pid-island'), 'utf8').catch(() => undefined)),
    );
    expect(alive(islandPid)).toBe(true);

    await start('mainland', plane.url);
    relay.cut();
    const moved = await until('the workload to run on the mainland', async () => {
      const status = await statusOf('stays');
      return status?.phase === 'Running' && status.admission?.pods[0]?.node === 'mainland'
        ? status
        : undefined;
    });
    expect(moved.requeues).toBe(1);
    expect(await nodeState('island')).toBe('NotReady');
    // Cut off, the island cannot know: its copy still runs.
    expect(alive(islandPid)).toBe(true);

    relay.restore();
    await until('the island’s copy to be stopped', async () => (alive(islandPid) ? undefined : true));
    await until('the island to be Ready again', async () =>
      (await nodeState('island')) === 'Ready' ? true : undefined,
    );
    const after = await statusOf('stays');
    expect(after).toMatchObject({ phase: 'Running', admission: { pods: [{ node: 'mainland' }] } });
  }, 40_000);
});
