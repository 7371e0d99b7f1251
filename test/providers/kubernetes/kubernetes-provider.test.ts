/**
 * The Kubernetes provider through a real control plane (SQLite, HTTP, admission and every
 * controller) whose Kubernetes Cluster's kubeconfig points at a FAKE API server: no live cluster can
 * run here, so fake-kube-apiserver.ts speaks the wire format of the calls used and "runs" each Job
 * by advancing its status. What this proves is the path from an applied Workload to a Job and back
 * to Workload status, not how a real cluster runs the pod.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { API_VERSION } from '../../../src/model/object.js';
import { gpu, node, project, site, tenant } from '../../support/builders.js';
import { type Json, startTestPlane, type TestPlane } from '../../support/control-plane.js';
import { FakeKubeApiServer } from './fake-kube-apiserver.js';
import { kubeconfig } from './kubeconfig-builder.js';

const API = '/apis/strata.dev/v1alpha1';
let plane: TestPlane;
let fake: FakeKubeApiServer;

function kubernetesCluster(name: string, kubernetes: Record<string, unknown>) {
  return {
    apiVersion: API_VERSION,
    kind: 'Cluster',
    metadata: { name },
    spec: { site: 'par', provider: 'kubernetes', kubernetes },
  };
}

async function apply(path: string, body: unknown): Promise<Json> {
  const response = await plane.call('PUT', path, { body });
  expect(response.status, JSON.stringify(response.body)).toBeLessThan(300);
  return response.body;
}

async function until<T>(read: () => Promise<T | undefined>, what: string, timeoutMs = 20_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await read();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

beforeAll(async () => {
  // Jobs stay running until the test ends them, so the Running phase is seen whatever the poll period.
  fake = await FakeKubeApiServer.start({ token: 'k8s-token', stepMs: 20, outcome: () => 'Running' });
  plane = await startTestPlane({ admission: true });
  await apply(
    `${API}/sites/par`,
    site('par', {
      region: 'eu-west',
      jurisdiction: { country: 'FR', regime: 'EU' },
      timeZone: 'Europe/Paris',
    }),
  );
});

afterAll(async () => {
  await plane?.stop();
  await fake?.close();
});

describe('a Kubernetes cluster behind the control plane', () => {
  it('runs an admitted workload as a Job on its node and ends it Succeeded', async () => {
    await apply(
      `${API}/clusters/par-k8s`,
      kubernetesCluster('par-k8s', {
        kubeconfig: kubeconfig({ server: fake.url, token: 'k8s-token' }),
        namespace: 'ml',
        queueName: 'team-a',
      }),
    );
    await apply(
      `${API}/nodes/k8s-gpu-1`,
      node('k8s-gpu-1', { cluster: 'par-k8s', accelerators: [gpu(0), gpu(1)] }, { pool: 'k8s' }),
    );
    await apply(`${API}/resourceclasses/k8s-gpus`, {
      apiVersion: API_VERSION,
      kind: 'ResourceClass',
      metadata: { name: 'k8s-gpus' },
      spec: { nodeSelector: { pool: 'k8s' } },
    });
    await apply(`${API}/tenants/research`, tenant('research'));
    await apply(`${API}/projects/vision`, project('vision', 'research'));
    await apply(`${API}/queues/k8s`, {
      apiVersion: API_VERSION,
      kind: 'Queue',
      metadata: { name: 'k8s', tenant: 'research' },
      spec: { resources: [{ resourceClass: 'k8s-gpus', nominal: { cpu: 64, memory: '512Gi', gpus: 2 } }] },
    });
    await until(async () => {
      const n = await plane.call('GET', `${API}/nodes/k8s-gpu-1`);
      return n.body.status?.state === 'Ready' ? n.body : undefined;
    }, 'the node to be Ready');

    await apply(`${API}/namespaces/vision/workloads/hello-k8s`, {
      apiVersion: API_VERSION,
      kind: 'Workload',
      metadata: { name: 'hello-k8s', project: 'vision' },
      spec: {
        queue: 'k8s',
        tolerations: [{ key: 'nvidia.com/gpu', operator: 'Exists', effect: 'NoSchedule' }],
        podSets: [
          {
            name: 'main',
            count: 1,
            resources: { cpu: 2, memory: '8Gi', accelerators: { count: 1 } },
            command: ['sh', '-c', 'echo hello'],
          },
        ],
      },
    });

    await until(async () => {
      const w = await plane.call('GET', `${API}/namespaces/vision/workloads/hello-k8s`);
      return w.body.status?.phase === 'Running' ? w.body : undefined;
    }, 'the workload to run');
    fake.end(fake.jobs('ml')[0].metadata.name, 'Complete', 'ml');

    const done = await until(async () => {
      const w = await plane.call('GET', `${API}/namespaces/vision/workloads/hello-k8s`);
      return ['Succeeded', 'Failed'].includes(w.body.status?.phase) ? w.body : undefined;
    }, 'the workload to end');
    expect(done.status.phase, JSON.stringify(done.status)).toBe('Succeeded');
    expect(done.status.history.map((h: Json) => h.phase)).toEqual(
      expect.arrayContaining(['Admitted', 'Running', 'Succeeded']),
    );

    const [job] = fake.jobs('ml');
    expect(job.metadata.labels).toMatchObject({
      'strata.dev/workload': 'hello-k8s',
      'strata.dev/project': 'vision',
      'strata.dev/pod': 'main-0',
      'kueue.x-k8s.io/queue-name': 'team-a',
      'kai.scheduler/queue': 'team-a',
    });
    const pod = job.spec.template.spec;
    expect(pod.nodeSelector).toEqual({ 'kubernetes.io/hostname': 'k8s-gpu-1' });
    expect(pod.tolerations).toEqual([{ key: 'nvidia.com/gpu', operator: 'Exists', effect: 'NoSchedule' }]);
    expect(pod.containers[0].resources.limits).toMatchObject({ 'nvidia.com/gpu': '1', cpu: '2000m' });
    expect(pod.containers[0].env).toEqual(
      expect.arrayContaining([
        { name: 'STRATA_WORKLOAD', value: 'hello-k8s' },
        { name: 'NVIDIA_VISIBLE_DEVICES', value: expect.stringMatching(/^GPU-/) },
      ]),
    );
  });

  it('keeps the nodes of a cluster whose API cannot be reached NotReady, saying why', async () => {
    const gone = await FakeKubeApiServer.start();
    const server = gone.url;
    await gone.close();
    await apply(
      `${API}/clusters/gone-k8s`,
      kubernetesCluster('gone-k8s', { kubeconfig: kubeconfig({ server }) }),
    );
    await apply(`${API}/nodes/gone-gpu-1`, node('gone-gpu-1', { cluster: 'gone-k8s' }));
    const status = await until(async () => {
      const n = await plane.call('GET', `${API}/nodes/gone-gpu-1`);
      return n.body.status?.state === 'NotReady' ? n.body.status : undefined;
    }, 'the node to be NotReady');
    expect(status.message).toBe(
      `Kubernetes cluster gone-k8s: cannot reach the Kubernetes API at ${server}: ECONNREFUSED`,
    );
  });

  it('refuses a Kubernetes cluster whose kubeconfig does not parse, naming the field', async () => {
    const response = await plane.call('PUT', `${API}/clusters/broken`, {
      body: kubernetesCluster('broken', { kubeconfig: 'clusters: [unclosed' }),
    });
    expect(response.status).toBe(422);
    expect(JSON.stringify(response.body)).toContain('spec.kubernetes.kubeconfig');
    expect(JSON.stringify(response.body)).toContain('is not valid YAML');
  });

  it('refuses a kubeconfig whose chosen context does not exist', async () => {
    const response = await plane.call('PUT', `${API}/clusters/wrong-context`, {
      body: kubernetesCluster('wrong-context', { kubeconfig: kubeconfig(), context: 'prod' }),
    });
    expect(response.status).toBe(422);
    expect(JSON.stringify(response.body)).toContain('has no context \\"prod\\"');
  });
});
