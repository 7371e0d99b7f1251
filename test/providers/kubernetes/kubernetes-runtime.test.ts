/**
 * The Kubernetes runtime through the official client against a FAKE API server (no live cluster
 * can run here): fake-kube-apiserver.ts speaks the wire format of the calls used and advances Job
 * status itself. These tests prove the requests and the reading of responses, not a cluster's behaviour.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { jobProblem } from '../../../src/providers/kubernetes/job-manifests.js';
import {
  KubernetesRuntime,
  type KubernetesRuntimeOptions,
} from '../../../src/providers/kubernetes/kubernetes-runtime.js';
import type { PodReport } from '../../../src/providers/pod-launch.js';
import { systemClock } from '../../../src/runtime/clock.js';
import { FakeKubeApiServer, type FakeKubeApiServerOptions, type JobOutcome } from './fake-kube-apiserver.js';
import { kubeconfig } from './kubeconfig-builder.js';
import { gang, launch } from './launch-builder.js';

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function fakeServer(options: FakeKubeApiServerOptions = {}): Promise<FakeKubeApiServer> {
  const fake = await FakeKubeApiServer.start({ token: 'test-token', stepMs: 10, ...options });
  cleanups.push(() => fake.close());
  return fake;
}

function runtimeFor(server: string, options: Partial<KubernetesRuntimeOptions> = {}) {
  const runtime = new KubernetesRuntime({
    cluster: 'par-k8s',
    kubeconfig: kubeconfig({ server }),
    namespace: 'default',
    image: 'busybox:1.37',
    clock: systemClock,
    pollMs: 15,
    ...options,
  });
  const reports: PodReport[] = [];
  runtime.onReport((r) => reports.push(r));
  cleanups.push(() => runtime.close());
  return { runtime, reports };
}

async function until<T>(read: () => T | undefined, what: string, timeoutMs = 5_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = read();
    if (value !== undefined && value !== false) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

const finalReport = (reports: PodReport[]) => () => reports.find((r) => r.phase !== 'Running');
const posts = (fake: FakeKubeApiServer) => fake.requests.filter((r) => r.method === 'POST').length;

describe('KubernetesRuntime', () => {
  it('creates a Job and reports the pod Running, then Succeeded', async () => {
    const fake = await fakeServer({ outcome: () => 'Running' });
    const { runtime, reports } = runtimeFor(fake.url);
    const pod = launch();
    runtime.launch(pod);
    await until(() => reports.find((r) => r.phase === 'Running'), 'Running');
    fake.end(fake.jobs()[0].metadata.name, 'Complete');
    const done = await until(finalReport(reports), 'the final report');
    expect(reports.map((r) => r.phase)).toEqual(['Running', 'Succeeded']);
    expect(done).toMatchObject({ id: pod.id, phase: 'Succeeded', reason: 'Completed', exitCode: 0 });
    expect(runtime.running()).toEqual([]);
  });

  it('sends Jobs the upstream schema accepts, labelled with the Strata cluster', async () => {
    const fake = await fakeServer({ outcome: () => 'Running' });
    const { runtime } = runtimeFor(fake.url);
    runtime.launch(launch());
    const [job] = await until(() => (fake.jobs().length > 0 ? fake.jobs() : undefined), 'the Job');
    expect(jobProblem(job)).toBeUndefined();
    expect(job.metadata.labels).toMatchObject({
      'strata.dev/cluster': 'par-k8s',
      'strata.dev/workload': 'train',
    });
  });

  it.each<{ outcome: JobOutcome; reason: string; message: string }>([
    { outcome: 'Failed', reason: 'Error', message: 'Job has reached the specified backoff limit' },
    {
      outcome: 'DeadlineExceeded',
      reason: 'DeadlineExceeded',
      message: 'Job was active longer than specified deadline',
    },
  ])('reports a Job that ends $outcome as Failed with reason $reason and its message', async ({
    outcome,
    reason,
    message,
  }) => {
    const fake = await fakeServer({ outcome: () => outcome });
    const { runtime, reports } = runtimeFor(fake.url);
    runtime.launch(launch({ maxRuntimeSeconds: 1 }));
    expect(await until(finalReport(reports), 'the final report')).toMatchObject({
      phase: 'Failed',
      reason,
      message,
    });
  });

  it.each([
    {
      name: 'a command missing from the image',
      terminated: {
        exitCode: 128,
        reason: 'StartError',
        message: 'exec: "strata-no-such-command": executable file not found in $PATH',
      },
      report: {
        reason: 'CommandNotFound',
        exitCode: 128,
        message: 'exec: "strata-no-such-command": executable file not found in $PATH',
      },
    },
    {
      name: 'an out-of-memory kill',
      terminated: { exitCode: 137, reason: 'OOMKilled' },
      report: { reason: 'OOMKilled', exitCode: 137, message: 'Job has reached the specified backoff limit' },
    },
    {
      name: 'a non-zero exit',
      terminated: { exitCode: 3, reason: 'Error' },
      report: { reason: 'Error', exitCode: 3 },
    },
  ])('reports the exit code and reason of $name from the Job’s pod', async ({ terminated, report }) => {
    const fake = await fakeServer({ outcome: () => 'Failed', terminated: () => terminated });
    const { runtime, reports } = runtimeFor(fake.url);
    runtime.launch(launch());
    expect(await until(finalReport(reports), 'the final report')).toMatchObject({
      phase: 'Failed',
      ...report,
    });
  });

  it('deletes the Job with background propagation on stop, and reports Stopped', async () => {
    const fake = await fakeServer({ outcome: () => 'Running' });
    const { runtime, reports } = runtimeFor(fake.url);
    const pod = launch();
    runtime.launch(pod);
    await until(() => reports.find((r) => r.phase === 'Running'), 'Running');
    runtime.stop(pod.id);
    expect(await until(finalReport(reports), 'the final report')).toMatchObject({
      phase: 'Failed',
      reason: 'Stopped',
    });
    expect(fake.jobs()).toEqual([]);
    expect(fake.requests.find((r) => r.method === 'DELETE')?.query).toMatchObject({
      propagationPolicy: 'Background',
    });
  });

  it('creates one Job however often the same pod is launched', async () => {
    const fake = await fakeServer({ outcome: () => 'Running' });
    const { runtime, reports } = runtimeFor(fake.url);
    const pod = launch();
    runtime.launch(pod);
    runtime.launch(pod);
    await until(() => reports.find((r) => r.phase === 'Running'), 'Running');
    runtime.launch(pod);
    expect(posts(fake)).toBe(1);
    expect(runtime.running()).toEqual([pod.id]);
  });

  it('adopts the Jobs a previous runtime created: it lists them as running and reports them', async () => {
    const fake = await fakeServer({ outcome: () => 'Running' });
    const pod = launch();
    const first = runtimeFor(fake.url);
    first.runtime.launch(pod);
    await until(() => first.reports.find((r) => r.phase === 'Running'), 'Running');
    await first.runtime.close();

    const second = runtimeFor(fake.url);
    await second.runtime.poll();
    expect(second.runtime.running()).toEqual([pod.id]);
    expect(second.reports).toMatchObject([{ id: pod.id, phase: 'Running' }]);
    second.runtime.launch(pod);
    expect(posts(fake)).toBe(1);
  });

  it('treats a launch whose Job already exists as that Job, not an error', async () => {
    const fake = await fakeServer();
    const pod = launch();
    const first = runtimeFor(fake.url, { pollMs: 60_000 });
    first.runtime.launch(pod);
    await until(() => fake.jobs().length === 1, 'the Job');
    await first.runtime.close();

    const second = runtimeFor(fake.url);
    second.runtime.launch(pod);
    expect(await until(finalReport(second.reports), 'the final report')).toMatchObject({
      phase: 'Succeeded',
    });
    expect(fake.requests.filter((r) => r.method === 'POST').length).toBe(2);
  });

  it('replaces an ended Job when the same pod is launched again (a restart in place)', async () => {
    let runs = 0;
    const fake = await fakeServer({ outcome: () => (++runs === 1 ? 'Failed' : 'Complete') });
    const { runtime, reports } = runtimeFor(fake.url);
    const pod = launch();
    runtime.launch(pod);
    await until(finalReport(reports), 'the first run to end');
    runtime.launch(pod);
    await until(() => reports.find((r) => r.phase === 'Succeeded'), 'the second run to succeed');
    expect(reports.filter((r) => r.phase !== 'Running').map((r) => r.phase)).toEqual(['Failed', 'Succeeded']);
  });

  it('puts the workload’s tolerations on the Job', async () => {
    const fake = await fakeServer({ outcome: () => 'Running' });
    const tolerations = [
      { key: 'dedicated', operator: 'Equal' as const, value: 'ml', effect: 'NoSchedule' as const },
    ];
    const { runtime } = runtimeFor(fake.url, { tolerations: async () => tolerations });
    runtime.launch(launch());
    const [job] = await until(() => (fake.jobs().length > 0 ? fake.jobs() : undefined), 'the Job');
    expect(job.spec.template.spec.tolerations).toEqual(tolerations);
  });

  it('fails the pod with the server named when the API cannot be reached', async () => {
    const fake = await fakeServer();
    const server = fake.url;
    await fake.close();
    const { runtime, reports } = runtimeFor(server);
    runtime.launch(launch());
    const report = await until(finalReport(reports), 'the final report');
    expect(report).toMatchObject({ phase: 'Failed', reason: 'ClusterUnreachable' });
    expect(report.phase === 'Failed' && report.message).toBe(
      `cannot reach the Kubernetes API at ${server}: ECONNREFUSED`,
    );
  });

  it('fails the pod with the API’s Status message when the server refuses the Job', async () => {
    const fake = await fakeServer({ token: 'another-token' });
    const { runtime, reports } = runtimeFor(fake.url);
    runtime.launch(launch());
    expect(await until(finalReport(reports), 'the final report')).toMatchObject({
      phase: 'Failed',
      reason: 'JobRejected',
      message: `the Kubernetes API at ${fake.url} refused the Job (HTTP 401): Unauthorized`,
    });
  });

  it('reports a Job deleted behind its back as Failed', async () => {
    const fake = await fakeServer({ outcome: () => 'Running' });
    const { runtime, reports } = runtimeFor(fake.url);
    runtime.launch(launch());
    await until(() => reports.find((r) => r.phase === 'Running'), 'Running');
    const [job] = fake.jobs();
    await fetch(`${fake.url}/apis/batch/v1/namespaces/default/jobs/${job.metadata.name}`, {
      method: 'DELETE',
      headers: { authorization: 'Bearer test-token' },
    });
    expect(await until(finalReport(reports), 'the final report')).toMatchObject({
      phase: 'Failed',
      reason: 'JobDeleted',
    });
  });
});

describe('KubernetesRuntime with gangs as JobSets', () => {
  const jobSetPosts = (fake: FakeKubeApiServer) =>
    fake.requests.filter((r) => r.method === 'POST' && r.path.includes('/jobsets')).length;

  it('creates one JobSet for a gang launched together and reports each pod from its child Job', async () => {
    const fake = await fakeServer();
    const { runtime, reports } = runtimeFor(fake.url, { gangs: 'JobSet' });
    const pods = gang(3);
    for (const pod of pods) runtime.launch(pod);
    await until(() => reports.filter((r) => r.phase === 'Succeeded').length === 3, 'three pods to succeed');
    expect(jobSetPosts(fake)).toBe(1);
    expect(posts(fake)).toBe(1);
    expect(fake.jobSets()).toHaveLength(1);
    expect(new Set(reports.map((r) => r.id))).toEqual(new Set(pods.map((p) => p.id)));
    for (const job of fake.jobs()) expect(jobProblem(job)).toBeUndefined();
  });

  it('makes a Job per pod of a gang only part of which is launched here', async () => {
    const fake = await fakeServer();
    const { runtime, reports } = runtimeFor(fake.url, { gangs: 'JobSet' });
    for (const pod of gang(3).slice(0, 2)) runtime.launch(pod);
    await until(() => reports.filter((r) => r.phase === 'Succeeded').length === 2, 'two pods to succeed');
    expect(jobSetPosts(fake)).toBe(0);
    expect(posts(fake)).toBe(2);
  });

  it('stops a gang pod by deleting its JobSet in the background', async () => {
    const fake = await fakeServer({ outcome: () => 'Running' });
    const { runtime, reports } = runtimeFor(fake.url, { gangs: 'JobSet' });
    const pods = gang(2);
    for (const pod of pods) runtime.launch(pod);
    await until(() => reports.filter((r) => r.phase === 'Running').length === 2, 'both pods to run');
    for (const pod of pods) runtime.stop(pod.id);
    await until(() => reports.filter((r) => r.phase === 'Failed').length === 2, 'both pods to stop');
    expect(reports.filter((r) => r.phase === 'Failed').map((r) => r.phase === 'Failed' && r.reason)).toEqual([
      'Stopped',
      'Stopped',
    ]);
    expect(fake.jobSets()).toEqual([]);
    expect(fake.jobs()).toEqual([]);
    const deletion = fake.requests.find((r) => r.method === 'DELETE' && r.path.includes('/jobsets/'));
    expect(deletion?.query).toMatchObject({ propagationPolicy: 'Background' });
  });

  it('stops an adopted gang pod by deleting its JobSet', async () => {
    const fake = await fakeServer({ outcome: () => 'Running' });
    const pods = gang(2);
    const [rank0] = pods;
    const first = runtimeFor(fake.url, { gangs: 'JobSet' });
    for (const pod of pods) first.runtime.launch(pod);
    await until(() => first.reports.filter((r) => r.phase === 'Running').length === 2, 'both pods to run');
    await first.runtime.close();

    const second = runtimeFor(fake.url, { gangs: 'JobSet' });
    await second.runtime.poll();
    second.runtime.stop(rank0!.id);
    await until(finalReport(second.reports), 'the stop');
    expect(fake.jobSets()).toEqual([]);
  });
});
