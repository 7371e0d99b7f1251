/**
 * The node agent against a real control plane over loopback HTTP. Its hardware is discovered from
 * the recorded DGX H100 and no-GPU fixtures (no GPU machine here); pods are real child processes.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { discoverHardware } from '../../../src/hardware/discovery/discover-hardware.js';
import type { NodeStatus } from '../../../src/model/fleet.js';
import { AgentHttp } from '../../../src/providers/agent/agent-http.js';
import { AgentRefusedError } from '../../../src/providers/agent/http-workload-port.js';
import { AgentSetupError, NodeAgent } from '../../../src/providers/agent/node-agent.js';
import { systemClock } from '../../../src/runtime/clock.js';
import { type AgentPlane, api, CLUSTER, cpuWorkload, PROJECT, startAgentPlane } from './agent-fleet.js';

const FIXTURES = join(import.meta.dirname, '../../hardware/discovery/fixtures');

function recordedHardware(machine: 'dgx-h100' | 'no-gpu') {
  return discoverHardware({
    run: async (cmd, args) => {
      if (machine === 'no-gpu') throw Object.assign(new Error(`spawn ${cmd} ENOENT`), { code: 'ENOENT' });
      const { readFile } = await import('node:fs/promises');
      const file =
        args[0] === '-L'
          ? 'nvidia-smi-L.txt'
          : args[0] === 'topo'
            ? 'nvidia-smi-topo.txt'
            : 'nvidia-smi-query.csv';
      return readFile(join(FIXTURES, machine, file), 'utf8');
    },
    procRoot: join(FIXTURES, machine, 'proc'),
    sysRoot: join(FIXTURES, machine, 'sys'),
    hostname: machine,
  });
}

const until = async <T>(
  what: string,
  probe: () => Promise<T | undefined>,
  timeoutMs = 15_000,
): Promise<T> => {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
};

describe('the node agent', () => {
  let plane: AgentPlane;
  let dataDir: string;
  const agents: NodeAgent[] = [];

  beforeAll(async () => {
    plane = await startAgentPlane({ admission: true });
    dataDir = await mkdtemp(join(tmpdir(), 'strata-agent-'));
  });
  afterEach(async () => {
    for (const agent of agents.splice(0)) await agent.stop();
  });
  afterAll(async () => {
    await plane.stop();
    await rm(dataDir, { recursive: true, force: true });
  });

  async function agentFor(
    node: string,
    options: { machine?: 'dgx-h100' | 'no-gpu'; cluster?: string; token?: string; heartbeatMs?: number } = {},
  ) {
    const token = options.token ?? (await plane.agentToken(`agent-${node}`)).token;
    const agent = new NodeAgent({
      http: new AgentHttp({ server: plane.url, token }),
      node,
      cluster: options.cluster ?? CLUSTER,
      dataDir: join(dataDir, node),
      clock: systemClock,
      hardware: await recordedHardware(options.machine ?? 'no-gpu'),
      // nvidia-smi's power, utilisation and memory query on the recorded DGX: four GPUs busy, four idle.
      run: async () =>
        Array.from(
          { length: 8 },
          (_, i) => `${i}, ${i < 4 ? 96 : 0}, ${i < 4 ? '650.25' : '70.00'}, ${i < 4 ? 40960 : 0}`,
        ).join('\n'),
      heartbeatMs: options.heartbeatMs ?? 100,
      killGraceMs: 200,
      onError: () => {},
    });
    return agent;
  }

  async function started(node: string, options?: Parameters<typeof agentFor>[1]) {
    const agent = await agentFor(node, options);
    await agent.start();
    agents.push(agent);
    return agent;
  }

  const nodeOf = async (name: string) => (await plane.call('GET', api('nodes', name))).body;

  it('declares its Node from the discovered hardware and marks it Ready', async () => {
    await started('dgx-1', { machine: 'dgx-h100' });
    const node = await nodeOf('dgx-1');
    expect(node.metadata.labels).toMatchObject({ 'strata.dev/provider': 'agent' });
    expect(node.spec.cluster).toBe(CLUSTER);
    expect(node.spec.cpu).toMatchObject({ cores: 224, numaNodes: 2 });
    expect(node.spec.accelerators).toHaveLength(8);
    expect(new Set(node.spec.accelerators.map((a: { nvlinkDomain: string }) => a.nvlinkDomain))).toEqual(
      new Set(['dgx-1-nvl0']),
    );
    expect(node.status).toMatchObject({
      state: 'Ready',
      message: expect.stringMatching(/^agent on dgx-h100/),
    });
  });

  it('reports its GPUs’ power draw and utilisation with each heartbeat', async () => {
    await started('dgx-2', { machine: 'dgx-h100' });
    const status = (await nodeOf('dgx-2')).status;
    expect(status).toMatchObject({
      powerDrawWatts: 2881,
      message: expect.stringMatching(/GPU utilisation 48% over 8 GPUs$/),
    });
    expect(status.accelerators).toHaveLength(8);
    expect(status.accelerators[0]).toEqual({ index: 0, utilization: 0.96, memoryUsedBytes: 40960 * 2 ** 20 });
    expect(status.accelerators[7]).toEqual({ index: 7, utilization: 0, memoryUsedBytes: 0 });
  });

  it('heartbeats: lastHeartbeat moves forward every interval', async () => {
    await started('beating', { heartbeatMs: 50 });
    const first = (await nodeOf('beating')).status.lastHeartbeat;
    const later = await until('a later heartbeat', async () => {
      const beat = (await nodeOf('beating')).status.lastHeartbeat;
      return beat > first ? beat : undefined;
    });
    expect(Date.parse(later)).toBeGreaterThan(Date.parse(first));
  });

  it('keeps the taints and the unschedulable flag people set on its Node', async () => {
    const agent = await started('tainted');
    await agent.stop();
    agents.splice(agents.indexOf(agent), 1);
    const node = await nodeOf('tainted');
    await plane.call('PUT', api('nodes', 'tainted'), {
      ...node,
      spec: { ...node.spec, unschedulable: true, taints: [{ key: 'maintenance', effect: 'NoSchedule' }] },
    });
    await started('tainted');
    expect((await nodeOf('tainted')).spec).toMatchObject({
      unschedulable: true,
      taints: [{ key: 'maintenance', effect: 'NoSchedule' }],
    });
  });

  it('does not undo a drain: a heartbeat of a Draining node keeps it Draining', async () => {
    await started('drained', { heartbeatMs: 50 });
    const node = await nodeOf('drained');
    await plane.call('PUT', `${api('nodes', 'drained')}/status`, {
      status: { ...node.status, state: 'Draining' },
    });
    const before = (await nodeOf('drained')).status.lastHeartbeat;
    await until('a heartbeat after the drain', async () => {
      const status: NodeStatus = (await nodeOf('drained')).status;
      return status.lastHeartbeat! > before ? status : undefined;
    });
    expect((await nodeOf('drained')).status.state).toBe('Draining');
  });

  it('marks its node NotReady when stopped, so its work can move', async () => {
    const agent = await started('leaving');
    await agent.stop();
    agents.splice(agents.indexOf(agent), 1);
    expect((await nodeOf('leaving')).status).toMatchObject({
      state: 'NotReady',
      message: 'the agent was stopped',
    });
  });

  it.each([
    ['a cluster that does not exist', 'nowhere', /cluster "nowhere" does not exist/],
    ['a cluster of another provider', 'plain', /cluster "plain" has provider local; node agents join/],
  ])('refuses to start in %s, naming the cluster', async (_, cluster, message) => {
    const agent = await agentFor('misplaced', { cluster });
    const error = await agent.start().then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(AgentSetupError);
    expect((error as Error).message).toMatch(message);
    expect((await plane.call('GET', api('nodes', 'misplaced'), undefined, [404])).status).toBe(404);
  });

  it('is refused with a revoked token (401), and the refusal is audited', async () => {
    const { id, token } = await plane.agentToken('agent-revoked');
    await plane.call('DELETE', `/auth/v1/tokens/${id}`);
    const since = (await plane.store.readAudit(0, 100_000)).length;
    const error = await (await agentFor('revoked', { token })).start().then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(AgentRefusedError);
    expect(error).toMatchObject({ status: 401 });
    const refusals = (await plane.store.readAudit(0, 100_000))
      .slice(since)
      .filter((r) => r.outcome === 'denied' && r.code === 401);
    expect(refusals).toEqual([
      expect.objectContaining({
        subject: { name: 'anonymous' },
        object: { kind: 'Request', name: api('clusters', CLUSTER) },
        reason: 'the bearer token is invalid, expired or revoked',
      }),
    ]);
  });

  it('runs a workload admitted onto its node and ships the pod’s output to the server', async () => {
    await started('worker', { heartbeatMs: 200 });
    await plane.call(
      'PUT',
      api('workloads', 'hello', PROJECT),
      cpuWorkload('hello', ['sh', '-c', 'echo hello from $STRATA_NODE']),
    );
    const done = await until(
      'the workload to succeed',
      async () => {
        const w = (await plane.call('GET', api('workloads', 'hello', PROJECT))).body;
        return w.status?.phase === 'Succeeded' || w.status?.phase === 'Failed' ? w : undefined;
      },
      20_000,
    );
    expect(done.status).toMatchObject({ phase: 'Succeeded', admission: { pods: [{ node: 'worker' }] } });
    const logs = await until('the shipped log', async () => {
      const response = await fetch(`${plane.url}/api/v1/projects/${PROJECT}/workloads/hello/logs`, {
        headers: { authorization: `Bearer ${plane.bootstrap.adminToken}` },
      });
      const text = await response.text();
      return text.includes('hello') ? text : undefined;
    });
    expect(logs).toContain('hello from worker');
  }, 30_000);
});
