import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { kubeconfig } from '../providers/kubernetes/kubeconfig-builder.js';
import { type Json, startTestPlane, type TestPlane } from '../support/control-plane.js';
import { apiPath, cluster, site, tenant } from './builders.js';
import { openWatch, type WatchStream } from './watch-client.js';

/*
 * A connected Kubernetes cluster's kubeconfig, over the real HTTP API. Clusters are fleet objects
 * every tenant reads; only a caller who may update the Cluster reads its credential, every other
 * reader gets the marker, through every door that returns objects. The kubeconfig points at a
 * port nothing listens on: no node joins the cluster, so the Kubernetes controller never dials it.
 */

const MARKER = '<redacted: needs update on Cluster>';
const TOKEN = 'sekret-bearer-7f3a9c';
const KUBECONFIG = kubeconfig({ server: 'https://127.0.0.1:1', token: TOKEN });

let plane: TestPlane;
let tenantAdmin: string;
let fleetViewer: string;
const open: WatchStream[] = [];

/** A Kubernetes cluster connected with `kubeconfigText`. */
function connectedCluster(name: string, kubeconfigText = KUBECONFIG, namespace = 'ml') {
  const base = cluster(name);
  return {
    ...base,
    spec: { ...base.spec, provider: 'kubernetes', kubernetes: { kubeconfig: kubeconfigText, namespace } },
  };
}

async function must(method: string, path: string, body?: unknown): Promise<Json> {
  const response = await plane.call(method, path, body === undefined ? {} : { body });
  if (response.status >= 300) {
    throw new Error(`${method} ${path}: ${response.status} ${JSON.stringify(response.body)}`);
  }
  return response.body;
}

async function watch(path: string, token: string): Promise<WatchStream> {
  const stream = await openWatch(plane, path, { token });
  open.push(stream);
  return stream;
}

const clusterPath = (name: string) => apiPath('clusters', { name });

beforeAll(async () => {
  plane = await startTestPlane();
  await must('PUT', apiPath('sites', { name: 'fra' }), site('fra'));
  await must('PUT', apiPath('tenants', { name: 'acme' }), tenant('acme'));
  await must('PUT', clusterPath('k8s'), connectedCluster('k8s'));
  await must('PUT', clusterPath('agents'), cluster('agents'));
  tenantAdmin = (await must('POST', '/auth/v1/tokens', { tenant: 'acme', role: 'tenant-admin' })).token;
  fleetViewer = (await must('POST', '/auth/v1/tokens', { role: 'viewer' })).token;
});

afterEach(() => {
  for (const stream of open.splice(0)) stream.close();
});

afterAll(async () => {
  plane?.app.server.closeAllConnections();
  await plane?.stop();
});

const readers = [
  { who: 'a tenant admin pinned to acme', token: () => tenantAdmin },
  { who: 'a cluster-wide viewer (reads everything, updates nothing)', token: () => fleetViewer },
];

describe.each(readers)('$who, who may not update Clusters, reads the marker', ({ token }) => {
  it('through GET, with the rest of the spec intact', async () => {
    const response = await plane.call('GET', clusterPath('k8s'), { token: token() });
    expect(response.status).toBe(200);
    expect(response.body.spec.kubernetes).toMatchObject({ kubeconfig: MARKER, namespace: 'ml' });
    expect(JSON.stringify(response.body)).not.toContain(TOKEN);
  });

  it('through GET of the status subresource', async () => {
    const response = await plane.call('GET', `${clusterPath('k8s')}/status`, { token: token() });
    expect(response.status).toBe(200);
    expect(response.body.spec.kubernetes.kubeconfig).toBe(MARKER);
  });

  it('through LIST', async () => {
    const response = await plane.call('GET', apiPath('clusters'), { token: token() });
    expect(response.status).toBe(200);
    const k8s = response.body.items.find((c: Json) => c.metadata.name === 'k8s');
    expect(k8s.spec.kubernetes.kubeconfig).toBe(MARKER);
    expect(JSON.stringify(response.body)).not.toContain(TOKEN);
  });

  it('through the server-side table kubectl asks for, which shows nothing of the kubeconfig', async () => {
    const response = await plane.call('GET', apiPath('clusters'), {
      token: token(),
      headers: { accept: 'application/json;as=Table;v=v1;g=meta.k8s.io' },
    });
    expect(response.status).toBe(200);
    expect(response.body.kind).toBe('Table');
    expect(JSON.stringify(response.body)).not.toContain(TOKEN);
  });

  it('in the initial list of a watch', async () => {
    const stream = await watch(`${apiPath('clusters')}?watch=true&fieldSelector=metadata.name=k8s`, token());
    const added = await stream.next();
    expect(added.type).toBe('ADDED');
    expect(added.object.spec.kubernetes.kubeconfig).toBe(MARKER);
  });
});

describe('live watch events', () => {
  it('carry the marker to a tenant while the admin changes the cluster', async () => {
    const name = 'k8s-live';
    await must('PUT', clusterPath(name), connectedCluster(name));
    const { resourceVersion } = (await must('GET', clusterPath(name))).metadata;
    const stream = await watch(
      `${apiPath('clusters')}?watch=true&fieldSelector=metadata.name=${name}&resourceVersion=${resourceVersion}`,
      tenantAdmin,
    );
    await must('PUT', clusterPath(name), connectedCluster(name, KUBECONFIG, 'training'));
    const modified = await stream.next();
    expect(modified.type).toBe('MODIFIED');
    expect(modified.object.spec.kubernetes).toMatchObject({ kubeconfig: MARKER, namespace: 'training' });
  });

  it('carry the value to the admin, who may update the cluster', async () => {
    const stream = await watch(
      `${apiPath('clusters')}?watch=true&fieldSelector=metadata.name=k8s`,
      plane.adminToken,
    );
    const added = await stream.next();
    expect(added.object.spec.kubernetes.kubeconfig).toBe(KUBECONFIG);
  });
});

describe('a cluster admin, who may update Clusters', () => {
  it('reads the kubeconfig through GET and LIST', async () => {
    expect((await must('GET', clusterPath('k8s'))).spec.kubernetes.kubeconfig).toBe(KUBECONFIG);
    const listed = (await must('GET', apiPath('clusters'))).items.find(
      (c: Json) => c.metadata.name === 'k8s',
    );
    expect(listed.spec.kubernetes.kubeconfig).toBe(KUBECONFIG);
  });

  it('round-trips a cluster it read: applying it back changes nothing', async () => {
    const read = await must('GET', clusterPath('k8s'));
    const response = await plane.call('PUT', clusterPath('k8s'), { body: read });
    expect(response.status).toBe(200);
    expect(response.headers.get('x-strata-outcome')).toBe('unchanged');
    expect(response.body.spec.kubernetes.kubeconfig).toBe(KUBECONFIG);
  });
});

describe('a redacted copy written back', () => {
  const redactedCopy = async () =>
    (await plane.call('GET', clusterPath('k8s'), { token: tenantAdmin })).body as Json;

  it('is refused by apply with a 422 naming the field, and the stored kubeconfig is kept', async () => {
    const copy = await redactedCopy();
    const response = await plane.call('PUT', clusterPath('k8s'), {
      body: { ...copy, spec: { ...copy.spec, description: 'edited from a tenant’s copy' } },
    });
    expect(response.status).toBe(422);
    expect(response.body.message).toContain('spec.kubernetes.kubeconfig');
    expect(response.body.message).toContain('redaction marker');
    const stored = await must('GET', clusterPath('k8s'));
    expect(stored.spec.kubernetes.kubeconfig).toBe(KUBECONFIG);
    expect(stored.spec.description).toBeUndefined();
  });

  it('is refused by create under a new name', async () => {
    const copy = await redactedCopy();
    const response = await plane.call('POST', apiPath('clusters'), {
      body: { kind: 'Cluster', apiVersion: copy.apiVersion, metadata: { name: 'k8s-copy' }, spec: copy.spec },
    });
    expect(response.status).toBe(422);
    expect(response.body.message).toContain('spec.kubernetes.kubeconfig');
    expect((await plane.call('GET', clusterPath('k8s-copy'))).status).toBe(404);
  });
});

describe('objects without a secret', () => {
  it('read the same for a tenant as for the admin: no marker where no kubeconfig is stored', async () => {
    const asTenant = await plane.call('GET', clusterPath('agents'), { token: tenantAdmin });
    const asAdmin = await must('GET', clusterPath('agents'));
    expect(asTenant.body).toEqual(asAdmin);
    expect(asTenant.body.spec.kubernetes).toBeUndefined();
  });
});

describe('the audit trail', () => {
  it('records the cluster writes as digests, never the kubeconfig', async () => {
    const response = await plane.call('GET', '/audit/v1/events');
    expect(response.status).toBe(200);
    const text = JSON.stringify(response.body);
    expect(text).not.toContain(TOKEN);
    const writes = (response.body.items as Json[]).filter(
      (e) => e.object.kind === 'Cluster' && e.object.name === 'k8s' && e.outcome === 'allowed',
    );
    expect(writes.length).toBeGreaterThan(0);
    for (const write of writes) expect(write.afterDigest).toMatch(/^[0-9a-f]{64}$/);
  });
});
