/**
 * Pod logs over the API: appending chunks (as node agents ship them), reading the latest attempt
 * with one prefix per pod when there are several, following until the workload ends, and who may
 * do which. A real control plane over loopback; the log files are real files in its data dir.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { project, queue, tenant, workload } from '../../support/builders.js';
import { startTestPlane, type TestPlane } from '../../support/control-plane.js';
import { apiPath } from '../builders.js';

let plane: TestPlane;
let viewerToken: string;
let outsiderToken: string;

const logsPath = (name: string, query = '') =>
  `/api/v1/projects/team-a/workloads/${name}/logs${query === '' ? '' : `?${query}`}`;

async function must(method: string, path: string, body?: unknown) {
  const response = await plane.call(method, path, body === undefined ? {} : { body });
  expect(response.status, JSON.stringify(response.body)).toBeLessThan(300);
  return response.body;
}

/** Appends a chunk as the admin (any token with update on Workload/status may). */
function append(name: string, pod: string, attempt: string, text: string, token?: string) {
  return plane.call('POST', logsPath(name, new URLSearchParams({ pod, attempt }).toString()), {
    body: text,
    headers: { 'content-type': 'text/plain' },
    ...(token !== undefined && { token }),
  });
}

/** A workload with `pods` pods in one pod set. */
async function aWorkload(name: string, pods = 1) {
  await must(
    'POST',
    apiPath('workloads', { project: 'team-a' }),
    workload(name, 'team-a', {
      podSets: [{ name: 'main', count: pods, resources: { cpu: 1, memory: '1Gi' }, command: ['true'] }],
    }),
  );
}

beforeAll(async () => {
  plane = await startTestPlane();
  await must('POST', apiPath('tenants'), tenant('acme'));
  await must('POST', apiPath('tenants'), tenant('globex'));
  await must('POST', apiPath('projects'), project('team-a', 'acme'));
  await must('POST', apiPath('queues'), queue('default'));
  viewerToken = (await must('POST', '/auth/v1/tokens', { subject: 'vera', role: 'viewer' })).token;
  outsiderToken = (
    await must('POST', '/auth/v1/tokens', { subject: 'gus', role: 'developer', tenant: 'globex' })
  ).token;
});

afterAll(async () => {
  await plane?.stop();
});

describe('reading and appending', () => {
  it('a chunk appended to a pod of the latest attempt is what a read returns', async () => {
    await aWorkload('one');
    expect((await append('one', 'main-0', '2026-01-01T00:00:00.000Z', 'hello\n')).status).toBe(204);
    expect((await append('one', 'main-0', '2026-01-01T00:00:00.000Z', 'world\n')).status).toBe(204);
    const read = await plane.call('GET', logsPath('one'));
    expect(read.status).toBe(200);
    expect(read.headers.get('content-type')).toMatch(/^text\/plain/);
    expect(read.body).toBe('hello\nworld\n');
  });

  it('with several pods each line names its pod, pods in name order; ?pod= reads one, unprefixed', async () => {
    await aWorkload('gang', 2);
    const attempt = '2026-01-01T00:00:00.000Z';
    await append('gang', 'main-1', attempt, 'b1\nb2\n');
    await append('gang', 'main-0', attempt, 'a1\n');
    expect((await plane.call('GET', logsPath('gang'))).body).toBe('[main-0] a1\n[main-1] b1\n[main-1] b2\n');
    expect((await plane.call('GET', logsPath('gang', 'pod=main-1'))).body).toBe('b1\nb2\n');
  });

  it('shows the attempt the workload is admitted under; before any, the latest with logs', async () => {
    await aWorkload('again');
    await append('again', 'main-0', '2026-01-01T00:00:00.000Z', 'first\n');
    await append('again', 'main-0', '2026-01-02T00:00:00.000Z', 'second\n');
    expect((await plane.call('GET', logsPath('again'))).body).toBe('second\n');
    const current = await must('GET', apiPath('workloads', { project: 'team-a', name: 'again' }));
    await must('PUT', `${apiPath('workloads', { project: 'team-a', name: 'again' })}/status`, {
      metadata: { resourceVersion: current.metadata.resourceVersion },
      status: {
        phase: 'Admitted',
        admission: {
          queue: 'default',
          priority: 0,
          demand: {},
          admittedAt: '2026-01-01T00:00:00.000Z',
          pods: [{ pod: 'main-0', node: 'n1', gpus: [] }],
        },
      },
    });
    expect((await plane.call('GET', logsPath('again'))).body).toBe('first\n');
  });

  it('a workload with no output yet reads as empty', async () => {
    await aWorkload('quiet');
    expect(await plane.call('GET', logsPath('quiet'))).toMatchObject({ status: 200, body: '' });
  });
});

describe('following', () => {
  it('streams what is appended and ends once the workload is terminal and the log is drained', async () => {
    await aWorkload('follow');
    const attempt = '2026-01-01T00:00:00.000Z';
    await append('follow', 'main-0', attempt, 'one\n');
    const streamed = plane.call('GET', logsPath('follow', 'follow=true'));
    await new Promise((r) => setTimeout(r, 300));
    await append('follow', 'main-0', attempt, 'two\n');
    const current = await must('GET', apiPath('workloads', { project: 'team-a', name: 'follow' }));
    await must('PUT', `${apiPath('workloads', { project: 'team-a', name: 'follow' })}/status`, {
      metadata: { resourceVersion: current.metadata.resourceVersion },
      status: { phase: 'Succeeded', reason: 'Completed' },
    });
    expect(await streamed).toMatchObject({ status: 200, body: 'one\ntwo\n' });
  });
});

describe('bad input', () => {
  it.each([
    ['a pod name that could walk the file system', logsPath('one', 'pod=../../etc&attempt=x'), 'pod'],
    ['no pod', logsPath('one', 'attempt=x'), 'pod'],
    ['no attempt', logsPath('one', 'pod=main-0'), 'attempt'],
    ['an attempt that is not a file-safe name', logsPath('one', 'pod=main-0&attempt=a/b'), 'attempt'],
  ])('appending with %s is a 400 naming the field', async (_case, path, field) => {
    const response = await plane.call('POST', path, { body: 'x', headers: { 'content-type': 'text/plain' } });
    expect(response.status).toBe(400);
    expect(response.body.details[0].field).toBe(field);
  });

  it('reading one pod by a name that could walk the file system is a 400 naming pod', async () => {
    const response = await plane.call('GET', logsPath('one', 'pod=..%2F..%2Fx'));
    expect(response.status).toBe(400);
    expect(response.body.details[0].field).toBe('pod');
  });

  it('a JSON body is refused with 415: chunks are text', async () => {
    const response = await plane.call('POST', logsPath('one', 'pod=main-0&attempt=x'), {
      body: { text: 'x' },
    });
    expect(response.status).toBe(415);
  });

  it('logs of a workload that does not exist are a 404', async () => {
    expect((await plane.call('GET', logsPath('nope'))).status).toBe(404);
  });
});

describe('who may', () => {
  it('a viewer may read logs but not append to them (403)', async () => {
    expect((await plane.call('GET', logsPath('one'), { token: viewerToken })).status).toBe(200);
    const appended = await append('one', 'main-0', '2026-01-01T00:00:00.000Z', 'forged\n', viewerToken);
    expect(appended.status).toBe(403);
    expect((await plane.call('GET', logsPath('one'))).body).not.toContain('forged');
  });

  it("another tenant's developer finds neither the workload nor its logs (404)", async () => {
    expect((await plane.call('GET', logsPath('one'), { token: outsiderToken })).status).toBe(404);
    const appended = await append('one', 'main-0', '2026-01-01T00:00:00.000Z', 'forged\n', outsiderToken);
    expect(appended.status).toBe(404);
  });

  it('without a token: 401', async () => {
    const response = await fetch(`${plane.url}${logsPath('one')}`);
    expect(response.status).toBe(401);
  });
});
