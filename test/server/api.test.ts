import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KINDS } from '../../src/model/kinds.js';
import { type Json, startTestPlane, type TestPlane } from '../support/control-plane.js';
import { detailFields, expectErrorShape, type Response } from './api-assertions.js';
import {
  API,
  apiPath,
  cluster,
  node,
  priorityClass,
  project,
  resourceClass,
  site,
  tenant,
  withLabels,
  workload,
} from './builders.js';

let plane: TestPlane;
let viewerToken: string;
let sequence = 0;
const unique = (prefix: string) => `${prefix}-${++sequence}`;

/** A request over the real socket with exactly the headers given (no token unless one is passed). */
async function raw(
  method: string,
  path: string,
  options: { headers?: Record<string, string>; body?: string } = {},
): Promise<Response> {
  const response = await fetch(`${plane.url}${path}`, {
    method,
    ...(options.headers !== undefined && { headers: options.headers }),
    ...(options.body !== undefined && { body: options.body }),
  });
  const text = await response.text();
  let body: Json = text;
  try {
    body = JSON.parse(text);
  } catch {
    // not JSON: keep the text
  }
  return { status: response.status, body, headers: response.headers };
}

async function must(method: string, path: string, body?: unknown): Promise<Json> {
  const response = await plane.call(method, path, body === undefined ? {} : { body });
  if (response.status >= 300) {
    throw new Error(`setup ${method} ${path}: ${response.status} ${JSON.stringify(response.body)}`);
  }
  return response.body;
}

/** Every audit record, in chain order. */
async function auditTrail(): Promise<Json[]> {
  const response = await plane.call('GET', '/audit/v1/events?format=jsonl');
  return String(response.body)
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line) => JSON.parse(line));
}

/** The store revision, as a list reports it. */
async function revision(): Promise<string> {
  return (await must('GET', apiPath('sites'))).metadata.resourceVersion;
}

beforeAll(async () => {
  plane = await startTestPlane();
  await must('POST', apiPath('sites'), site('fra'));
  await must('POST', apiPath('clusters'), cluster('fra-hgx', 'fra'));
  await must('POST', apiPath('tenants'), tenant('acme'));
  await must('POST', apiPath('projects'), project('team-a', 'acme'));
  viewerToken = (await must('POST', '/auth/v1/tokens', { subject: 'vera', role: 'viewer' })).token;
});

afterAll(async () => {
  await plane?.stop();
});

describe('authentication', () => {
  const wellFormedUnknown = `strata_000000000000_${'a'.repeat(43)}`;

  it.each([
    ['no Authorization header', {}],
    ['a non-bearer Authorization header', { authorization: 'Basic YWRtaW46YWRtaW4=' }],
    ['an empty bearer token', { authorization: 'Bearer ' }],
    ['a malformed bearer token', { authorization: 'Bearer not-a-strata-token' }],
    ['a well-formed token that was never issued', { authorization: `Bearer ${wellFormedUnknown}` }],
  ])('a request with %s is 401 in the error shape, with a Bearer challenge, and audited', async (_what, headers) => {
    const requestId = unique('anon');
    const response = await raw('GET', apiPath('nodes'), {
      headers: { ...headers, 'x-request-id': requestId },
    });
    expectErrorShape(response, 401);
    expect(response.body.reason).toBe('Unauthorized');
    expect(response.headers.get('www-authenticate')).toBe('Bearer realm="strata"');
    const record = (await auditTrail()).find((r) => r.requestId === requestId);
    expect(record).toMatchObject({
      outcome: 'denied',
      code: 401,
      subject: { name: 'anonymous' },
      verb: 'get',
      object: { kind: 'Request', name: apiPath('nodes') },
    });
  });

  it('a token with a wrong secret is 401', async () => {
    const issued = await must('POST', '/auth/v1/tokens', { subject: 'sam' });
    const forged = `strata_${issued.id}_${'b'.repeat(43)}`;
    const response = await raw('GET', apiPath('nodes'), { headers: { authorization: `Bearer ${forged}` } });
    expectErrorShape(response, 401);
  });

  it('a revoked token is 401 at once', async () => {
    const issued = await must('POST', '/auth/v1/tokens', { subject: 'rita', role: 'viewer' });
    expect((await plane.call('GET', apiPath('nodes'), { token: issued.token })).status).toBe(200);
    await must('DELETE', `/auth/v1/tokens/${issued.id}`);
    expectErrorShape(await plane.call('GET', apiPath('nodes'), { token: issued.token }), 401);
  });

  it('whoami names the subject and its grants', async () => {
    const response = await plane.call('GET', '/auth/v1/whoami', { token: viewerToken });
    expect(response.status).toBe(200);
    expect(response.body.subject).toBe('vera');
    expect(response.body.grants).toEqual([
      { role: 'viewer', binding: expect.stringMatching(/^token-/), scope: { type: 'cluster' } },
    ]);
  });
});

describe('every 4xx answer has the error shape', () => {
  const bigSite = () => JSON.stringify(site('big', { description: 'x'.repeat(1024 * 1024 + 1) }));

  it.each<[string, () => Promise<Response>, number, string[]]>([
    [
      'malformed JSON',
      () =>
        plane.call('POST', apiPath('sites'), {
          body: '{"kind":',
          headers: { 'content-type': 'application/json' },
        }),
      400,
      ['(body)'],
    ],
    ['a bad limit', () => plane.call('GET', `${apiPath('sites')}?limit=many`), 400, ['limit']],
    [
      'a bad label selector',
      () => plane.call('GET', `${apiPath('sites')}?labelSelector=a%20in%20(`),
      400,
      ['labelSelector'],
    ],
    [
      'a forged continue token',
      () => plane.call('GET', `${apiPath('sites')}?limit=1&continue=Zm9v`),
      400,
      ['continue'],
    ],
    [
      'an unsupported field selector',
      () => plane.call('GET', `${apiPath('sites')}?fieldSelector=spec.region=x`),
      400,
      ['fieldSelector'],
    ],
    ['no token', () => raw('GET', apiPath('sites')), 401, []],
    [
      'a forbidden write',
      () => plane.call('POST', apiPath('sites'), { token: viewerToken, body: site('nope') }),
      403,
      [],
    ],
    ['an unknown resource type', () => plane.call('GET', `${API}/widgets`), 404, []],
    ['a missing object', () => plane.call('GET', apiPath('sites', { name: 'atlantis' })), 404, []],
    ['an unknown route', () => plane.call('GET', '/no/such/route'), 404, []],
    ['a duplicate create', () => plane.call('POST', apiPath('sites'), { body: site('fra') }), 409, []],
    [
      'a stale resourceVersion',
      () => plane.call('DELETE', `${apiPath('sites', { name: 'fra' })}?resourceVersion=1`),
      409,
      ['metadata.resourceVersion'],
    ],
    ['a body over 1 MiB', () => plane.call('POST', apiPath('sites'), { body: bigSite() }), 413, ['(body)']],
    [
      'an unsupported media type',
      () =>
        plane.call('POST', apiPath('sites'), {
          body: '<site/>',
          headers: { 'content-type': 'application/xml' },
        }),
      415,
      ['content-type'],
    ],
    [
      'an invalid object',
      () => plane.call('POST', apiPath('sites'), { body: site('bad', { powerBudgetKW: -1 }) }),
      422,
      ['spec.powerBudgetKW'],
    ],
  ])('%s', async (_what, request, status, fields) => {
    const response = await request();
    expectErrorShape(response, status);
    expect(detailFields(response)).toEqual(fields);
  });
});

describe('a round trip: create, read, list, update, delete', () => {
  it('keeps the object whole at every step', async () => {
    const created = await plane.call('POST', apiPath('nodes'), { body: node('rt-1') });
    expect(created.status).toBe(201);
    expect(created.headers.get('x-strata-outcome')).toBe('created');
    expect(created.body.metadata).toMatchObject({ name: 'rt-1', generation: 1 });
    expect(created.body.metadata.uid).toEqual(expect.any(String));
    expect(created.body.metadata.resourceVersion).toMatch(/^\d+$/);
    expect(Date.parse(created.body.metadata.creationTimestamp)).not.toBeNaN();

    const read = await plane.call('GET', apiPath('nodes', { name: 'rt-1' }));
    expect(read.body).toEqual(created.body);

    const listed = await plane.call('GET', apiPath('nodes'));
    expect(listed.body.kind).toBe('NodeList');
    expect(listed.body.items).toContainEqual(created.body);

    const updated = await plane.call('PUT', apiPath('nodes', { name: 'rt-1' }), {
      body: node('rt-1', { unschedulable: true }),
    });
    expect(updated.status).toBe(200);
    expect(updated.headers.get('x-strata-outcome')).toBe('configured');
    expect(updated.body.spec.unschedulable).toBe(true);
    expect(updated.body.metadata.uid).toBe(created.body.metadata.uid);
    expect(updated.body.metadata.creationTimestamp).toBe(created.body.metadata.creationTimestamp);

    const deleted = await plane.call('DELETE', apiPath('nodes', { name: 'rt-1' }));
    expect(deleted.status).toBe(200);
    expect(deleted.body.metadata.uid).toBe(created.body.metadata.uid);
    expect((await plane.call('GET', apiPath('nodes', { name: 'rt-1' }))).status).toBe(404);
    const after = await plane.call('GET', apiPath('nodes'));
    expect(after.body.items.map((o: Json) => o.metadata.name)).not.toContain('rt-1');
  });

  it('answers with the request id it was given, or one of its own', async () => {
    const given = await plane.call('GET', '/auth/v1/whoami', { headers: { 'x-request-id': 'trace-42' } });
    expect(given.headers.get('x-request-id')).toBe('trace-42');
    const own = await plane.call('GET', '/auth/v1/whoami');
    expect(own.headers.get('x-request-id')).toMatch(/.+/);
  });
});

describe('apply (PUT) reports what it did', () => {
  it('created, then unchanged for the same object, then configured for a change', async () => {
    const path = apiPath('priorityclasses', { name: 'apply-1' });
    const first = await plane.call('PUT', path, { body: priorityClass('apply-1', 10) });
    expect([first.status, first.headers.get('x-strata-outcome')]).toEqual([201, 'created']);
    const again = await plane.call('PUT', path, { body: priorityClass('apply-1', 10) });
    expect([again.status, again.headers.get('x-strata-outcome')]).toEqual([200, 'unchanged']);
    expect(again.body.metadata.resourceVersion).toBe(first.body.metadata.resourceVersion);
    const changed = await plane.call('PUT', path, { body: priorityClass('apply-1', 20) });
    expect([changed.status, changed.headers.get('x-strata-outcome')]).toEqual([200, 'configured']);
    expect(Number(changed.body.metadata.resourceVersion)).toBeGreaterThan(
      Number(first.body.metadata.resourceVersion),
    );
  });

  it('an unchanged apply writes nothing: the store revision stays', async () => {
    const path = apiPath('priorityclasses', { name: 'apply-2' });
    await plane.call('PUT', path, { body: priorityClass('apply-2', 10) });
    const before = await revision();
    await plane.call('PUT', path, { body: priorityClass('apply-2', 10) });
    expect(await revision()).toBe(before);
  });

  it('a name in the body that differs from the URL is refused', async () => {
    const response = await plane.call('PUT', apiPath('priorityclasses', { name: 'url-name' }), {
      body: priorityClass('body-name'),
    });
    expectErrorShape(response, 422);
    expect(detailFields(response)).toEqual(['metadata.name']);
  });
});

describe('generation counts spec changes only', () => {
  const base = () => resourceClass('gen', { nodeSelector: { pool: 'a' } });

  it.each<[string, Json, boolean]>([
    ['a spec change bumps it', resourceClass('gen', { nodeSelector: { pool: 'b' } }), true],
    ['a label change does not', withLabels(base(), { team: 'x' }), false],
    [
      'an annotation change does not',
      { ...base(), metadata: { name: 'gen', annotations: { note: 'hello' } } },
      false,
    ],
  ])('%s', async (_rule, changed, bumps) => {
    const path = apiPath('resourceclasses', { name: 'gen' });
    await plane.call('DELETE', path);
    const created = await must('PUT', path, base());
    const after = await plane.call('PUT', path, { body: changed });
    expect(after.headers.get('x-strata-outcome')).toBe('configured');
    expect(after.body.metadata.generation).toBe(bumps ? 2 : 1);
    expect(after.body.metadata.resourceVersion).not.toBe(created.metadata.resourceVersion);
  });
});

describe('the status subresource', () => {
  it('writes status without touching spec or generation', async () => {
    const created = await must('POST', apiPath('nodes'), node('st-1'));
    const response = await plane.call('PUT', `${apiPath('nodes', { name: 'st-1' })}/status`, {
      body: { status: { state: 'Ready', powerDrawWatts: 900 } },
    });
    expect(response.status).toBe(200);
    expect(response.body.status).toEqual({ state: 'Ready', powerDrawWatts: 900 });
    expect(response.body.spec).toEqual(created.spec);
    expect(response.body.metadata.generation).toBe(1);
    expect(Number(response.body.metadata.resourceVersion)).toBeGreaterThan(
      Number(created.metadata.resourceVersion),
    );
    const status = await plane.call('GET', `${apiPath('nodes', { name: 'st-1' })}/status`);
    expect(status.body.status).toEqual({ state: 'Ready', powerDrawWatts: 900 });
  });

  it('a spec write keeps the status, and ignores a status in its body', async () => {
    await must('POST', apiPath('nodes'), node('st-2'));
    await must('PUT', `${apiPath('nodes', { name: 'st-2' })}/status`, { status: { state: 'Ready' } });
    const updated = await plane.call('PUT', apiPath('nodes', { name: 'st-2' }), {
      body: { ...node('st-2', { unschedulable: true }), status: { state: 'Draining' } },
    });
    expect(updated.status).toBe(200);
    expect(updated.body.status).toEqual({ state: 'Ready' });
    expect(updated.body.metadata.generation).toBe(2);
  });

  it('an invalid status is refused, naming the field', async () => {
    await must('POST', apiPath('nodes'), node('st-3'));
    const response = await plane.call('PUT', `${apiPath('nodes', { name: 'st-3' })}/status`, {
      body: { status: { state: 'Sleeping' } },
    });
    expectErrorShape(response, 422);
    expect(detailFields(response)).toEqual(['status.state']);
  });
});

describe('a stale resourceVersion is a 409 and changes nothing', () => {
  it.each<[string, (name: string, stale: string) => Promise<Response>]>([
    [
      'an apply',
      (name, stale) =>
        plane.call('PUT', apiPath('nodes', { name }), {
          body: { ...node(name, { unschedulable: true }), metadata: { name, resourceVersion: stale } },
        }),
    ],
    [
      'a status write',
      (name, stale) =>
        plane.call('PUT', `${apiPath('nodes', { name })}/status`, {
          body: { metadata: { resourceVersion: stale }, status: { state: 'NotReady' } },
        }),
    ],
    [
      'a delete with ?resourceVersion',
      (name, stale) => plane.call('DELETE', `${apiPath('nodes', { name })}?resourceVersion=${stale}`),
    ],
    [
      'a delete with preconditions in the body',
      (name, stale) =>
        plane.call('DELETE', apiPath('nodes', { name }), {
          body: { preconditions: { resourceVersion: stale } },
        }),
    ],
  ])('%s', async (_what, write) => {
    const name = unique('stale');
    const created = await must('POST', apiPath('nodes'), node(name));
    const stale = created.metadata.resourceVersion;
    const current = await must('PUT', `${apiPath('nodes', { name })}/status`, { status: { state: 'Ready' } });
    const response = await write(name, stale);
    expectErrorShape(response, 409);
    expect(response.body.reason).toBe('Conflict');
    expect(detailFields(response)).toEqual(['metadata.resourceVersion']);
    expect(await must('GET', apiPath('nodes', { name }))).toEqual(current);
  });

  it('the current resourceVersion is accepted', async () => {
    const name = unique('fresh');
    const created = await must('POST', apiPath('nodes'), node(name));
    const response = await plane.call(
      'DELETE',
      `${apiPath('nodes', { name })}?resourceVersion=${created.metadata.resourceVersion}`,
    );
    expect(response.status).toBe(200);
  });
});

describe('label selectors', () => {
  // Resource classes are used by no other test here, so the selector sees exactly these.
  const labelled: Record<string, Record<string, string>> = {
    'sel-a': { tier: 'gold', zone: 'a' },
    'sel-b': { tier: 'silver', zone: 'b' },
    'sel-c': { tier: 'gold' },
    'sel-d': {},
  };

  beforeAll(async () => {
    for (const [name, labels] of Object.entries(labelled)) {
      await must('POST', apiPath('resourceclasses'), withLabels(resourceClass(name), labels));
    }
  });

  it.each<[string, string, string[]]>([
    ['equality', 'tier=gold', ['sel-a', 'sel-c']],
    ['double-equals equality', 'tier==silver', ['sel-b']],
    ['inequality, which includes objects without the key', 'tier!=gold', ['sel-b', 'sel-d']],
    ['set membership', 'zone in (a,b)', ['sel-a', 'sel-b']],
    ['set exclusion, which includes objects without the key', 'zone notin (a)', ['sel-b', 'sel-c', 'sel-d']],
    ['existence', 'zone', ['sel-a', 'sel-b']],
    ['absence', '!zone', ['sel-c', 'sel-d']],
    ['a conjunction', 'tier=gold,zone', ['sel-a']],
    ['a selector nothing matches', 'tier=platinum', []],
  ])('%s: %s', async (_what, selector, expected) => {
    const response = await plane.call(
      'GET',
      `${apiPath('resourceclasses')}?labelSelector=${encodeURIComponent(selector)}`,
    );
    expect(response.status).toBe(200);
    expect(
      response.body.items.map((o: Json) => o.metadata.name).filter((n: string) => n.startsWith('sel-')),
    ).toEqual(expected);
  });
});

describe('pagination with limit and continue', () => {
  const names = Array.from({ length: 7 }, (_, i) => `page-${i}`);

  beforeAll(async () => {
    for (const [i, name] of names.entries()) {
      await must(
        'POST',
        apiPath('priorityclasses'),
        withLabels(priorityClass(name, i), { paged: i % 2 === 0 ? 'even' : 'odd' }),
      );
    }
  });

  async function allPages(query: string, limit: number): Promise<{ pages: string[][]; revisions: string[] }> {
    const pages: string[][] = [];
    const revisions: string[] = [];
    let token: string | undefined;
    do {
      const cont = token === undefined ? '' : `&continue=${encodeURIComponent(token)}`;
      const response = await plane.call('GET', `${apiPath('priorityclasses')}?limit=${limit}${query}${cont}`);
      expect(response.status).toBe(200);
      pages.push(response.body.items.map((o: Json) => o.metadata.name));
      revisions.push(response.body.metadata.resourceVersion);
      token = response.body.metadata.continue;
      expect(pages.length).toBeLessThan(20);
    } while (token !== undefined);
    return { pages, revisions };
  }

  it('pages hold at most `limit` items and together every item exactly once, in name order', async () => {
    const { pages } = await allPages('&labelSelector=paged', 3);
    expect(pages.map((p) => p.length)).toEqual([3, 3, 1]);
    expect(pages.flat()).toEqual(names);
  });

  it('a filtered list still fills its pages', async () => {
    const { pages } = await allPages('&labelSelector=paged%3Deven', 2);
    expect(pages).toEqual([
      ['page-0', 'page-2'],
      ['page-4', 'page-6'],
    ]);
  });

  it('the last page carries no continue token', async () => {
    const response = await plane.call('GET', `${apiPath('priorityclasses')}?limit=1000&labelSelector=paged`);
    expect(response.body.items).toHaveLength(7);
    expect(response.body.metadata.continue).toBeUndefined();
  });
});

describe('namespaced and cluster paths', () => {
  beforeAll(async () => {
    await must('POST', apiPath('nodes'), node('path-node'));
    await must('POST', apiPath('workloads', { project: 'team-a' }), workload('path-wl', 'team-a'));
  });

  it.each<[string, string, string, unknown]>([
    [
      'reading a cluster kind under a project',
      'GET',
      apiPath('nodes', { project: 'team-a', name: 'path-node' }),
      undefined,
    ],
    ['listing a cluster kind under a project', 'GET', apiPath('nodes', { project: 'team-a' }), undefined],
    [
      'creating a cluster kind under a project',
      'POST',
      apiPath('nodes', { project: 'team-a' }),
      node('path-node-2'),
    ],
    [
      'reading a project kind at the cluster path',
      'GET',
      apiPath('workloads', { name: 'path-wl' }),
      undefined,
    ],
    [
      'applying a project kind at the cluster path',
      'PUT',
      apiPath('workloads', { name: 'path-wl' }),
      workload('path-wl', 'team-a'),
    ],
    [
      'deleting a project kind at the cluster path',
      'DELETE',
      apiPath('workloads', { name: 'path-wl' }),
      undefined,
    ],
    [
      'reading a project kind’s status at the cluster path',
      'GET',
      `${apiPath('workloads', { name: 'path-wl' })}/status`,
      undefined,
    ],
  ])('%s is 404', async (_what, method, path, body) => {
    const response = await plane.call(method, path, body === undefined ? {} : { body });
    expectErrorShape(response, 404);
    expect(response.body.message).toMatch(/project-scoped/);
  });

  it('creating a project kind at the cluster path is 404', async () => {
    const response = await plane.call('POST', apiPath('workloads'), {
      body: workload('path-wl-2', 'team-a'),
    });
    // GET, PUT and DELETE at /workloads/{name} are 404; POST /workloads creates the workload.
    expect(response.status, JSON.stringify(response.body).slice(0, 200)).toBe(404);
  });

  it('listing a project kind at the cluster path lists every project (like kubectl -A)', async () => {
    const response = await plane.call('GET', apiPath('workloads'));
    expect(response.status).toBe(200);
    expect(response.body.items.map((o: Json) => `${o.metadata.project}/${o.metadata.name}`)).toContain(
      'team-a/path-wl',
    );
  });

  it('the project in the URL fills metadata.project when the body leaves it out', async () => {
    const body = workload('path-wl-3', 'team-a');
    const { project: _omit, ...metadata } = body.metadata;
    const response = await plane.call('POST', apiPath('workloads', { project: 'team-a' }), {
      body: { ...body, metadata },
    });
    expect(response.status).toBe(201);
    expect(response.body.metadata).toMatchObject({ project: 'team-a', tenant: 'acme' });
  });
});

describe('request bodies', () => {
  it('a body over the limit is 413 in our shape, and nothing is written', async () => {
    const before = await revision();
    const response = await plane.call('POST', apiPath('sites'), {
      body: JSON.stringify(site('huge', { description: 'x'.repeat(2 * 1024 * 1024) })),
    });
    expectErrorShape(response, 413);
    expect(response.body.reason).toBe('RequestEntityTooLarge');
    expect((await plane.call('GET', apiPath('sites', { name: 'huge' }))).status).toBe(404);
    expect(await revision()).toBe(before);
  });

  it.each([
    'application/yaml',
    'application/x-yaml',
    'text/yaml',
  ])('YAML bodies are accepted (%s)', async (type) => {
    const name = unique('yaml-site');
    const yaml = [
      'apiVersion: strata.dev/v1alpha1',
      'kind: Site',
      'metadata:',
      `  name: ${name}`,
      'spec:',
      '  region: eu-west',
      '  jurisdiction: { country: FR, regime: EU }',
      '  provider: colo',
      '  timeZone: Europe/Paris',
      '  powerBudgetKW: 100',
      '  tariff: { currency: EUR, pricePerKWh: 0.15 }',
    ].join('\n');
    const created = await plane.call('POST', apiPath('sites'), {
      body: yaml,
      headers: { 'content-type': type },
    });
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    expect(created.body.spec.jurisdiction).toEqual({ country: 'FR', regime: 'EU' });
    const applied = await plane.call('PUT', apiPath('sites', { name }), {
      body: yaml.replace('powerBudgetKW: 100', 'powerBudgetKW: 120'),
      headers: { 'content-type': type },
    });
    expect(applied.headers.get('x-strata-outcome')).toBe('configured');
  });

  it.each<[string, string, string]>([
    ['malformed JSON', 'application/json', '{"apiVersion": "strata.dev/v1alpha1", "kind": '],
    ['an empty JSON body', 'application/json', ''],
    ['malformed YAML', 'application/yaml', 'metadata: [unclosed\nspec: {'],
    ['several YAML documents', 'application/yaml', 'kind: Site\n---\nkind: Site\n'],
  ])('%s is 400 naming (body), and nothing is written', async (_what, type, body) => {
    const before = await revision();
    const response = await plane.call('POST', apiPath('sites'), { body, headers: { 'content-type': type } });
    expectErrorShape(response, 400);
    expect(detailFields(response)).toEqual(['(body)']);
    expect(await revision()).toBe(before);
  });
});

describe('discovery', () => {
  it('/api serves no core group versions', async () => {
    const response = await plane.call('GET', '/api');
    expect(response.body).toMatchObject({ kind: 'APIVersions', versions: [] });
  });

  it('/apis lists the strata.dev group with its preferred version', async () => {
    const response = await plane.call('GET', '/apis');
    expect(response.body.kind).toBe('APIGroupList');
    expect(response.body.groups).toEqual([
      {
        name: 'strata.dev',
        versions: [{ groupVersion: 'strata.dev/v1alpha1', version: 'v1alpha1' }],
        preferredVersion: { groupVersion: 'strata.dev/v1alpha1', version: 'v1alpha1' },
      },
    ]);
  });

  it('the group version lists every kind and its status subresource, with the right scope', async () => {
    const response = await plane.call('GET', API);
    expect(response.body).toMatchObject({ kind: 'APIResourceList', groupVersion: 'strata.dev/v1alpha1' });
    const byName = new Map(response.body.resources.map((r: Json) => [r.name, r]));
    for (const def of KINDS) {
      expect(byName.get(def.plural), def.plural).toMatchObject({
        kind: def.kind,
        singularName: def.singular,
        namespaced: def.plural === 'workloads',
        verbs: expect.arrayContaining(['create', 'delete', 'get', 'list', 'update', 'watch']),
      });
      expect(byName.get(`${def.plural}/status`), `${def.plural}/status`).toMatchObject({
        kind: def.kind,
        verbs: ['get', 'update'],
      });
    }
    for (const resource of response.body.resources) {
      expect(resource, resource.name).toMatchObject({
        name: expect.any(String),
        kind: expect.any(String),
        namespaced: expect.any(Boolean),
        verbs: expect.any(Array),
      });
    }
  });

  it('discovery needs a token like everything but the probes', async () => {
    expectErrorShape(await raw('GET', '/apis'), 401);
  });
});

describe('kubectl Table output', () => {
  const accept = { accept: 'application/json;as=Table;v=v1;g=meta.k8s.io,application/json' };

  beforeAll(async () => {
    await must('POST', apiPath('nodes'), node('table-node', {}, { rack: 'r1' }));
  });

  it('a list asked for as=Table is a meta.k8s.io Table with the kind’s columns', async () => {
    const response = await plane.call('GET', apiPath('nodes'), { headers: accept });
    expect(response.status).toBe(200);
    expect(response.body).toMatchObject({ kind: 'Table', apiVersion: 'meta.k8s.io/v1' });
    const columns = response.body.columnDefinitions.map((c: Json) => c.name);
    expect(columns.slice(0, 2)).toEqual(['Name', 'Cluster']);
    expect(columns).toEqual(expect.arrayContaining(['State', 'Accelerators', 'MIG', 'Age']));
    const row = response.body.rows.find((r: Json) => r.cells[0] === 'table-node');
    expect(row.cells).toHaveLength(columns.length);
    expect(row.cells[columns.indexOf('Accelerators')]).toBe('2x H100-SXM-80GB');
    expect(row.object).toMatchObject({
      kind: 'PartialObjectMetadata',
      metadata: { name: 'table-node', labels: { rack: 'r1' } },
    });
  });

  it('wide-only columns have priority 1', async () => {
    const response = await plane.call('GET', apiPath('nodes'), { headers: accept });
    const priority = Object.fromEntries(
      response.body.columnDefinitions.map((c: Json) => [c.name, c.priority]),
    );
    expect(priority).toMatchObject({ Name: 0, Cluster: 0, NUMA: 1, NICs: 1, Taints: 1 });
  });

  it('one object asked for as=Table is a one-row Table', async () => {
    const response = await plane.call('GET', apiPath('nodes', { name: 'table-node' }), { headers: accept });
    expect(response.body.kind).toBe('Table');
    expect(response.body.rows.map((r: Json) => r.cells[0])).toEqual(['table-node']);
  });

  it('without as=Table the answer is the plain list', async () => {
    const response = await plane.call('GET', apiPath('nodes'), { headers: { accept: 'application/json' } });
    expect(response.body.kind).toBe('NodeList');
  });
});

describe('openapi, metrics and probes', () => {
  it('/openapi.json describes every kind with its paths', async () => {
    const response = await plane.call('GET', '/openapi.json');
    expect(response.status).toBe(200);
    expect(response.body.openapi).toMatch(/^3\./);
    for (const def of KINDS) {
      expect(response.body.components.schemas[def.kind], def.kind).toMatchObject({
        required: ['apiVersion', 'kind', 'metadata', 'spec'],
      });
      const base =
        def.plural === 'workloads' ? `${API}/namespaces/{project}/${def.plural}` : `${API}/${def.plural}`;
      expect(Object.keys(response.body.paths), def.kind).toEqual(
        expect.arrayContaining([base, `${base}/{name}`, `${base}/{name}/status`]),
      );
    }
    expect(response.body.components.schemas.Error.required).toEqual(['code', 'reason', 'message', 'details']);
  });

  it('/metrics counts requests by method, route and code', async () => {
    await plane.call('GET', apiPath('sites', { name: 'fra' }));
    const response = await plane.call('GET', '/metrics');
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toMatch(/^text\/plain/);
    const line = String(response.body)
      .split('\n')
      .find(
        (l) =>
          l.startsWith('strata_http_requests_total{') &&
          l.includes(`route="${API}/:plural/:name"`) &&
          l.includes('method="GET"') &&
          l.includes('code="200"'),
      );
    expect(line).toBeDefined();
    expect(Number(line!.split(' ').at(-1))).toBeGreaterThanOrEqual(1);
  });

  it('strata_audit_denied_total counts every audited refusal, not only 401s', async () => {
    const denied = async () =>
      Number(
        String((await plane.call('GET', '/metrics')).body)
          .split('\n')
          .find((l) => l.startsWith('strata_audit_denied_total '))
          ?.split(' ')[1],
      );
    const before = await denied();
    const refused = await plane.call('POST', apiPath('sites'), {
      token: viewerToken,
      body: site('not-yours'),
    });
    expect(refused.status).toBe(403);
    expect((await auditTrail()).at(-1)).toMatchObject({ outcome: 'denied', code: 403 });
    expect(await denied()).toBe(before + 1);
  });

  it('/metrics needs a token', async () => {
    expectErrorShape(await raw('GET', '/metrics'), 401);
  });

  it.each([
    ['/healthz', { status: 'ok' }],
    ['/readyz', { status: 'ready', revision: expect.any(Number) }],
  ])('%s answers without a token', async (path, body) => {
    const response = await raw('GET', path);
    expect(response.status).toBe(200);
    expect(response.body).toEqual(body);
  });
});
