import { afterAll, beforeAll, it } from 'vitest';
import { cluster, node, project, queue, site, tenant, workload } from '../support/builders.js';
import { startTestPlane, type TestPlane } from '../support/control-plane.js';

let plane: TestPlane;
beforeAll(async () => {
  plane = await startTestPlane();
});
afterAll(async () => plane.stop());

it('probe', async () => {
  const log = async (label: string, p: Promise<{ status: number; body: unknown; headers: Headers }>) => {
    const r = await p;
    console.log(label, r.status, JSON.stringify(r.body).slice(0, 400));
    return r;
  };
  const B = '/apis/strata.dev/v1alpha1';
  await log('site', plane.call('POST', `${B}/sites`, { body: site() }));
  await log('cluster', plane.call('POST', `${B}/clusters`, { body: cluster() }));
  await log('node', plane.call('POST', `${B}/nodes`, { body: node() }));
  await log('acme', plane.call('POST', `${B}/tenants`, { body: tenant('acme') }));
  await log('globex', plane.call('POST', `${B}/tenants`, { body: tenant('globex') }));
  await log('proj', plane.call('POST', `${B}/projects`, { body: project('acme-a', 'acme') }));
  await log('projg', plane.call('POST', `${B}/projects`, { body: project('globex-x', 'globex') }));
  await log('gq', plane.call('POST', `${B}/queues`, { body: queue('gq', 'globex') }));
  await log('wl', plane.call('POST', `${B}/namespaces/acme-a/workloads`, { body: workload('w1', 'acme-a') }));
  const t = await log(
    'tok',
    plane.call('POST', '/auth/v1/tokens', { body: { tenant: 'acme', role: 'tenant-admin', subject: 'ta' } }),
  );
  const tok = t.body.token;
  await log('whoami', plane.call('GET', '/auth/v1/whoami', { token: tok }));
  await log(
    'put tenant globex',
    plane.call('PUT', `${B}/tenants/globex`, { token: tok, body: tenant('globex') }),
  );
  await log('put tenant nope', plane.call('PUT', `${B}/tenants/nope`, { token: tok, body: tenant('nope') }));
  await log(
    'post queue gq in acme',
    plane.call('POST', `${B}/queues`, { token: tok, body: queue('gq', 'acme') }),
  );
  await log(
    'put queue gq in acme',
    plane.call('PUT', `${B}/queues/gq`, { token: tok, body: queue('gq', 'acme') }),
  );
  await log(
    'put queue zz in acme',
    plane.call('PUT', `${B}/queues/zz`, { token: tok, body: queue('zz', 'acme') }),
  );
  await log('get gq', plane.call('GET', `${B}/queues/gq`, { token: tok }));
  await log('get missing', plane.call('GET', `${B}/queues/nope`, { token: tok }));
  await log('get status wl', plane.call('GET', `${B}/namespaces/acme-a/workloads/w1/status`, { token: tok }));
  await log('get wl cluster path', plane.call('GET', `${B}/workloads/w1`, { token: tok }));
  await log('list wl cluster path', plane.call('GET', `${B}/workloads`, { token: tok }));
  await log('get node ns path', plane.call('GET', `${B}/namespaces/acme-a/nodes/n1`, { token: tok }));
  await log('list node ns path', plane.call('GET', `${B}/namespaces/acme-a/nodes`, { token: tok }));
  await log(
    'post wl cluster path',
    plane.call('POST', `${B}/workloads`, { token: tok, body: workload('w2', 'acme-a') }),
  );
  await log(
    'yaml bad',
    plane.call('POST', `${B}/sites`, { body: 'a: [', headers: { 'content-type': 'application/yaml' } }),
  );
  await log(
    'json bad',
    plane.call('POST', `${B}/sites`, { body: '{"a":', headers: { 'content-type': 'application/json' } }),
  );
  await log(
    'big',
    plane.call('POST', `${B}/sites`, { body: JSON.stringify({ x: 'a'.repeat(2 * 1024 * 1024) }) }),
  );
  await log(
    'noauth',
    fetch(`${plane.url}${B}/sites`).then(async (r) => ({
      status: r.status,
      body: await r.json(),
      headers: r.headers,
    })),
  );
  await log(
    'metrics',
    plane.call('GET', '/metrics').then((r) => ({
      ...r,
      body: String(r.body)
        .split('\n')
        .filter((l) => l.startsWith('strata_http_requests_total'))
        .slice(0, 3),
    })),
  );
  await log(
    'table',
    plane.call('GET', `${B}/nodes`, { headers: { accept: 'application/json;as=Table;v=v1;g=meta.k8s.io' } }),
  );
  await log(
    'text/plain',
    plane.call('POST', `${B}/sites`, { body: 'x', headers: { 'content-type': 'text/plain' } }),
  );
  await log(
    'status put',
    plane.call('PUT', `${B}/nodes/n1/status`, { body: { status: { state: 'Ready' } } }),
  );
  await log('status put no status', plane.call('PUT', `${B}/nodes/n1/status`, { body: {} }));
  await log('del w/ body', plane.call('DELETE', `${B}/namespaces/acme-a/workloads/w1?resourceVersion=1`));
  await log(
    'empty body post',
    plane.call('POST', `${B}/sites`, { body: '', headers: { 'content-type': 'application/json' } }),
  );
  await log('array', plane.call('POST', `${B}/sites`, { body: [] }));
});
