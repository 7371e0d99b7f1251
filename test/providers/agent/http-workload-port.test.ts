/** The agent's WorkloadPort against a real control plane over loopback HTTP. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { WorkloadStatus } from '../../../src/model/scheduling.js';
import { AgentHttp } from '../../../src/providers/agent/agent-http.js';
import { httpWorkloadPort } from '../../../src/providers/agent/http-workload-port.js';
import { type AgentPlane, api, cpuWorkload, PROJECT, startAgentPlane } from './agent-fleet.js';

describe('httpWorkloadPort', () => {
  let plane: AgentPlane;
  let http: AgentHttp;

  beforeAll(async () => {
    plane = await startAgentPlane();
    http = new AgentHttp({ server: plane.url, token: (await plane.agentToken('agent-port')).token });
    for (const name of ['w1', 'w2', 'w3', 'w4', 'w5']) {
      await plane.call('PUT', api('workloads', name, PROJECT), cpuWorkload(name, ['true']));
    }
  });
  afterAll(async () => {
    http.close();
    await plane.stop();
  });

  const pending = (message: string): WorkloadStatus => ({ phase: 'Pending', message });

  it('lists every workload, page after page', async () => {
    const items = await httpWorkloadPort(http, { pageSize: 2 }).list();
    expect(items.map((w) => w.metadata.name).sort()).toEqual(['w1', 'w2', 'w3', 'w4', 'w5']);
  });

  it('reads one workload and a node; undefined for ones that do not exist', async () => {
    const port = httpWorkloadPort(http);
    expect((await port.get({ name: 'w1', project: PROJECT }))?.metadata.name).toBe('w1');
    expect(await port.get({ name: 'nope', project: PROJECT })).toBeUndefined();
    expect(await port.node('nope')).toBeUndefined();
  });

  it.each([
    ['the version read', true, 'written'],
    ['a version someone else has since changed', false, 'conflict'],
  ] as const)('writes status conditionally: against %s it is %s', async (_, fresh, outcome) => {
    const port = httpWorkloadPort(http);
    const w = (await port.get({ name: 'w2', project: PROJECT }))!;
    if (!fresh) {
      await plane.call('PUT', `${api('workloads', 'w2', PROJECT)}/status`, {
        status: pending('by someone else'),
      });
    }
    const result = await port.writeStatus(
      { name: 'w2', project: PROJECT },
      pending('by the agent'),
      w.metadata.resourceVersion,
    );
    expect(result).toBe(outcome);
  });

  it('answers gone for a workload deleted meanwhile', async () => {
    const port = httpWorkloadPort(http);
    const w = (await port.get({ name: 'w5', project: PROJECT }))!;
    await plane.call('DELETE', api('workloads', 'w5', PROJECT));
    expect(
      await port.writeStatus({ name: 'w5', project: PROJECT }, pending('late'), w.metadata.resourceVersion),
    ).toBe('gone');
  });

  it('answers list from its watched copy, which follows creations and deletions, without listing again', async () => {
    let lists = 0;
    const counting = new (class extends AgentHttp {
      override request(method: string, path: string, body?: { json?: unknown; text?: Buffer }) {
        if (path.includes('/workloads?limit')) lists++;
        return super.request(method, path, body);
      }
    })({ server: plane.url, token: (await plane.agentToken('agent-informer')).token });
    const port = httpWorkloadPort(counting);
    let woken = 0;
    const unsubscribe = port.watch(() => woken++);
    try {
      const names = async () => (await port.list()).map((w) => w.metadata.name).sort();
      const settle = async (what: () => Promise<boolean>) => {
        const deadline = Date.now() + 5_000;
        while (!(await what()) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
      };
      await settle(async () => woken > 0);
      const listed = lists;
      await plane.call('PUT', api('workloads', 'fresh', PROJECT), cpuWorkload('fresh', ['true']));
      await settle(async () => (await names()).includes('fresh'));
      expect(await names()).toContain('fresh');
      await plane.call('DELETE', api('workloads', 'fresh', PROJECT));
      await settle(async () => !(await names()).includes('fresh'));
      expect(await names()).not.toContain('fresh');
      expect(lists).toBe(listed);
    } finally {
      unsubscribe();
      counting.close();
    }
  });

  it('wakes its watcher when a workload changes', async () => {
    const port = httpWorkloadPort(http);
    await port.list();
    let woken = 0;
    const unsubscribe = port.watch(() => woken++);
    try {
      await new Promise((r) => setTimeout(r, 200));
      const before = woken;
      await plane.call('PUT', `${api('workloads', 'w3', PROJECT)}/status`, { status: pending('changed') });
      const deadline = Date.now() + 5_000;
      while (woken === before && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
      expect(woken).toBeGreaterThan(before);
    } finally {
      unsubscribe();
    }
  });
});
