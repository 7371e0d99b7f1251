import { connect } from 'node:net';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import YAML from 'yaml';
import { KINDS } from '../../src/model/kinds.js';
import { parseObject } from '../../src/model/parse-object.js';
import { fieldPath } from '../../src/model/validation.js';
import { MAX_DETAILS } from '../../src/server/api-error.js';
import { type Json, startTestPlane, type TestPlane } from '../support/control-plane.js';
import { detailFields, expectErrorShape } from './api-assertions.js';
import {
  API,
  apiPath,
  cluster,
  cohort,
  node,
  priorityClass,
  project,
  queue,
  resourceClass,
  role,
  roleBinding,
  site,
  tenant,
  workload,
} from './builders.js';

/**
 * Property-based hostile input against a real server over a real socket:
 * whatever arrives, the answer is never 5xx, errors come in the one shape and
 * a 400 or 422 names its field, the server stays up, and a request that must
 * fail changes nothing (the store revision, read from a list, stays put).
 * Fixed seed, so a failure replays; fast-check prints the counterexample.
 */
const SEED = 20_260_101;

let plane: TestPlane;
let port: number;

async function holds<T>(arbitrary: fc.Arbitrary<T>, check: (value: T) => Promise<void>, numRuns = 30) {
  await fc.assert(fc.asyncProperty(arbitrary, check), { seed: SEED, numRuns });
}

interface Answer {
  readonly status: number;
  readonly body: Json;
  readonly headers: Headers;
}

function parseBody(text: string): Json {
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

/** A request through fetch as the admin; the body goes as is when it is a string or bytes. */
async function send(
  method: string,
  path: string,
  options: { body?: unknown; headers?: Record<string, string>; token?: string | null } = {},
): Promise<Answer> {
  const { body } = options;
  const raw = typeof body === 'string' || body instanceof Uint8Array;
  const headers: Record<string, string> = {
    ...(options.token !== null && { authorization: `Bearer ${options.token ?? plane.adminToken}` }),
    ...(body !== undefined && !raw && { 'content-type': 'application/json' }),
    ...options.headers,
  };
  const response = await fetch(`${plane.url}${path}`, {
    method,
    headers,
    ...(body !== undefined && { body: raw ? body : JSON.stringify(body) }),
  });
  return { status: response.status, body: parseBody(await response.text()), headers: response.headers };
}

function yamlBody(method: string, path: string, text: string | Uint8Array): Promise<Answer> {
  return send(method, path, { body: text, headers: { 'content-type': 'application/yaml' } });
}

/**
 * Bytes sent exactly as given over a fresh connection (nothing normalises `..`
 * or checks the header syntax); the first answer, or undefined when the
 * server closed without one.
 */
function rawRequest(bytes: string | Buffer): Promise<Answer | undefined> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    const chunks: Buffer[] = [];
    const timer = setTimeout(() => socket.destroy(), 5_000);
    socket.on('data', (chunk: Buffer) => chunks.push(chunk));
    socket.on('error', () => {});
    socket.on('close', () => {
      clearTimeout(timer);
      resolve(parseRaw(Buffer.concat(chunks)));
    });
    socket.end(bytes);
  });
}

function parseRaw(bytes: Buffer): Answer | undefined {
  const text = bytes.toString('latin1');
  const end = text.indexOf('\r\n\r\n');
  if (end < 0) return undefined;
  const [statusLine, ...lines] = text.slice(0, end).split('\r\n');
  const headers = new Headers();
  for (const line of lines) {
    const colon = line.indexOf(':');
    headers.append(line.slice(0, colon).trim(), line.slice(colon + 1).trim());
  }
  const length = Number(headers.get('content-length') ?? Number.NaN);
  const rest = bytes.subarray(Buffer.byteLength(text.slice(0, end + 4), 'latin1'));
  const body = Number.isNaN(length) ? rest : rest.subarray(0, length);
  return { status: Number(statusLine!.split(' ')[1]), body: parseBody(body.toString('utf8')), headers };
}

function rawHttp(method: string, target: string, headers: Record<string, string>, body = ''): string {
  const lines = Object.entries({ host: 'strata', connection: 'close', ...headers }).map(
    ([k, v]) => `${k}: ${v}`,
  );
  return `${method} ${target} HTTP/1.1\r\n${lines.join('\r\n')}\r\n\r\n${body}`;
}

const adminHeader = () => ({ authorization: `Bearer ${plane.adminToken}` });

/**
 * The properties every answer has: no 5xx, a status from `allowed`, errors in
 * the one shape, and a 400 or 422 that names at least one field.
 */
function expectWellFormed(answer: Answer | undefined, allowed: readonly number[], what: unknown): Answer {
  const context = `${JSON.stringify(what)?.slice(0, 300)} → ${answer?.status} ${JSON.stringify(answer?.body)?.slice(0, 500)}`;
  expect(answer, context).toBeDefined();
  const a = answer!;
  expect(a.status, context).toBeLessThan(500);
  expect(allowed, context).toContain(a.status);
  if (a.status >= 400) {
    expectErrorShape(a, a.status);
    if (a.status === 400 || a.status === 422) expect(detailFields(a).length, context).toBeGreaterThan(0);
  }
  return a;
}

/** The store revision, as a list reports it. */
async function revision(): Promise<string> {
  const answer = await send('GET', `${apiPath('priorityclasses')}?limit=1`);
  expect(answer.status).toBe(200);
  return answer.body.metadata.resourceVersion;
}

/** Still serving, and nothing written since `before`. */
async function expectUnchanged(before: string): Promise<void> {
  expect((await send('GET', '/healthz', { token: null })).status).toBe(200);
  expect(await revision()).toBe(before);
}

/** Everything stored: every kind's objects, the tokens and the revision. */
async function snapshot(): Promise<Json> {
  const lists: Record<string, Json> = {};
  for (const def of KINDS) lists[def.plural] = (await send('GET', apiPath(def.plural))).body.items;
  return { lists, tokens: (await send('GET', '/auth/v1/tokens')).body.items, revision: await revision() };
}

/** Runs a property and checks the whole store is as it was. */
async function leavesStoreAlone(run: () => Promise<void>): Promise<void> {
  const before = await snapshot();
  await run();
  expect(await snapshot()).toEqual(before);
}

const KIND_PATHS = KINDS.map((def) =>
  def.scope === 'project' ? apiPath(def.plural, { project: 'team-a' }) : apiPath(def.plural),
);

/** One valid body per kind, named so nothing of that name exists (a body that got through would show). */
const VALID_BODIES: readonly { readonly path: string; readonly body: Json }[] = [
  { path: apiPath('sites'), body: site('hostile-site') },
  { path: apiPath('clusters'), body: cluster('hostile-cluster', 'fra') },
  { path: apiPath('nodes'), body: node('hostile-node', {}, { rack: 'r1' }) },
  { path: apiPath('resourceclasses'), body: resourceClass('hostile-rc') },
  { path: apiPath('tenants'), body: tenant('hostile-tenant') },
  { path: apiPath('projects'), body: project('hostile-project', 'acme') },
  { path: apiPath('roles'), body: role('hostile-role') },
  { path: apiPath('rolebindings'), body: roleBinding('hostile-rb', 'reader', ['bob']) },
  { path: apiPath('cohorts'), body: cohort('hostile-cohort') },
  { path: apiPath('queues'), body: queue('hostile-queue') },
  { path: apiPath('priorityclasses'), body: priorityClass('hostile-pc') },
  {
    path: apiPath('workloads', { project: 'team-a' }),
    body: workload('hostile-wl', 'team-a'),
  },
];

/** Record-typed fields: any key is allowed there, so an extra key is not an error. */
const RECORD_FIELDS = new Set(['labels', 'annotations', 'env', 'nodeSelector', 'migProfiles']);

type Path = readonly (string | number)[];

/**
 * Object keys, with the names of Object.prototype's methods often enough to
 * matter: `{"toString": 1}` breaks any code that turns the object into a string.
 */
const objectKey = fc.oneof(
  fc.string({ maxLength: 6 }),
  fc.constantFrom('toString', 'valueOf', 'constructor'),
);

/** Random JSON shaped like an object envelope, with the same hostile keys inside. */
const envelopeLike = fc.dictionary(
  fc.constantFrom('apiVersion', 'kind', 'metadata', 'spec', 'status', 'toString', 'valueOf'),
  fc.oneof(
    fc.jsonValue({ maxDepth: 2 }),
    fc.dictionary(fc.oneof(objectKey, fc.constant('name')), fc.jsonValue({ maxDepth: 1 }), { maxKeys: 3 }),
  ),
  { maxKeys: 5 },
);

function fieldsOf(value: unknown, at: Path = []): Path[] {
  if (typeof value !== 'object' || value === null) return [];
  const entries: [string | number, unknown][] = Array.isArray(value)
    ? value.map((v, i) => [i, v])
    : Object.entries(value);
  return entries.flatMap(([key, child]) => [[...at, key], ...fieldsOf(child, [...at, key])]);
}

function getAt(value: Json, path: Path): Json {
  return path.reduce((v, key) => v[key], value);
}

function setAt(value: Json, path: Path, replacement: unknown): Json {
  const copy = structuredClone(value);
  const parent = getAt(copy, path.slice(0, -1));
  parent[path[path.length - 1]!] = replacement;
  return copy;
}

/** Defines the key as an own property, so `__proto__` stays a key rather than a prototype. */
function withKey(value: Json, path: Path, key: string, extra: unknown): Json {
  const copy = structuredClone(value);
  Object.defineProperty(getAt(copy, path), key, {
    value: extra,
    enumerable: true,
    writable: true,
    configurable: true,
  });
  return copy;
}

function jsonType(value: unknown): 'string' | 'number' | 'boolean' | 'null' | 'array' | 'object' {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'array';
  return typeof value as 'string' | 'number' | 'boolean' | 'object';
}

/**
 * A value of another JSON type than `original`. Quantities take numbers or
 * strings ("512Gi", 4), so a string that starts with a digit never becomes a
 * number, and numbers become strings without digits; `spec: null` reads as an
 * empty spec, so null never replaces a whole spec.
 */
function wrongValue(original: unknown, path: Path): fc.Arbitrary<unknown> {
  const type = jsonType(original);
  const options: fc.Arbitrary<unknown>[] = [];
  if (type !== 'boolean') options.push(fc.boolean());
  if (type !== 'number' && !(type === 'string' && /^\d/.test(original as string))) {
    options.push(fc.oneof(fc.integer(), fc.double({ noNaN: true, noDefaultInfinity: true })));
  }
  if (type !== 'string') options.push(fc.string({ maxLength: 8 }).filter((s) => !/\d/.test(s)));
  if (type !== 'null' && !(path.length === 1 && path[0] === 'spec')) options.push(fc.constant(null));
  if (type !== 'array') options.push(fc.array(fc.jsonValue({ maxDepth: 1 }), { maxLength: 3 }));
  if (type !== 'object')
    options.push(fc.dictionary(objectKey, fc.jsonValue({ maxDepth: 1 }), { maxKeys: 2 }));
  return fc.oneof(...options);
}

/** Whether an answer names `path` itself or a field inside it. */
function namesField(answer: Answer, path: string): boolean {
  return detailFields(answer).some((f) => f === path || f.startsWith(`${path}.`) || f.startsWith(`${path}[`));
}

/** Characters no name, label or quantity allows. */
const hostileChar = fc.constantFrom(
  '\u0000',
  '\ud800',
  '\udfff',
  '\u202e',
  '\ufeff',
  '\u{1f600}',
  'é',
  'İ',
  '\n',
  '\t',
  '"',
  '\\',
  '/',
  '%00',
  ' ',
  'Ａ',
  '<script>',
);
const hostileString = fc
  .tuple(
    fc.string({ unit: 'binary', maxLength: 8 }),
    hostileChar,
    fc.string({ unit: 'binary', maxLength: 8 }),
  )
  .map(([a, c, b]) => a + c + b);

function percentEncode(text: string): string {
  return [...Buffer.from(text, 'utf8')].map((b) => `%${b.toString(16).padStart(2, '0')}`).join('');
}

beforeAll(async () => {
  plane = await startTestPlane();
  port = Number(new URL(plane.url).port);
  const fixtures: [string, Json][] = [
    [apiPath('sites'), site('fra')],
    [apiPath('clusters'), cluster('fra-hgx', 'fra')],
    [apiPath('nodes'), node('n1')],
    [apiPath('resourceclasses'), resourceClass('rc1')],
    [apiPath('tenants'), tenant('acme')],
    [apiPath('projects'), project('team-a', 'acme')],
    [apiPath('roles'), role('reader')],
    [apiPath('rolebindings'), roleBinding('readers', 'reader', ['alice'])],
    [apiPath('cohorts'), cohort('c1')],
    [apiPath('queues'), queue('default')],
    [apiPath('priorityclasses'), priorityClass('high')],
    [apiPath('workloads', { project: 'team-a' }), workload('w1', 'team-a')],
  ];
  for (const [path, body] of fixtures) {
    const answer = await send('POST', path, { body });
    if (answer.status !== 201) throw new Error(`setup ${path}: ${JSON.stringify(answer.body)}`);
  }
});

afterAll(async () => {
  await plane?.stop();
});

it('the valid bodies the mutations start from are valid', () => {
  for (const { body } of VALID_BODIES) expect(parseObject(body).ok, JSON.stringify(body)).toBe(true);
});

describe('bodies', () => {
  it('random JSON values, as JSON or YAML, to every kind are refused', async () => {
    await leavesStoreAlone(() =>
      holds(
        fc.record({
          path: fc.constantFrom(...KIND_PATHS),
          method: fc.constantFrom('POST', 'PUT'),
          body: fc.oneof(fc.jsonValue({ maxDepth: 4 }), envelopeLike),
          yaml: fc.boolean(),
        }),
        async ({ path, method, body, yaml }) => {
          const before = await revision();
          const target = method === 'PUT' ? `${path}/hostile` : path;
          const text = yaml ? YAML.stringify(body) : JSON.stringify(body);
          const answer = await send(method, target, {
            body: text,
            headers: { 'content-type': yaml ? 'application/yaml' : 'application/json' },
          });
          expectWellFormed(answer, [400, 422], { method, target, body });
          await expectUnchanged(before);
        },
        60,
      ),
    );
  });

  it('every field of a valid object, given a value of the wrong type, is refused naming that field', async () => {
    const mutation = fc.constantFrom(...VALID_BODIES).chain(({ path, body }) =>
      fc.constantFrom(...fieldsOf(body)).chain((field) =>
        wrongValue(getAt(body, field), field).map((value) => ({
          path,
          field,
          body: setAt(body, field, value),
        })),
      ),
    );
    await leavesStoreAlone(() =>
      holds(
        mutation,
        async ({ path, field, body }) => {
          const before = await revision();
          const answer = await send('POST', path, { body });
          const name = fieldPath(field);
          expectWellFormed(answer, name === 'kind' ? [400] : [422], { field: name, body });
          expect(namesField(answer, name), `${name}: ${JSON.stringify(answer.body.details)}`).toBe(true);
          await expectUnchanged(before);
        },
        120,
      ),
    );
  });

  it('an unknown key at any level, prototype-pollution names included, is refused naming it; Object.prototype is untouched', async () => {
    const prototypeKeys = Object.getOwnPropertyNames(Object.prototype).sort();
    const key = fc.oneof(
      fc.constantFrom(
        '__proto__',
        'constructor',
        'prototype',
        'toString',
        'valueOf',
        'hasOwnProperty',
        'then',
      ),
      fc.stringMatching(/^[a-z][a-zA-Z0-9]{0,10}$/),
    );
    const addition = fc.constantFrom(...VALID_BODIES).chain(({ path, body }) =>
      fc.record({
        path: fc.constant(path),
        body: fc.constant(body),
        at: fc.constantFrom(
          [] as Path,
          ...fieldsOf(body).filter((p) => {
            const v = getAt(body, p);
            return (
              typeof v === 'object' && v !== null && !Array.isArray(v) && !RECORD_FIELDS.has(String(p.at(-1)))
            );
          }),
        ),
        key,
        value: fc.oneof(fc.jsonValue({ maxDepth: 2 }), fc.constant({ prototype: { polluted: true } })),
        yaml: fc.boolean(),
      }),
    );
    await leavesStoreAlone(() =>
      holds(
        addition.filter(
          ({ body, at, key: k }) =>
            !Object.hasOwn(getAt(body, at), k) && !(at.length === 0 && k === 'status'),
        ),
        async ({ path, body, at, key: k, value, yaml }) => {
          const before = await revision();
          const hostile = withKey(body, at, k, value);
          const text = yaml ? YAML.stringify(hostile) : JSON.stringify(hostile);
          const answer = await send('POST', path, {
            body: text,
            headers: { 'content-type': yaml ? 'application/yaml' : 'application/json' },
          });
          // The JSON parser refuses __proto__ (and constructor.prototype) outright, as malformed.
          const poisoned =
            !yaml && (k === '__proto__' || (k === 'constructor' && text.includes('"prototype"')));
          const name = fieldPath([...at, k]);
          expectWellFormed(answer, poisoned ? [400] : [422], { name, text });
          if (poisoned) expect(detailFields(answer)).toEqual(['(body)']);
          else expect(namesField(answer, name), `${name}: ${JSON.stringify(answer.body.details)}`).toBe(true);
          expect(({} as Record<string, unknown>).polluted).toBeUndefined();
          expect(Object.getOwnPropertyNames(Object.prototype).sort()).toEqual(prototypeKeys);
          await expectUnchanged(before);
        },
        80,
      ),
    );
  });

  it('nesting deeper than 100 levels is refused as (body), at any depth and in any field', async () => {
    await leavesStoreAlone(() =>
      holds(
        fc.record({
          // Up to what fits in the 1 MiB body limit in either form.
          depth: fc.oneof(fc.integer({ min: 101, max: 2_000 }), fc.integer({ min: 2_000, max: 150_000 })),
          array: fc.boolean(),
          target: fc.constantFrom('spec', 'status', 'metadata.labels', 'root'),
          yaml: fc.boolean(),
        }),
        async ({ depth, array, target, yaml }) => {
          const before = await revision();
          const open = array ? '['.repeat(depth) : '{"a":'.repeat(depth);
          const close = array ? ']'.repeat(depth) : '}'.repeat(depth);
          const deep = `${open}${array ? '' : '1'}${close}`;
          const body =
            target === 'root'
              ? deep
              : target === 'spec'
                ? `{"apiVersion":"strata.dev/v1alpha1","kind":"Site","metadata":{"name":"deep"},"spec":${deep}}`
                : target === 'status'
                  ? `{"status":${deep}}`
                  : `{"apiVersion":"strata.dev/v1alpha1","kind":"Site","metadata":{"name":"deep","labels":${deep}},"spec":{}}`;
          const path = target === 'status' ? `${apiPath('sites', { name: 'fra' })}/status` : apiPath('sites');
          // YAML flow collections are JSON, so the same text is a YAML body too.
          const answer = await send(target === 'status' ? 'PUT' : 'POST', path, {
            body,
            headers: { 'content-type': yaml ? 'application/yaml' : 'application/json' },
          });
          expectWellFormed(answer, [400], { depth, array, target, yaml });
          // Refused before any recursive parsing: YAML composed that deep once killed the process.
          expect(answer.body.details).toEqual([
            { field: '(body)', message: 'is nested more than 100 levels deep' },
          ]);
          await expectUnchanged(before);
        },
        16,
      ),
    );
  });

  it('an array or object of more than 10,000 entries is refused naming it; a smaller bad one lists at most 100 issues', async () => {
    await leavesStoreAlone(() =>
      holds(
        fc.record({
          size: fc.oneof(fc.integer({ min: 1_000, max: 10_000 }), fc.integer({ min: 10_001, max: 150_000 })),
          where: fc.constantFrom('spec.accelerators', 'spec.nics', 'metadata.labels', 'spec.taints'),
        }),
        async ({ size, where }) => {
          const before = await revision();
          const [, field] = where.split('.') as [string, string];
          const body =
            where === 'metadata.labels'
              ? {
                  ...node('huge'),
                  metadata: {
                    name: 'huge',
                    labels: Object.fromEntries(Array.from({ length: size }, (_, i) => [`-${i}`, 'x'])),
                  },
                }
              : node('huge', { [field]: Array.from({ length: size }, () => 0) });
          const answer = await send('POST', apiPath('nodes'), { body });
          if (size > 10_000) {
            expectWellFormed(answer, [400, 413], { size, where });
            if (answer.status === 400) expect(detailFields(answer)).toEqual([where]);
          } else {
            expectWellFormed(answer, [422, 413], { size, where });
            if (answer.status === 422) {
              expect(answer.body.details.length).toBeLessThanOrEqual(MAX_DETAILS);
              expect(answer.body.message).toMatch(/\(and \d+ more\)/);
            }
          }
          await expectUnchanged(before);
        },
        8,
      ),
    );
  });

  it('NUL, lone surrogates, bidi controls and emoji in names and label values are refused naming the field', async () => {
    await leavesStoreAlone(() =>
      holds(
        fc.record({
          text: hostileString,
          where: fc.constantFrom('name', 'label value', 'label key', 'tenant', 'url name'),
        }),
        async ({ text, where }) => {
          const before = await revision();
          let answer: Answer;
          let field: string;
          if (where === 'url name') {
            answer = await send('PUT', `${apiPath('sites')}/${percentEncode(text)}`, {
              body: site('hostile'),
            });
            expectWellFormed(answer, [404, 414, 422], { text, where });
            await expectUnchanged(before);
            return;
          }
          if (where === 'name') {
            answer = await send('POST', apiPath('sites'), { body: site(text) });
            field = 'metadata.name';
          } else if (where === 'tenant') {
            answer = await send('POST', apiPath('projects'), { body: project('hostile', text) });
            field = 'metadata.tenant';
          } else {
            const labels = where === 'label key' ? { [text]: 'x' } : { ok: text };
            answer = await send('POST', apiPath('sites'), {
              body: { ...site('hostile'), metadata: { name: 'hostile', labels } },
            });
            field = 'metadata.labels';
          }
          expectWellFormed(answer, [422], { text, where });
          expect(namesField(answer, field), JSON.stringify(answer.body.details)).toBe(true);
          await expectUnchanged(before);
        },
        50,
      ),
    );
  });

  it('an annotation value may be any string, and comes back exactly as sent', async () => {
    const anyString = fc.string({
      unit: fc.oneof(
        fc.constantFrom('\u0000', '\ud800', '\udfff', '\u202e', '\uffff', '"', '\\'),
        fc.string({ unit: 'binary', minLength: 1, maxLength: 1 }),
      ),
      maxLength: 40,
    });
    await holds(
      anyString,
      async (value) => {
        const body = {
          ...site('annotated'),
          metadata: { name: 'annotated', annotations: { 'hostile.strata.dev/value': value } },
        };
        const put = expectWellFormed(
          await send('PUT', apiPath('sites', { name: 'annotated' }), { body }),
          [200, 201],
          value,
        );
        expect(put.body.metadata.annotations['hostile.strata.dev/value']).toBe(value);
        const got = await send('GET', apiPath('sites', { name: 'annotated' }));
        expect(got.body.metadata.annotations['hostile.strata.dev/value']).toBe(value);
      },
      30,
    );
    expect((await send('DELETE', apiPath('sites', { name: 'annotated' }))).status).toBe(200);
  });

  it('status bodies of any shape are refused for kinds with a strict status', async () => {
    await leavesStoreAlone(() =>
      holds(
        fc.record({
          path: fc.constantFrom(
            `${apiPath('nodes', { name: 'n1' })}/status`,
            `${apiPath('workloads', { project: 'team-a', name: 'w1' })}/status`,
          ),
          status: fc.jsonValue({ maxDepth: 3 }),
          rv: fc.option(fc.oneof(fc.jsonValue({ maxDepth: 1 }), fc.constant('1'))),
        }),
        async ({ path, status, rv }) => {
          const before = await revision();
          const body = { status, ...(rv !== null && { metadata: { resourceVersion: rv } }) };
          const answer = await send('PUT', path, { body });
          expectWellFormed(answer, [400, 409, 422], body);
          await expectUnchanged(before);
        },
        40,
      ),
    );
  });

  it('a token request with a wrong field is refused naming it, and issues nothing', async () => {
    const valid = {
      subject: 'hostile',
      tenant: 'acme',
      role: 'viewer',
      description: 'd',
      expiresInSeconds: 60,
    };
    const bad = fc.oneof(
      fc.constantFrom(...(Object.keys(valid) as (keyof typeof valid)[])).chain((field) =>
        wrongValue(valid[field], [field])
          .filter((v) => v !== null)
          .map((value) => ({ field, body: { ...valid, [field]: value } })),
      ),
      fc
        .constantFrom(0, -1, 1.5, 1e308, 9e15, 2 ** 53, -0, 100 * 367 * 24 * 3600)
        .map((n) => ({ field: 'expiresInSeconds', body: { ...valid, expiresInSeconds: n } })),
      hostileString.map((s) => ({ field: 'subject', body: { ...valid, subject: s } })),
    );
    await leavesStoreAlone(() =>
      holds(
        bad,
        async ({ field, body }) => {
          const before = await revision();
          const answer = await send('POST', '/auth/v1/tokens', { body });
          expectWellFormed(answer, [422], body);
          expect(namesField(answer, field), JSON.stringify(answer.body.details)).toBe(true);
          await expectUnchanged(before);
        },
        40,
      ),
    );
  });
});

describe('YAML', () => {
  const siteYaml = (field: string, scalar: string) => {
    const spec: Record<string, string> = {
      region: 'eu',
      jurisdiction: '{country: DE, regime: EU}',
      provider: 'colo',
      timeZone: 'UTC',
      powerBudgetKW: '500',
      tariff: '{currency: EUR, pricePerKWh: 0.2}',
    };
    if (field === 'spec.powerBudgetKW') spec.powerBudgetKW = scalar;
    if (field === 'spec.tariff.pricePerKWh') spec.tariff = `{currency: EUR, pricePerKWh: ${scalar}}`;
    return [
      'apiVersion: strata.dev/v1alpha1',
      'kind: Site',
      'metadata: {name: yaml-number}',
      'spec:',
      ...Object.entries(spec).map(([k, v]) => `  ${k}: ${v}`),
    ].join('\n');
  };

  const SCALARS = [
    '.nan',
    '.NaN',
    '.inf',
    '-.inf',
    '+.inf',
    '1e400',
    '-1e400',
    'NaN',
    'Infinity',
    '1e308',
    '-0',
    '-0.0',
    '0',
    '1e-400',
    '0x1F',
    '0o17',
    '1_000',
    '+12',
    '.5',
    '5.',
    '1e+3',
    '~',
    'null',
    'true',
    'yes',
    '"12"',
    "'12'",
    '12abc',
    '0b101',
    '9007199254740993',
  ];

  it.each([
    'spec.powerBudgetKW',
    'spec.tariff.pricePerKWh',
  ])('every YAML number form in %s is refused naming it, or stored as the finite number it reads as', async (field) => {
    const before = await snapshot();
    for (const scalar of SCALARS) {
      const answer = await yamlBody('POST', apiPath('sites'), siteYaml(field, scalar));
      expectWellFormed(answer, [201, 422], { field, scalar });
      if (answer.status === 422) {
        expect(namesField(answer, field), `${scalar}: ${JSON.stringify(answer.body.details)}`).toBe(true);
        continue;
      }
      const read = YAML.parse(`v: ${scalar}`).v;
      const stored = getAt(
        (await send('GET', apiPath('sites', { name: 'yaml-number' }))).body,
        field.split('.'),
      );
      expect(Number.isFinite(stored), `${scalar} stored as ${stored}`).toBe(true);
      expect(stored === read, `${scalar} read as ${read}, stored as ${stored}`).toBe(true);
      expect((await send('DELETE', apiPath('sites', { name: 'yaml-number' }))).status).toBe(200);
    }
    const after = await snapshot();
    expect(after.lists).toEqual(before.lists);
  });

  it('alias bombs are refused quickly, never expanded', async () => {
    await leavesStoreAlone(() =>
      holds(
        fc.record({
          fanout: fc.integer({ min: 2, max: 12 }),
          depth: fc.integer({ min: 2, max: 12 }),
          inSpec: fc.boolean(),
        }),
        async ({ fanout, depth, inSpec }) => {
          const before = await revision();
          const lines = ['a0: &a0 [lol]'];
          for (let i = 1; i <= depth; i++)
            lines.push(
              `a${i}: &a${i} [${Array(fanout)
                .fill(`*a${i - 1}`)
                .join(', ')}]`,
            );
          const text = inSpec
            ? `apiVersion: strata.dev/v1alpha1\nkind: Site\nmetadata: {name: bomb}\nspec:\n${lines.map((l) => `  ${l}`).join('\n')}\n`
            : `${lines.join('\n')}\n`;
          const started = performance.now();
          const answer = await yamlBody('POST', apiPath('sites'), text);
          expect(performance.now() - started).toBeLessThan(2_000);
          expectWellFormed(answer, [400, 422], { fanout, depth, inSpec });
          if (answer.status === 400) expect(detailFields(answer)).toEqual(['(body)']);
          await expectUnchanged(before);
        },
        20,
      ),
    );
  });

  it('several documents, none, undefined aliases, duplicate keys and tags are refused as (body) or naming a field', async () => {
    const doc = fc.constantFrom(
      'apiVersion: strata.dev/v1alpha1\nkind: Site\nmetadata: {name: multi}\nspec: {}',
      'a: 1',
      '- 1\n- 2',
      '',
    );
    const tagged = fc.constantFrom(
      '!!js/function "function () { return 1 }"',
      '!!binary aGVsbG8=',
      '!!set {a, b}',
      '!!omap [a: 1]',
      '!custom x',
      '!!python/object:os.system ls',
      '!<tag:yaml.org,2002:str> 5',
      '!!timestamp 2001-12-14',
      '!!int "x"',
      '!!float abc',
      '*undefined',
      '&a [*a]',
    );
    const text = fc.oneof(
      fc.array(doc, { minLength: 2, maxLength: 4 }).map((docs) => docs.join('\n---\n')),
      fc.constantFrom(
        '',
        '# only a comment',
        '---\n...\n---\n',
        'a: 1\na: 2',
        '{a: 1, a: 1}',
        '\ufeff',
        '%YAML 9.9\n---\na: 1',
      ),
      tagged.map(
        (t) => `apiVersion: strata.dev/v1alpha1\nkind: Site\nmetadata: {name: tagged}\nspec: {region: ${t}}`,
      ),
      tagged,
    );
    await leavesStoreAlone(() =>
      holds(
        text,
        async (body) => {
          const before = await revision();
          expectWellFormed(await yamlBody('POST', apiPath('sites'), body), [400, 422], body);
          await expectUnchanged(before);
        },
        40,
      ),
    );
  });

  it('bytes that are not UTF-8, as YAML or JSON, are refused', async () => {
    await leavesStoreAlone(() =>
      holds(
        fc.record({
          bytes: fc.uint8Array({ maxLength: 200 }),
          prefix: fc.constantFrom(
            '',
            'apiVersion: strata.dev/v1alpha1\nkind: Site\nmetadata: {name: "',
            '{"kind":"',
          ),
          contentType: fc.constantFrom('application/yaml', 'application/json', 'text/yaml'),
        }),
        async ({ bytes, prefix, contentType }) => {
          const before = await revision();
          const invalid = Uint8Array.from([
            ...Buffer.from(prefix),
            0xff,
            0xfe,
            0xc0,
            0x80,
            0xed,
            0xa0,
            0x80,
            ...bytes,
          ]);
          const answer = await send('POST', apiPath('sites'), {
            body: invalid,
            headers: { 'content-type': contentType },
          });
          expectWellFormed(answer, [400, 422], { prefix, contentType });
          await expectUnchanged(before);
        },
        30,
      ),
    );
  });
});

describe('headers', () => {
  it('any content type with a body that changes nothing: accepted as unchanged or refused, never a write', async () => {
    const fra = site('fra');
    await leavesStoreAlone(() =>
      holds(
        fc.record({
          contentType: fc.oneof(
            fc.constantFrom(
              '',
              'text/plain',
              'application/xml',
              'application/json; charset=latin1',
              'application/json; charset=utf-16',
              'application/yaml; boundary=x',
              'multipart/form-data; boundary=x',
              'application/x-www-form-urlencoded',
              'application/json-patch+json',
              'application/merge-patch+json',
              ';',
              '*/*',
              'application/',
              '/json',
            ),
            fc.stringMatching(/^[\x21-\x7e][\x20-\x7e]{0,40}[\x21-\x7e]$/),
          ),
          yaml: fc.boolean(),
        }),
        async ({ contentType, yaml }) => {
          const before = await revision();
          const answer = await send('PUT', apiPath('sites', { name: 'fra' }), {
            body: yaml ? YAML.stringify(fra) : JSON.stringify(fra),
            headers: { 'content-type': contentType },
          });
          const a = expectWellFormed(answer, [200, 400, 415], { contentType, yaml });
          if (a.status === 200) expect(a.headers.get('x-strata-outcome')).toBe('unchanged');
          if (a.status === 415) expect(detailFields(a)).toEqual(['content-type']);
          await expectUnchanged(before);
        },
        50,
      ),
    );
  });

  it('a malformed Authorization header is 401 (audited once) or 429 (not audited), never access', async () => {
    const secretChar = fc.constantFrom(...'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_');
    const forged = fc.tuple(fc.nat(42), secretChar).map(([i, c]) => {
      const token = plane.adminToken;
      const at = token.length - 43 + i;
      const swapped = token[at] === c ? (c === 'a' ? 'b' : 'a') : c;
      return `Bearer ${token.slice(0, at)}${swapped}${token.slice(at + 1)}`;
    });
    const header = fc.oneof(
      fc.stringMatching(/^[\x21-\x7e]([\x20-\x7e]{0,78}[\x21-\x7e])?$/),
      fc.stringMatching(/^[\x21-\x7e\xa0-\xff]{1,80}$/).map((s) => `Bearer ${s}`),
      fc
        .tuple(fc.stringMatching(/^[0-9a-f]{12}$/), fc.stringMatching(/^[A-Za-z0-9_-]{43}$/))
        .map(([id, secret]) => `Bearer strata_${id}_${secret}`),
      forged,
      fc.constantFrom(
        'Bearer',
        'Bearer ',
        'bearer ADMIN',
        'BEARER ADMIN',
        'ADMIN',
        'Basic YWRtaW46YWRtaW4=',
        'Bearer ADMIN extra',
        `Bearer ${'x'.repeat(8_000)}`,
      ),
    );
    const auditAfter = async (seq: number) =>
      (await send('GET', `/audit/v1/events?after=${seq}&limit=10000`)).body.items as Json[];
    const start = (await auditAfter(0)).at(-1)?.seq ?? 0;
    let unauthorized = 0;
    await leavesStoreAlone(() =>
      holds(
        header.map((h) => h.replaceAll('ADMIN', plane.adminToken.slice(0, -1))),
        async (authorization) => {
          const before = await revision();
          const answer = await send('GET', apiPath('sites'), { token: null, headers: { authorization } });
          expectWellFormed(answer, [401, 429], authorization);
          if (answer.status === 401) unauthorized++;
          if (answer.status === 429) {
            expect(detailFields(answer)).toEqual(['(client)']);
            expect(Number(answer.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
          }
          await expectUnchanged(before);
        },
        150,
      ),
    );
    const refusals = (await auditAfter(start)).filter((r) => r.code === 401 && r.object.kind === 'Request');
    expect(refusals).toHaveLength(unauthorized);
  });

  it('absurd Content-Length and Transfer-Encoding are answered in the error shape, and the server stays up', async () => {
    const body = JSON.stringify(site('cl-site', { powerBudgetKW: -1 }));
    const framing: fc.Arbitrary<Record<string, string>> = fc.oneof(
      fc
        .constantFrom(
          'abc',
          '-1',
          '1e3',
          '0x10',
          '',
          ' ',
          '+5',
          '5, 6',
          '99999999999999999999999',
          '18446744073709551616',
          '1.5',
        )
        .map((cl) => ({ 'content-length': cl }) as Record<string, string>),
      fc
        .integer({ min: -40, max: 40 })
        .map((d) => ({ 'content-length': String(Math.max(0, body.length + d)) })),
      fc.constantFrom<Record<string, string>>(
        { 'transfer-encoding': 'chunked', 'content-length': String(body.length) },
        { 'transfer-encoding': 'gzip' },
        { 'transfer-encoding': 'chunked, chunked' },
        { 'transfer-encoding': 'identity' },
      ),
    );
    await leavesStoreAlone(() =>
      holds(
        framing,
        async (headers) => {
          const before = await revision();
          const answer = await rawRequest(
            rawHttp(
              'POST',
              apiPath('sites'),
              { ...adminHeader(), 'content-type': 'application/json', ...headers },
              body,
            ),
          );
          if (answer !== undefined) expectWellFormed(answer, [400, 413, 422, 501], headers);
          await expectUnchanged(before);
        },
        40,
      ),
    );
  });

  it('bytes that are not HTTP, and header blocks over 16 KiB, are answered in the error shape', async () => {
    const bytes = fc.oneof(
      fc
        .uint8Array({ minLength: 1, maxLength: 300 })
        .map((b) => Buffer.concat([Buffer.from(b), Buffer.from('\r\n\r\n')])),
      fc
        .constantFrom(
          'FOO / HTTP/1.1\r\n\r\n',
          'GET\r\n\r\n',
          'GET / HTTP/9.9\r\n\r\n',
          'GET /healthz HTTP/1.1\r\nHost: a\r\nbad header\r\n\r\n',
        )
        .map((s) => Buffer.from(s)),
      fc
        .integer({ min: 17_000, max: 80_000 })
        .chain((n) =>
          fc.constantFrom(
            Buffer.from(rawHttp('GET', '/healthz', { 'x-big': 'a'.repeat(n) })),
            Buffer.from(rawHttp('GET', `${apiPath('sites')}/${'a'.repeat(n)}`, adminHeader())),
          ),
        ),
    );
    await holds(
      bytes,
      async (request) => {
        const before = await revision();
        const answer = await rawRequest(request);
        if (answer !== undefined)
          expectWellFormed(
            answer,
            [400, 404, 405, 414, 431, 505],
            request.subarray(0, 60).toString('latin1'),
          );
        await expectUnchanged(before);
      },
      40,
    );
  });
});

describe('paths', () => {
  const plurals = KINDS.map((k) => k.plural);
  const FIXTURE_NAMES = new Set(['fra', 'acme', 'reader', 'readers', 'default', 'high']);
  const segment = fc.oneof(
    fc.constantFrom(
      '..',
      '.',
      '%2e%2e',
      '%2E.',
      '%zz',
      '%',
      '%0',
      '%00',
      '%2F',
      '%5C',
      '%C0%AE',
      '%ED%A0%80',
      '%E2%80%AE',
      '~',
      ';',
      ';a=b',
      '%20',
      '+',
      '*',
      ':name',
      '{name}',
      'status',
      'namespaces',
      '',
    ),
    fc.string({ unit: 'grapheme', minLength: 1, maxLength: 12 }).map(percentEncode),
    fc.integer({ min: 64, max: 4_000 }).map((n) => 'a'.repeat(n)),
    // Never a fixture's name: a DELETE that reached one would be a legitimate write.
    fc.stringMatching(/^[a-z]{1,12}$/).filter((s) => !plurals.includes(s) && !FIXTURE_NAMES.has(s)),
    fc.constantFrom(...plurals, 'team-a', 'status'),
  );
  const hostilePath = fc
    .tuple(
      fc.constantFrom(`${API}/`, `${API}/namespaces/`, '/', '/apis/', '/auth/v1/tokens/', '/audit/v1/', '//'),
      fc.array(segment, { minLength: 1, maxLength: 5 }),
      fc.option(fc.constantFrom('?', '?watch', '?%zz', '?a=%ff', '#x')),
    )
    .map(([prefix, segments, suffix]) => `${prefix}${segments.join('/')}${suffix ?? ''}`);

  it('unknown kinds, dot segments, bad percent-encoding, long and unicode names: 4xx in the shape, no write', async () => {
    const invalidSite = JSON.stringify(site('hostile-path', { powerBudgetKW: -1 }));
    await leavesStoreAlone(() =>
      holds(
        fc.record({
          path: hostilePath,
          method: fc.constantFrom('GET', 'PUT', 'POST', 'DELETE', 'PATCH', 'OPTIONS'),
        }),
        async ({ path, method }) => {
          const before = await revision();
          const withBody = method === 'PUT' || method === 'POST' || method === 'PATCH';
          const answer = await rawRequest(
            rawHttp(
              method,
              path,
              {
                ...adminHeader(),
                ...(withBody && {
                  'content-type': 'application/json',
                  'content-length': String(invalidSite.length),
                }),
              },
              withBody ? invalidSite : '',
            ),
          );
          const allowed = method === 'GET' ? [200, 400, 404, 414, 431] : [400, 404, 409, 414, 415, 422, 431];
          if (answer?.status === 200)
            expect(answer.headers.get('content-type')).toMatch(/^application\/json/);
          expectWellFormed(answer, allowed, { method, path: path.slice(0, 200) });
          await expectUnchanged(before);
        },
        120,
      ),
    );
  });
});

describe('query parameters', () => {
  /** Already-encoded query values: encoded text, raw percent junk, or both. */
  const encoded = (text: fc.Arbitrary<string>) =>
    fc.oneof(
      text.map(encodeURIComponent),
      fc.constantFrom('%zz', '%', '%ED%A0%80', '%C0%AE', '%00', '%FF%FE', '+', '%2B', '&', '%26'),
      fc.tuple(text, fc.constantFrom('%zz', '%00', '%FF')).map(([t, junk]) => encodeURIComponent(t) + junk),
    );
  const selectorPiece = fc.constantFrom(
    'a',
    'b=c',
    'x/y=z',
    '!',
    '=',
    '==',
    '!=',
    ' in ',
    ' notin ',
    '(',
    ')',
    ',',
    ' ',
    '-',
    '_',
    '.',
    'é',
    '\u0000',
    'k'.repeat(400),
    'v'.repeat(70),
    'a in (b, c)',
    '!a',
    'a notin ()',
    'strata.dev/tier',
  );
  const selector = fc
    .array(fc.oneof(selectorPiece, fc.string({ unit: 'grapheme', maxLength: 6 })), { maxLength: 8 })
    .map((p) => p.join(''));
  const fieldSelector = fc.oneof(
    fc.constantFrom(
      'metadata.name=fra',
      'metadata.name==',
      'metadata.name=',
      'metadata.namespace=team-a',
      'metadata.project=nope',
      'spec.x=y',
      'metadata.name!=x',
      ',,',
      '=',
      'metadata.name=a,metadata.name=b',
    ),
    fc.string({ unit: 'grapheme', maxLength: 30 }),
  );
  const limit = fc.oneof(
    fc.integer({ min: -1_000_000, max: 1_000_000 }).map(String),
    fc.constantFrom(
      'abc',
      '1.5',
      '1e3',
      '0x10',
      ' 5',
      '',
      '-0',
      'Infinity',
      'NaN',
      '9'.repeat(400),
      '0',
      '1000',
      '1001',
    ),
  );
  const base64 = (bytes: Uint8Array) => Buffer.from(bytes).toString('base64url');
  const continueToken = fc.oneof(
    fc.uint8Array({ maxLength: 60 }).map(base64),
    fc.jsonValue({ maxDepth: 2 }).map((v) => Buffer.from(JSON.stringify(v) ?? '').toString('base64url')),
    fc
      .tuple(fc.string({ maxLength: 20 }), fc.string({ maxLength: 20 }))
      .map((pair) => Buffer.from(JSON.stringify(pair)).toString('base64url')),
    fc.string({ maxLength: 40 }),
    fc.constantFrom('', '=', '====', 'Zm9v', 'WyIiLCIiXQ', 'W10'),
  );
  const revisionText = fc.oneof(
    fc.constantFrom('', '0', '-1', ' 1', '1.0', '0x1', 'abc', '9'.repeat(30), '1e3', '+1'),
    fc.bigInt({ min: 10n ** 15n, max: 10n ** 40n }).map(String),
    fc.string({ maxLength: 12 }),
  );
  const param = fc.oneof(
    fc.tuple(fc.constant('labelSelector'), encoded(selector)),
    fc.tuple(fc.constant('fieldSelector'), encoded(fieldSelector)),
    fc.tuple(fc.constant('limit'), encoded(limit)),
    fc.tuple(fc.constant('continue'), encoded(continueToken)),
    fc.tuple(fc.constant('resourceVersion'), encoded(revisionText)),
    fc.tuple(fc.constant('timeoutSeconds'), encoded(limit)),
    fc.tuple(
      fc.constantFrom('allowWatchBookmarks', 'sendInitialEvents', 'resourceVersionMatch', 'pretty'),
      encoded(fc.string({ maxLength: 8 })),
    ),
    fc.tuple(
      fc.constantFrom('__proto__', 'constructor', 'toString', 'hasOwnProperty', '', '%zz', 'a[b]', 'a.b'),
      encoded(fc.string({ maxLength: 8 })),
    ),
  );
  const NAMED = new Set([
    'labelSelector',
    'fieldSelector',
    'limit',
    'continue',
    'resourceVersion',
    'timeoutSeconds',
  ]);

  /** A list or watch: a watch that starts streaming is cut off once its status line is in. */
  async function listOrWatch(path: string, accept: string, lastEventId: string | undefined): Promise<Answer> {
    const controller = new AbortController();
    const response = await fetch(`${plane.url}${path}`, {
      headers: {
        ...adminHeader(),
        accept,
        ...(lastEventId !== undefined && { 'last-event-id': lastEventId }),
      },
      signal: controller.signal,
    });
    const streaming =
      response.status === 200 &&
      response.headers.get('content-length') === null &&
      /watch=(true|1)(&|$)/.test(path);
    if (streaming) {
      controller.abort();
      return { status: 200, body: undefined, headers: response.headers };
    }
    return { status: response.status, body: parseBody(await response.text()), headers: response.headers };
  }

  it('list and watch parameters of any content: 200 or 400 naming the parameter, never a write', async () => {
    await leavesStoreAlone(() =>
      holds(
        fc.record({
          collection: fc.constantFrom(...KIND_PATHS, apiPath('workloads')),
          params: fc.array(param, { maxLength: 5 }),
          watch: fc.constantFrom(undefined, 'true', '1', 'false', 'yes', ''),
          accept: fc.constantFrom(
            'application/json',
            'text/event-stream',
            'application/json;as=Table;g=meta.k8s.io;v=v1',
            '*/*',
          ),
          lastEventId: fc.option(fc.oneof(revisionText, fc.constant('3')), { nil: undefined }),
        }),
        async ({ collection, params, watch, accept, lastEventId }) => {
          const before = await revision();
          const pairs = watch === undefined ? params : [...params, ['watch', watch] as [string, string]];
          const query = pairs.map(([k, v]) => `${k}=${v}`).join('&');
          const path = `${collection}?${query}`;
          const answer = await listOrWatch(path, accept, lastEventId);
          expectWellFormed(answer, [200, 400, 404, 410], { path, accept, lastEventId });
          if (answer.status === 400) {
            const keys = new Set(pairs.map(([k]) => decodeURIComponentSafe(k)));
            const [field] = detailFields(answer);
            const named =
              NAMED.has(field!) || keys.has(field!) || field === '(path)' || field === '(request)';
            expect(named, `${field} for ${path}`).toBe(true);
          }
          await expectUnchanged(before);
        },
        150,
      ),
    );
  });

  it('DELETE with a garbage resourceVersion, in the query or the body, never deletes', async () => {
    await leavesStoreAlone(() =>
      holds(
        fc.record({
          target: fc.constantFrom(
            apiPath('sites', { name: 'fra' }),
            apiPath('priorityclasses', { name: 'high' }),
            apiPath('workloads', { project: 'team-a', name: 'w1' }),
            apiPath('projects', { name: 'team-a' }),
          ),
          // Never a plain decimal: it could be the object's resourceVersion, and then the delete is legitimate.
          rv: revisionText.filter((rv) => !/^\d{1,14}$/.test(rv)),
          inBody: fc.boolean(),
          extra: fc.jsonValue({ maxDepth: 2 }),
        }),
        async ({ target, rv, inBody, extra }) => {
          const before = await revision();
          const answer = inBody
            ? await send('DELETE', target, { body: { preconditions: { resourceVersion: rv }, extra } })
            : await send('DELETE', `${target}?resourceVersion=${encodeURIComponent(rv)}`);
          // A body's resourceVersion that is not a string is ignored, so send one that is.
          expectWellFormed(answer, [400, 409], { target, rv, inBody });
          await expectUnchanged(before);
        },
        40,
      ),
    );
  });

  it('audit paging parameters: 200 or 400 naming after or limit', async () => {
    await holds(
      fc.record({
        after: fc.option(encoded(limit)),
        limit: fc.option(encoded(limit)),
        format: fc.constantFrom(undefined, 'jsonl', 'json', '%zz'),
      }),
      async ({ after, limit: size, format }) => {
        const query = [
          after !== null && `after=${after}`,
          size !== null && `limit=${size}`,
          format !== undefined && `format=${format}`,
        ]
          .filter(Boolean)
          .join('&');
        const answer = await send('GET', `/audit/v1/events?${query}`);
        expectWellFormed(answer, [200, 400], query);
        if (answer.status === 400) expect(['after', 'limit']).toContain(detailFields(answer)[0]);
      },
      40,
    );
  });

  it('a watch timeout longer than Node can time is refused naming timeoutSeconds (it used to end the watch at once)', async () => {
    const longest = await listOrWatch(
      `${apiPath('sites')}?watch=true&timeoutSeconds=2147483`,
      'application/json',
      undefined,
    );
    expect(longest.status).toBe(200);
    const tooLong = await listOrWatch(
      `${apiPath('sites')}?watch=true&timeoutSeconds=2147484`,
      'application/json',
      undefined,
    );
    expectWellFormed(tooLong, [400], 'timeoutSeconds=2147484');
    expect(detailFields(tooLong)).toEqual(['timeoutSeconds']);
  });

  it('a parameter given twice is refused naming it', async () => {
    await holds(
      fc.record({
        key: fc.constantFrom(...NAMED, 'watch', 'pretty'),
        values: fc.array(fc.stringMatching(/^[a-z0-9]{0,5}$/), { minLength: 2, maxLength: 4 }),
      }),
      async ({ key, values }) => {
        const answer = await send('GET', `${apiPath('sites')}?${values.map((v) => `${key}=${v}`).join('&')}`);
        expectWellFormed(answer, [400], { key, values });
        expect(detailFields(answer)).toEqual([key]);
      },
      20,
    );
  });
});

function decodeURIComponentSafe(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
  }
}
