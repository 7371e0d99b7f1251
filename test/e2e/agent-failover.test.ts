/**
 * Issue 6, "Done when": a control plane and three `strata agent` processes on loopback; the agent
 * running a workload is SIGKILLed; its node goes NotReady, the workload is requeued (NodeLost in
 * its history), admitted on another node and finishes Succeeded there.
 *
 * The control plane runs in this process (with a 2 s node grace so the test is quick); the agents
 * are the built CLI as child processes, CPU-only (no GPU machine here), heartbeating every 300 ms.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { WorkloadStatus } from '../../src/model/scheduling.js';
import {
  type AgentPlane,
  api,
  CLUSTER,
  cpuWorkload,
  PROJECT,
  startAgentPlane,
} from '../providers/agent/agent-fleet.js';
import { REPO_ROOT, Sandbox, STRATA_BIN } from './support.js';

const NODES = ['agent-a', 'agent-b', 'agent-c'] as const;
const GRACE_MS = 2_000;

interface AgentProcess {
  readonly child: ChildProcess;
  readonly exited: Promise<void>;
  stderr: string;
}

describe('three node agents, one killed', () => {
  let sandbox: Sandbox;
  let plane: AgentPlane;
  const agents = new Map<string, AgentProcess>();

  beforeAll(async () => {
    sandbox = await Sandbox.create('agents');
    plane = await startAgentPlane({ admission: true, nodeGraceMs: GRACE_MS });
    for (const node of NODES) await startAgent(node);
    await until('three Ready agent nodes', async () => {
      const states = await Promise.all(NODES.map(async (n) => (await nodeOf(n))?.status?.state));
      return states.every((s) => s === 'Ready') ? true : undefined;
    });
  }, 30_000);

  afterAll(async () => {
    for (const agent of agents.values()) {
      if (agent.child.exitCode === null && agent.child.signalCode === null) agent.child.kill('SIGTERM');
      await agent.exited;
    }
    await plane?.stop();
    await sandbox?.dispose();
  }, 30_000);

  async function startAgent(node: string) {
    const { token } = await plane.agentToken(`agent-${node}-${agents.size}`);
    const child = spawn(
      process.execPath,
      [
        STRATA_BIN,
        'agent',
        '--server',
        plane.url,
        '--token',
        token,
        '--node',
        node,
        '--cluster',
        CLUSTER,
        '--data-dir',
        join(sandbox.root, node),
        '--heartbeat-interval',
        '300ms',
        '--kill-grace',
        '500ms',
      ],
      { cwd: REPO_ROOT, env: sandbox.env(), stdio: ['ignore', 'ignore', 'pipe'] },
    );
    const agent: AgentProcess = {
      child,
      exited: new Promise((done) => child.once('exit', () => done())),
      stderr: '',
    };
    child.stderr!.setEncoding('utf8').on('data', (chunk: string) => {
      agent.stderr += chunk;
    });
    agents.set(node, agent);
  }

  async function nodeOf(name: string) {
    const r = await plane.call('GET', api('nodes', name), undefined, [404]);
    return r.status === 404 ? undefined : r.body;
  }

  const statusOf = async (name: string): Promise<WorkloadStatus | undefined> =>
    (await plane.call('GET', api('workloads', name, PROJECT))).body.status;

  async function until<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 20_000) {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const value = await probe();
      if (value !== undefined) return value;
      if (Date.now() > deadline) {
        const logs = [...agents].map(([n, a]) => `--- ${n}\n${a.stderr}`).join('\n');
        const workload = await plane.call('GET', api('workloads', 'long', PROJECT), undefined, [404]);
        const nodes = await Promise.all(NODES.map(async (n) => [n, (await nodeOf(n))?.status]));
        throw new Error(
          `timed out waiting for ${what}\nworkload: ${JSON.stringify(workload.body?.status)}\nnodes: ${JSON.stringify(nodes)}\n${logs}`,
        );
      }
      await new Promise((r) => setTimeout(r, 100));
    }
  }

  it('moves the killed agent’s work to another node, where it finishes Succeeded', async () => {
    await plane.call(
      'PUT',
      api('workloads', 'long', PROJECT),
      cpuWorkload('long', ['sh', '-c', 'echo "on $STRATA_NODE"; sleep 4']),
    );
    const running = await until('the workload to run', async () => {
      const status = await statusOf('long');
      return status?.phase === 'Running' ? status : undefined;
    });
    const victim = running.admission!.pods[0]!.node;
    expect(NODES).toContain(victim);

    agents.get(victim)!.child.kill('SIGKILL');
    await agents.get(victim)!.exited;

    const done = await until(
      'the workload to finish',
      async () => {
        const status = await statusOf('long');
        return status?.phase === 'Succeeded' || status?.phase === 'Failed' ? status : undefined;
      },
      30_000,
    );
    expect(done.phase).toBe('Succeeded');
    expect(done.requeues).toBe(1);
    const rescuer = done.admission!.pods[0]!.node;
    expect(rescuer).not.toBe(victim);
    expect(NODES).toContain(rescuer);
    expect(done.history?.map((h) => [h.phase, h.reason ?? ''])).toEqual(
      expect.arrayContaining([['Pending', 'NodeLost']]),
    );
    expect(done.history?.at(-1)?.phase).toBe('Succeeded');
    expect((await nodeOf(victim)).status).toMatchObject({
      state: 'NotReady',
      message: expect.stringMatching(/no heartbeat for \d+ s/),
    });
    const evictions = (await plane.store.readAudit(0, 100_000)).filter(
      (r) => r.verb === 'evict' && r.object.name === 'long',
    );
    expect(evictions).toHaveLength(1);

    // The machine comes back: its agent restarts under the same node name and the node is Ready.
    await startAgent(victim);
    await until('the returning node to be Ready', async () =>
      (await nodeOf(victim))?.status?.state === 'Ready' ? true : undefined,
    );
    expect((await statusOf('long'))?.phase).toBe('Succeeded');
  }, 50_000);
});

describe('strata agent refusals', () => {
  let sandbox: Sandbox;
  let plane: AgentPlane;

  beforeAll(async () => {
    sandbox = await Sandbox.create('agent-refusals');
    plane = await startAgentPlane();
  });
  afterAll(async () => {
    await plane?.stop();
    await sandbox?.dispose();
  });

  const agent = (...args: string[]) =>
    sandbox.strata(['agent', '--server', plane.url, '--data-dir', join(sandbox.root, 'agent'), ...args]);

  it('exits 1 naming the refusal when its token is revoked, and the server audits the 401', async () => {
    const { id, token } = await plane.agentToken('agent-revoked');
    await plane.call('DELETE', `/auth/v1/tokens/${id}`);
    const result = await agent('--token', token, '--node', 'revoked');
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(
      /error: reading cluster agents: the bearer token is invalid, expired or revoked \(HTTP 401\)/,
    );
    const audit = await plane.store.readAudit(0, 100_000);
    expect(audit.filter((r) => r.outcome === 'denied' && r.code === 401).length).toBeGreaterThan(0);
  });

  it('exits 1 naming the cluster when the cluster does not exist', async () => {
    const { token } = await plane.agentToken('agent-lost');
    const result = await agent('--token', token, '--node', 'lost', '--cluster', 'nowhere');
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/cluster "nowhere" does not exist/);
  });

  it('exits 2 when no token is given', async () => {
    const result = await agent('--node', 'anonymous');
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/--token is required/);
  });
});
