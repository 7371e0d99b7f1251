import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { type Json, startTestPlane, type TestPlane } from '../support/control-plane.js';
import { detailFields, expectErrorShape } from './api-assertions.js';
import { apiPath, cohort, project, queue, tenant, withLabels, workload } from './builders.js';
import { openWatch, type WatchEvent, type WatchStream } from './watch-client.js';

/*
 * Watches are opened and then written to without waiting for the response
 * headers first: the server sends no headers on a quiet watch until the
 * first event (see the first test). A watch from a resourceVersion replays
 * from the event log, so events written before the server subscribes still
 * arrive, in order: the tests do not depend on that timing.
 */

let plane: TestPlane;
const open: WatchStream[] = [];
let sequence = 0;
const unique = (prefix: string) => `${prefix}-${++sequence}`;

beforeAll(async () => {
  plane = await startTestPlane();
});

afterEach(() => {
  for (const stream of open.splice(0)) stream.close();
});

afterAll(async () => {
  // A watch still streaming would hold the server open.
  plane?.app.server.closeAllConnections();
  await plane?.stop();
});

async function watch(
  path: string,
  options: { token?: string; headers?: Record<string, string>; headersWithinMs?: number } = {},
) {
  const stream = await openWatch(plane, path, options);
  open.push(stream);
  return stream;
}

async function must(method: string, path: string, body?: unknown): Promise<Json> {
  const response = await plane.call(method, path, body === undefined ? {} : { body });
  if (response.status >= 300) {
    throw new Error(`${method} ${path}: ${response.status} ${JSON.stringify(response.body)}`);
  }
  return response.body;
}

/** The store revision now, as a list reports it. */
async function currentRevision(plural = 'cohorts'): Promise<string> {
  return (await must('GET', apiPath(plural))).metadata.resourceVersion;
}

const cohorts = apiPath('cohorts');
const cohortPath = (name: string) => apiPath('cohorts', { name });
const summary = (events: readonly WatchEvent[]) => events.map((e) => `${e.type} ${e.object.metadata.name}`);
const isEvent = (type: string, name: string) => (e: WatchEvent) =>
  e.type === type && e.object.metadata.name === name;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('opening a watch', () => {
  it.each([
    ['the Kubernetes format', {}],
    ['Server-Sent Events', { accept: 'text/event-stream' }],
  ])('a watch on a quiet collection answers 200 at once, before any event — %s', async (_format, headers) => {
    const from = await currentRevision();
    // Without headers a client cannot tell an accepted watch from a hung server, and
    // clients with a response-header timeout give up on every quiet watch.
    const stream = await watch(`${cohorts}?watch=true&resourceVersion=${from}`, {
      headers,
      headersWithinMs: 2_000,
    });
    expect(stream.status).toBe(200);
  });
});

describe('closing the server', () => {
  it('ends open watches, so shutdown completes', async () => {
    const own = await startTestPlane();
    try {
      await own.call('POST', cohorts, { body: cohort('keep-open') });
      const stream = await openWatch(own, `${cohorts}?watch=true`);
      expect((await stream.next()).type).toBe('ADDED');
      const closing = own.close().then(() => 'closed');
      const outcome = await Promise.race([closing, sleep(3_000).then(() => 'still closing after 3 s')]);
      // `strata up` stops on SIGTERM with plane.close(): one `kubectl get -w` keeps it from exiting.
      expect(outcome).toBe('closed');
      stream.close();
    } finally {
      own.app.server.closeAllConnections();
      await own.stop();
    }
  });
});

describe('watching from a resourceVersion', () => {
  it('delivers the changes after it in order: ADDED, MODIFIED, DELETED', async () => {
    const from = await currentRevision();
    const opening = watch(`${cohorts}?watch=true&resourceVersion=${from}`);
    const name = unique('order');
    const added = await must('POST', cohorts, cohort(name));
    const modified = await must('PUT', cohortPath(name), cohort(name, { fairShareWeight: 2 }));
    await must('DELETE', cohortPath(name));
    const stream = await opening;
    expect(stream.status).toBe(200);
    expect(stream.headers.get('content-type')).toMatch(/^application\/json/);

    const events = [await stream.next(), await stream.next(), await stream.next()];
    expect(summary(events)).toEqual([`ADDED ${name}`, `MODIFIED ${name}`, `DELETED ${name}`]);
    expect(events[0]!.object).toEqual(added);
    expect(events[1]!.object).toEqual(modified);
    const revisions = events.map((e) => Number(e.object.metadata.resourceVersion));
    expect(revisions).toEqual([...revisions].sort((a, b) => a - b));
    expect(new Set(revisions).size).toBe(3);
    expect(revisions[0]).toBeGreaterThan(Number(from));
  });

  it('resuming from an older resourceVersion replays exactly the events missed since', async () => {
    const [a, b, sentinel] = [unique('missed'), unique('missed'), unique('sentinel')];
    const start = await currentRevision();
    await must('POST', cohorts, cohort(a));
    const middle = (await must('PUT', cohortPath(a), cohort(a, { fairShareWeight: 3 }))).metadata
      .resourceVersion;
    await must('POST', cohorts, cohort(b));
    await must('DELETE', cohortPath(a));

    const fromStart = await watch(`${cohorts}?watch=true&resourceVersion=${start}`);
    const fromMiddle = await watch(`${cohorts}?watch=true&resourceVersion=${middle}`);
    await must('POST', cohorts, cohort(sentinel));

    const all = await fromStart.until(isEvent('ADDED', sentinel));
    expect(summary(all)).toEqual([
      `ADDED ${a}`,
      `MODIFIED ${a}`,
      `ADDED ${b}`,
      `DELETED ${a}`,
      `ADDED ${sentinel}`,
    ]);
    const rest = await fromMiddle.until(isEvent('ADDED', sentinel));
    expect(summary(rest)).toEqual([`ADDED ${b}`, `DELETED ${a}`, `ADDED ${sentinel}`]);
  });

  it.each([
    ['without a resourceVersion', ''],
    ['with resourceVersion=0', '&resourceVersion=0'],
  ])('%s it first sends every existing object as ADDED (in name order), then live changes', async (_how, query) => {
    const label = unique('set');
    const names = ['existing-c', 'existing-a', 'existing-b'].map((n) => `${n}-${label}`);
    for (const name of names) await must('POST', cohorts, withLabels(cohort(name), { set: label }));
    const stream = await watch(`${cohorts}?watch=true&labelSelector=set%3D${label}${query}`);
    const initial = [await stream.next(), await stream.next(), await stream.next()];
    expect(summary(initial)).toEqual([...names].sort().map((n) => `ADDED ${n}`));
    await must(
      'PUT',
      cohortPath(names[1]!),
      withLabels(cohort(names[1]!, { fairShareWeight: 5 }), { set: label }),
    );
    expect(summary([await stream.next()])).toEqual([`MODIFIED ${names[1]}`]);
  });

  it('a resourceVersion that is not a number is 400 naming it', async () => {
    const stream = await watch(`${cohorts}?watch=true&resourceVersion=yesterday`);
    expect(stream.status).toBe(400);
    expect(stream.error.details.map((d: Json) => d.field)).toEqual(['resourceVersion']);
  });

  it('timeoutSeconds ends the stream', async () => {
    const stream = await watch(
      `${cohorts}?watch=true&resourceVersion=${await currentRevision()}&timeoutSeconds=1`,
    );
    expect(stream.status).toBe(200);
    await expect(stream.rest(5_000)).resolves.toEqual([]);
  });
});

describe('filtering', () => {
  it('a label selector passes only matching objects', async () => {
    const [red, blue] = [unique('red'), unique('blue')];
    const opening = watch(
      `${cohorts}?watch=true&resourceVersion=${await currentRevision()}&labelSelector=team%3Dred`,
    );
    await must('POST', cohorts, withLabels(cohort(blue), { team: 'blue' }));
    await must('POST', cohorts, withLabels(cohort(red), { team: 'red' }));
    await must('PUT', cohortPath(blue), withLabels(cohort(blue, { fairShareWeight: 2 }), { team: 'blue' }));
    await must('PUT', cohortPath(red), withLabels(cohort(red, { fairShareWeight: 2 }), { team: 'red' }));
    await must('DELETE', cohortPath(blue));
    await must('DELETE', cohortPath(red));
    const events = await (await opening).until(isEvent('DELETED', red));
    expect(summary(events)).toEqual([`ADDED ${red}`, `MODIFIED ${red}`, `DELETED ${red}`]);
  });

  it('an object entering the selector arrives as ADDED and one leaving it as DELETED', async () => {
    const name = unique('mover');
    const opening = watch(
      `${cohorts}?watch=true&resourceVersion=${await currentRevision()}&labelSelector=team%3Dred`,
    );
    await must('POST', cohorts, withLabels(cohort(name), { team: 'blue' }));
    await must('PUT', cohortPath(name), withLabels(cohort(name), { team: 'red' }));
    await must('PUT', cohortPath(name), withLabels(cohort(name), { team: 'blue' }));
    const sentinel = unique('sentinel');
    await must('POST', cohorts, withLabels(cohort(sentinel), { team: 'red' }));
    const events = await (await opening).until(isEvent('ADDED', sentinel));
    // Kubernetes semantics for a filtered watch, which caches built on it (informers,
    // `kubectl get -w -l`) rely on: they never hear of an object that left the selector.
    expect(summary(events)).toEqual([`ADDED ${name}`, `DELETED ${name}`, `ADDED ${sentinel}`]);
  });

  it('a field selector on metadata.name passes only that object', async () => {
    const [mine, other] = [unique('mine'), unique('other')];
    const opening = watch(
      `${cohorts}?watch=true&resourceVersion=${await currentRevision()}&fieldSelector=metadata.name%3D${mine}`,
    );
    await must('POST', cohorts, cohort(other));
    await must('POST', cohorts, cohort(mine));
    expect(summary([await (await opening).next()])).toEqual([`ADDED ${mine}`]);
  });
});

describe('tenancy', () => {
  let acmeAdmin: string;
  const projectOf = (owner: string) => (owner === 'acme' ? 'acme-a' : 'globex-x');

  beforeAll(async () => {
    for (const t of ['acme', 'globex']) await must('POST', apiPath('tenants'), tenant(t));
    await must('POST', apiPath('projects'), project('acme-a', 'acme'));
    await must('POST', apiPath('projects'), project('globex-x', 'globex'));
    await must('POST', apiPath('queues'), queue('globex-existing', 'globex'));
    await must(
      'POST',
      apiPath('workloads', { project: 'globex-x' }),
      workload('globex-existing', 'globex-x'),
    );
    acmeAdmin = (
      await must('POST', '/auth/v1/tokens', { tenant: 'acme', role: 'tenant-admin', subject: 'ann' })
    ).token;
  });

  const kinds = {
    queues: {
      build: (name: string, owner: string) => queue(name, owner),
      collection: (_owner: string) => apiPath('queues'),
      path: (name: string, _owner: string) => apiPath('queues', { name }),
    },
    workloads: {
      build: (name: string, owner: string) => workload(name, projectOf(owner)),
      collection: (owner: string) => apiPath('workloads', { project: projectOf(owner) }),
      path: (name: string, owner: string) => apiPath('workloads', { project: projectOf(owner), name }),
    },
  };

  it.each([
    'queues',
    'workloads',
  ] as const)('another tenant’s %s never appear in a tenant-scoped watch (added, modified or deleted)', async (plural) => {
    const { build, collection, path } = kinds[plural];
    const [theirs, ours] = [unique('theirs'), unique('ours')];
    // Workloads are watched at the cluster path: every project the caller can see.
    const opening = watch(`${apiPath(plural)}?watch=true&resourceVersion=${await currentRevision()}`, {
      token: acmeAdmin,
    });
    await must('POST', collection('globex'), build(theirs, 'globex'));
    await must('PUT', path(theirs, 'globex'), withLabels(build(theirs, 'globex'), { touched: 'yes' }));
    await must('DELETE', path(theirs, 'globex'));
    await must('POST', collection('acme'), build(ours, 'acme'));
    const stream = await opening;
    expect(stream.status).toBe(200);
    const events = await stream.until(isEvent('ADDED', ours));
    expect(summary(events)).toEqual([`ADDED ${ours}`]);
  });

  it('the initial ADDED events leave out another tenant’s existing objects', async () => {
    const ours = unique('ours');
    await must('POST', apiPath('queues'), queue(ours, 'acme'));
    const stream = await watch(`${apiPath('queues')}?watch=true&resourceVersion=0`, { token: acmeAdmin });
    const sentinel = unique('sentinel');
    await must('POST', apiPath('queues'), queue(sentinel, 'acme'));
    const names = (await stream.until(isEvent('ADDED', sentinel))).map((e) => e.object.metadata.name);
    expect(names).toContain(ours);
    expect(names).not.toContain('globex-existing');
  });

  it('watching another tenant’s project is 404, as if it did not exist', async () => {
    const stream = await watch(`${apiPath('workloads', { project: 'globex-x' })}?watch=true`, {
      token: acmeAdmin,
    });
    expect(stream.status).toBe(404);
    expect(stream.error).toMatchObject({
      code: 404,
      reason: 'NotFound',
      message: 'project "globex-x" not found',
    });
  });
});

describe('Server-Sent Events', () => {
  const sse = { accept: 'text/event-stream' };

  it('frames each event with event:, id: (the revision) and data: (the object)', async () => {
    const opening = watch(`${cohorts}?watch=true&resourceVersion=${await currentRevision()}`, {
      headers: sse,
    });
    const name = unique('sse');
    const created = await must('POST', cohorts, cohort(name));
    await must('DELETE', cohortPath(name));
    const stream = await opening;
    expect(stream.status).toBe(200);
    expect(stream.headers.get('content-type')).toMatch(/^text\/event-stream/);
    const [added, deleted] = [await stream.next(), await stream.next()];
    expect(added).toEqual({ type: 'ADDED', id: created.metadata.resourceVersion, object: created });
    expect(deleted.type).toBe('DELETED');
    expect(deleted.id).toBe(deleted.object.metadata.resourceVersion);
    expect(Number(deleted.id)).toBeGreaterThan(Number(added.id));
  });

  it('a client resumes with Last-Event-ID and gets exactly what came after it', async () => {
    const names = [unique('resume'), unique('resume'), unique('resume')];
    const opening = watch(`${cohorts}?watch=true&resourceVersion=${await currentRevision()}`, {
      headers: sse,
    });
    for (const name of names) await must('POST', cohorts, cohort(name));
    const first = await opening;
    const seen = await first.next();
    expect(seen.object.metadata.name).toBe(names[0]);
    first.close();

    const resumed = await watch(`${cohorts}?watch=true`, { headers: { ...sse, 'last-event-id': seen.id! } });
    expect(summary([await resumed.next(), await resumed.next()])).toEqual(
      names.slice(1).map((n) => `ADDED ${n}`),
    );
  });

  it('the initial ADDED events carry the list revision as id, so a resume starts after the snapshot', async () => {
    const label = unique('snap');
    const name = unique('snapshot');
    await must('POST', cohorts, withLabels(cohort(name), { snap: label }));
    const listed = await currentRevision();
    const stream = await watch(`${cohorts}?watch=true&labelSelector=snap%3D${label}`, { headers: sse });
    const initial = await stream.next();
    expect(initial.type).toBe('ADDED');
    expect(Number(initial.id)).toBeGreaterThanOrEqual(Number(listed));
  });

  it('a bad Last-Event-ID is 400 naming resourceVersion', async () => {
    const response = await plane.call('GET', `${cohorts}?watch=true`, {
      headers: { ...sse, 'last-event-id': 'abc' },
    });
    expectErrorShape(response, 400);
    expect(detailFields(response)).toEqual(['resourceVersion']);
  });
});
