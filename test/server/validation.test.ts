import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Json, startTestPlane, type TestPlane } from '../support/control-plane.js';
import { detailFields, expectErrorShape } from './api-assertions.js';
import { API, apiPath, cluster, gpu, node, project, site, tenant, workload } from './builders.js';

let plane: TestPlane;

beforeAll(async () => {
  plane = await startTestPlane();
  for (const [path, body] of [
    [apiPath('sites'), site('fra')],
    [apiPath('clusters'), cluster('fra-hgx', 'fra')],
    [apiPath('tenants'), tenant('acme')],
    [apiPath('projects'), project('team-a', 'acme')],
  ] as const) {
    const response = await plane.call('POST', path, { body });
    if (response.status !== 201) throw new Error(`setup ${path}: ${JSON.stringify(response.body)}`);
  }
});

afterAll(async () => {
  await plane?.stop();
});

/** A node with one accelerator, everything else valid. */
function nodeWith(accelerator: Record<string, unknown>, spec: Record<string, unknown> = {}) {
  return node('bad-node', { accelerators: [accelerator], ...spec });
}

const mig = (layout: readonly { profile: string; start?: number }[]) => ({ mode: 'enabled', layout });

interface BadInput {
  /** What is wrong, as the test name says it. */
  readonly what: string;
  readonly path: string;
  readonly body: unknown;
  readonly contentType?: string;
  readonly status: number;
  /** Exactly the fields the answer must name, in order. */
  readonly fields: readonly string[];
  /** The collection whose contents must not change, and the object that must not appear. */
  readonly collection: string;
  readonly name?: string;
}

const sites = apiPath('sites');
const nodes = apiPath('nodes');
const workloads = apiPath('workloads', { project: 'team-a' });

const CASES: readonly BadInput[] = [
  {
    what: 'malformed YAML',
    path: sites,
    body: 'apiVersion: strata.dev/v1alpha1\nkind: Site\nmetadata: {name: yaml-site\n',
    contentType: 'application/yaml',
    status: 400,
    fields: ['(body)'],
    collection: sites,
    name: 'yaml-site',
  },
  {
    what: 'an unknown kind in the body',
    path: sites,
    body: { ...site('widget-site'), kind: 'Widget' },
    status: 400,
    fields: ['kind'],
    collection: sites,
    name: 'widget-site',
  },
  {
    what: 'an unknown field (spec.foo)',
    path: sites,
    body: site('foo-site', { foo: 'bar' }),
    status: 422,
    fields: ['spec.foo'],
    collection: sites,
    name: 'foo-site',
  },
  {
    what: 'a wrong type (a string for a number)',
    path: sites,
    body: site('typed-site', { powerBudgetKW: 'lots' }),
    status: 422,
    fields: ['spec.powerBudgetKW'],
    collection: sites,
    name: 'typed-site',
  },
  {
    what: 'a name of 64 characters',
    path: sites,
    body: site('a'.repeat(64)),
    status: 422,
    fields: ['metadata.name'],
    collection: sites,
    name: 'a'.repeat(64),
  },
  {
    what: 'a name with upper case',
    path: sites,
    body: site('Frankfurt'),
    status: 422,
    fields: ['metadata.name'],
    collection: sites,
  },
  {
    what: 'negative CPU cores',
    path: nodes,
    body: node('neg-cpu', { cpu: { cores: -4, numaNodes: 1 } }),
    status: 422,
    fields: ['spec.cpu.cores'],
    collection: nodes,
    name: 'neg-cpu',
  },
  {
    what: 'a fractional GPU count in a workload',
    path: workloads,
    body: workload('half-gpu', 'team-a', {
      podSets: [
        { name: 'main', count: 1, resources: { cpu: 4, memory: '16Gi', accelerators: { count: 1.5 } } },
      ],
    }),
    status: 422,
    fields: ['spec.podSets[0].resources.accelerators.count'],
    collection: workloads,
    name: 'half-gpu',
  },
  {
    what: 'a negative memory quantity',
    path: nodes,
    body: node('neg-mem', { memory: '-512Gi' }),
    status: 422,
    fields: ['spec.memory'],
    collection: nodes,
    name: 'neg-mem',
  },
  {
    what: 'more accelerators than accelerator slots',
    path: nodes,
    body: node('crowded', { acceleratorSlots: 1, accelerators: [gpu(0), gpu(1)] }),
    status: 422,
    fields: ['spec.accelerators'],
    collection: nodes,
    name: 'crowded',
  },
  {
    what: 'an accelerator on a NUMA node the machine does not have',
    path: nodes,
    body: nodeWith(gpu(0, 'H100-SXM-80GB', { numaNode: 2 }), { cpu: { cores: 64, numaNodes: 2 } }),
    status: 422,
    fields: ['spec.accelerators[0].numaNode'],
    collection: nodes,
    name: 'bad-node',
  },
  {
    what: 'two 4g.40gb MIG instances on one H100 (at most one fits)',
    path: nodes,
    body: nodeWith(gpu(0, 'H100-SXM-80GB', { mig: mig([{ profile: '4g.40gb' }, { profile: '4g.40gb' }]) })),
    status: 422,
    fields: ['spec.accelerators[0].mig.layout[1].profile'],
    collection: nodes,
    name: 'bad-node',
  },
  {
    what: 'a 3g.40gb MIG instance at memory slice 2 (it may start at 0 or 4)',
    path: nodes,
    body: nodeWith(gpu(0, 'H100-SXM-80GB', { mig: mig([{ profile: '3g.40gb', start: 2 }]) })),
    status: 422,
    fields: ['spec.accelerators[0].mig.layout[0].start'],
    collection: nodes,
    name: 'bad-node',
  },
  {
    what: 'MIG on a model without MIG (L4)',
    path: nodes,
    body: nodeWith(gpu(0, 'L4-PCIE-24GB', { mig: mig([{ profile: '1g.10gb' }]) })),
    status: 422,
    fields: ['spec.accelerators[0].mig.mode'],
    collection: nodes,
    name: 'bad-node',
  },
  {
    what: 'an unknown accelerator model',
    path: nodes,
    body: nodeWith(gpu(0, 'H900-IMAGINARY')),
    status: 422,
    fields: ['spec.accelerators[0].model'],
    collection: nodes,
    name: 'bad-node',
  },
  {
    what: 'a node referencing a cluster that does not exist',
    path: nodes,
    body: node('orphan', { cluster: 'nowhere' }),
    status: 422,
    fields: ['spec.cluster'],
    collection: nodes,
    name: 'orphan',
  },
  {
    what: 'a cluster kind with a project',
    path: nodes,
    body: { ...node('in-project'), metadata: { name: 'in-project', project: 'team-a' } },
    status: 422,
    fields: ['metadata.project'],
    collection: nodes,
    name: 'in-project',
  },
  {
    what: 'a fleet kind with a tenant',
    path: nodes,
    body: { ...node('owned'), metadata: { name: 'owned', tenant: 'acme' } },
    status: 422,
    fields: ['metadata.tenant'],
    collection: nodes,
    name: 'owned',
  },
  {
    what: 'a kind that does not match the URL',
    path: sites,
    body: cluster('mismatch', 'fra'),
    status: 400,
    fields: ['kind'],
    collection: sites,
    name: 'mismatch',
  },
  {
    what: 'a body whose project differs from the URL',
    path: workloads,
    body: workload('elsewhere', 'team-b'),
    status: 422,
    fields: ['metadata.project'],
    collection: workloads,
    name: 'elsewhere',
  },
  {
    what: 'a resourceVersion that is not a number',
    path: sites,
    body: { ...site('rv-site'), metadata: { name: 'rv-site', resourceVersion: 'latest' } },
    status: 422,
    fields: ['metadata.resourceVersion'],
    collection: sites,
    name: 'rv-site',
  },
];

async function snapshot(collection: string): Promise<{ revision: string; names: string[] }> {
  const response = await plane.call('GET', collection);
  expect(response.status).toBe(200);
  return {
    revision: response.body.metadata.resourceVersion,
    names: response.body.items.map((o: Json) => `${o.metadata.project ?? ''}/${o.metadata.name}`),
  };
}

describe('bad input is refused with a 4xx naming the field, and writes nothing', () => {
  it.each(CASES.map((c) => [c.what, c] as const))('%s', async (_what, c) => {
    const before = await snapshot(c.collection);
    const response = await plane.call('POST', c.path, {
      body: c.body,
      ...(c.contentType !== undefined && { headers: { 'content-type': c.contentType } }),
    });
    expectErrorShape(response, c.status);
    expect(detailFields(response)).toEqual(c.fields);
    expect(response.body.message).toContain(c.fields[0]);

    expect(await snapshot(c.collection)).toEqual(before);
    if (c.name !== undefined) {
      const namespaced = c.collection.includes('/namespaces/');
      const url = namespaced
        ? `${c.collection}/${c.name}`
        : apiPath(c.collection.split('/').at(-1)!, { name: c.name });
      expect((await plane.call('GET', url)).status).toBe(404);
    }
  });

  it.each(
    CASES.filter((c) => c.contentType === undefined && c.path !== apiPath('workloads')).map(
      (c) => [c.what, c] as const,
    ),
  )('the same through apply (PUT): %s', async (_what, c) => {
    const body = c.body as { metadata: { name: string } };
    const before = await snapshot(c.collection);
    const response = await plane.call('PUT', `${c.path}/${body.metadata.name}`, { body });
    expect(response.status).toBe(c.status);
    expect(detailFields(response)).toEqual(c.fields);
    expect(await snapshot(c.collection)).toEqual(before);
  });

  it('every problem of one object is reported, not only the first', async () => {
    const response = await plane.call('POST', nodes, {
      body: node('Many-Problems', { cpu: { cores: 0, numaNodes: 1 }, memory: 'lots', colour: 'blue' }),
    });
    expectErrorShape(response, 422);
    expect(detailFields(response).sort()).toEqual([
      'metadata.name',
      'spec.colour',
      'spec.cpu.cores',
      'spec.memory',
    ]);
  });

  it('an unknown resource type in the URL is 404 naming it', async () => {
    const response = await plane.call('POST', `${API}/widgets`, { body: { ...site('w'), kind: 'Widget' } });
    expectErrorShape(response, 404);
    expect(response.body.message).toContain('"widgets"');
  });
});
