/**
 * The pending-workloads API over real HTTP, with the admission controller running: queue order,
 * reasons from the statuses it writes, and the access rules of listing Workloads.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestPlane, type TestPlane } from '../support/control-plane.js';
import { apiPath, cluster, node, project, resourceClass, site, tenant, workload } from './builders.js';

describe('GET /api/v1/queues/:name/pending and /api/v1/pending-workloads', () => {
  let plane: TestPlane;
  let acmeToken: string;

  const must = async (method: string, path: string, body?: unknown) => {
    const r = await plane.call(method, path, body === undefined ? {} : { body });
    if (r.status >= 300) throw new Error(`${method} ${path}: ${r.status} ${JSON.stringify(r.body)}`);
    return r.body;
  };

  beforeAll(async () => {
    plane = await startTestPlane({ admission: true });
    // One node of two H100s; queue "line" holds one GPU, so of four one-GPU workloads one runs.
    await must('POST', apiPath('sites'), site());
    await must('POST', apiPath('clusters'), cluster());
    await must('POST', apiPath('nodes'), node());
    await must('PUT', `${apiPath('nodes', { name: 'n1' })}/status`, {
      apiVersion: 'strata.dev/v1alpha1',
      kind: 'Node',
      metadata: { name: 'n1' },
      status: { state: 'Ready' },
    });
    for (const t of ['acme', 'globex']) await must('POST', apiPath('tenants'), tenant(t));
    await must('POST', apiPath('projects'), project('acme-ml', 'acme'));
    await must('POST', apiPath('projects'), project('globex-ml', 'globex'));
    await must(
      'POST',
      apiPath('resourceclasses'),
      resourceClass('h100', { accelerator: { models: ['H100-SXM-80GB'] } }),
    );
    await must('POST', apiPath('queues'), {
      apiVersion: 'strata.dev/v1alpha1',
      kind: 'Queue',
      metadata: { name: 'line' },
      spec: { resources: [{ resourceClass: 'h100', nominal: { gpus: 1 } }] },
    });
    for (const [name, p] of [
      ['a1', 'acme-ml'],
      ['g1', 'globex-ml'],
      ['a2', 'acme-ml'],
      ['g2', 'globex-ml'],
    ] as const) {
      await must('POST', apiPath('workloads', { project: p }), workload(name, p, { queue: 'line' }));
    }
    acmeToken = (await must('POST', '/auth/v1/tokens', { subject: 'ann', role: 'viewer', tenant: 'acme' }))
      .token;
    // The controller runs in the background: wait until it has written all four statuses.
    for (let i = 0; i < 100; i++) {
      const list = await must('GET', apiPath('workloads'));
      if (list.items.filter((w: { status?: { phase?: string } }) => w.status?.phase).length === 4) break;
      await new Promise((r) => setTimeout(r, 100));
    }
  }, 30_000);

  afterAll(async () => {
    await plane.stop();
  });

  it('lists the queue’s pending workloads in queue order, positions from 0, with reason and message', async () => {
    const r = await plane.call('GET', '/api/v1/queues/line/pending');
    expect(r.status).toBe(200);
    expect(r.body.kind).toBe('PendingWorkloadList');
    expect(r.body.items).toHaveLength(3);
    expect(r.body.items.map((i: { position: number }) => i.position)).toEqual([0, 1, 2]);
    for (const item of r.body.items) {
      expect(item).toMatchObject({
        queue: 'line',
        reason: 'quota',
        detail: expect.objectContaining({ kind: 'quota' }),
      });
      expect(item.message).toMatch(/needs 1 more GPU/);
      expect(item.message).toMatch(new RegExp(`${item.position} workloads? ahead$`));
    }
  });

  it('a tenant sees only its own workloads, but their positions count every workload ahead', async () => {
    const all = (await plane.call('GET', '/api/v1/queues/line/pending')).body.items;
    const acme = await plane.call('GET', '/api/v1/queues/line/pending', { token: acmeToken });
    expect(acme.status).toBe(200);
    expect(acme.body.items).toEqual(all.filter((i: { project: string }) => i.project === 'acme-ml'));
  });

  it('the cross-queue list filters by queue and project', async () => {
    const all = (await plane.call('GET', '/api/v1/pending-workloads')).body.items;
    expect(all).toHaveLength(3);
    const globex = await plane.call('GET', '/api/v1/pending-workloads?queue=line&project=globex-ml');
    expect(globex.body.items).toEqual(all.filter((i: { project: string }) => i.project === 'globex-ml'));
    expect((await plane.call('GET', '/api/v1/pending-workloads?queue=other')).body.items).toEqual([]);
  });

  it.each([
    ['an unknown queue is 404', '/api/v1/queues/nope/pending', 404, /queue "nope" not found/],
    ['a malformed queue filter is 400 naming it', '/api/v1/pending-workloads?queue=Not_A_Name', 400, /queue/],
    ['an unknown project is 404', '/api/v1/pending-workloads?project=nope', 404, /project "nope"/],
  ])('%s', async (_rule, path, status, message) => {
    const r = await plane.call('GET', path);
    expect(r.status).toBe(status);
    expect(r.body.message).toMatch(message);
  });

  it('a tenant asking for another tenant’s project is refused as listing its Workloads is', async () => {
    const pending = await plane.call('GET', '/api/v1/pending-workloads?project=globex-ml', {
      token: acmeToken,
    });
    const list = await plane.call('GET', apiPath('workloads', { project: 'globex-ml' }), {
      token: acmeToken,
    });
    expect(pending.status).toBe(list.status);
    expect(pending.status).toBeGreaterThanOrEqual(400);
  });
});
