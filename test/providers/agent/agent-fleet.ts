/**
 * A control plane with a fleet for node agents: a Site, a Cluster of provider agent, a tenant,
 * project and queue whose resource class selects agent nodes, and tokens bound to node-agent.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { API_VERSION } from '../../../src/model/object.js';
import { type ControlPlane, startControlPlane } from '../../../src/server/control-plane.js';
import type { Json } from '../../support/control-plane.js';

export const CLUSTER = 'agents';
export const PROJECT = 'ml';
export const QUEUE = 'agents';

export interface AgentPlane extends ControlPlane {
  readonly dataDir: string;
  /** Calls the API as the admin; throws on an error status unless `allow` lists it. */
  call(
    method: string,
    path: string,
    body?: unknown,
    allow?: number[],
  ): Promise<{ status: number; body: Json }>;
  /** Issues a token bound to the node-agent role. */
  agentToken(subject: string): Promise<{ id: string; token: string }>;
  stop(): Promise<void>;
}

const object = (kind: string, name: string, spec: unknown, metadata: Record<string, unknown> = {}) => ({
  apiVersion: API_VERSION,
  kind,
  metadata: { name, ...metadata },
  spec,
});

export const api = (plural: string, name?: string, project?: string) =>
  `/apis/${API_VERSION}/${project ? `namespaces/${project}/` : ''}${plural}${name ? `/${name}` : ''}`;

export async function startAgentPlane(
  options: { admission?: boolean; nodeGraceMs?: number } = {},
): Promise<AgentPlane> {
  const dataDir = await mkdtemp(join(tmpdir(), 'strata-agent-plane-'));
  const plane = await startControlPlane({
    dataDir,
    port: 0,
    host: '127.0.0.1',
    demo: false,
    tls: false,
    admission: options.admission ?? false,
    localNode: false,
    ...(options.nodeGraceMs !== undefined && { nodeGraceMs: options.nodeGraceMs }),
  });
  const call: AgentPlane['call'] = async (method, path, body, allow = []) => {
    const response = await fetch(`${plane.url}${path}`, {
      method,
      headers: {
        authorization: `Bearer ${plane.bootstrap.adminToken}`,
        ...(body !== undefined && { 'content-type': 'application/json' }),
      },
      ...(body !== undefined && { body: JSON.stringify(body) }),
    });
    const text = await response.text();
    const parsed = text === '' ? undefined : JSON.parse(text);
    if (response.status >= 400 && !allow.includes(response.status)) {
      throw new Error(`${method} ${path}: ${response.status} ${text}`);
    }
    return { status: response.status, body: parsed };
  };
  const fleet = [
    object('Site', 'lab', {
      region: 'lab',
      jurisdiction: { country: 'DE', regime: 'EU' },
      provider: 'on-prem',
      timeZone: 'Europe/Berlin',
      powerBudgetKW: 100,
      tariff: { currency: 'EUR', pricePerKWh: 0.2 },
    }),
    object('Cluster', CLUSTER, { site: 'lab', provider: 'agent' }),
    object('Cluster', 'plain', { site: 'lab', provider: 'local' }),
    object('ResourceClass', 'agent-nodes', { nodeSelector: { 'strata.dev/provider': 'agent' } }),
    object('Tenant', 'acme', {}),
    object('Project', PROJECT, {}, { tenant: 'acme' }),
    object('Queue', QUEUE, {
      resources: [{ resourceClass: 'agent-nodes', nominal: { cpu: 1000, memory: '1000Gi' } }],
    }),
  ];
  for (const doc of fleet) {
    const plural = `${doc.kind.toLowerCase()}${doc.kind.endsWith('s') ? 'es' : 's'}`;
    await call('PUT', api(plural, doc.metadata.name), doc);
  }
  return {
    ...plane,
    dataDir,
    call,
    async agentToken(subject) {
      const { body } = await call('POST', '/auth/v1/tokens', { subject, role: 'node-agent' });
      return { id: body.id, token: body.token };
    },
    async stop() {
      await plane.close();
      await rm(dataDir, { recursive: true, force: true });
    },
  };
}

/** A workload of one CPU-only pod running `command` in the agents' queue. */
export function cpuWorkload(name: string, command: string[], spec: Record<string, unknown> = {}) {
  return object(
    'Workload',
    name,
    {
      queue: QUEUE,
      podSets: [{ name: 'main', count: 1, resources: { cpu: '100m', memory: '64Mi' }, command }],
      ...spec,
    },
    { project: PROJECT },
  );
}
