import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { API_VERSION } from '../../src/model/object.js';
import { type Json, startTestPlane, type TestPlane } from '../support/control-plane.js';
import { detailFields, expectErrorShape } from './api-assertions.js';
import { apiPath, cohort, priorityClass, project, resourceClass, tenant, workload } from './builders.js';

/**
 * Issue 5, "Bad input": scheduling objects that name something missing, a
 * cohort tree with a cycle, a negative limit, and a workload that no amount of
 * waiting would let its queue admit — each a 4xx naming the field.
 */

let plane: TestPlane;

function queueWith(name: string, spec: Record<string, unknown>) {
  return { apiVersion: API_VERSION, kind: 'Queue', metadata: { name }, spec };
}

const h100 = (nominal: number, extra: Record<string, unknown> = {}) => ({
  resourceClass: 'h100',
  nominal: { gpus: nominal },
  ...extra,
});

/** A workload of one pod set: `gpus` whole H100s per pod, `count` pods. */
function gpuWorkload(
  name: string,
  queue: string,
  gpus: number,
  count = 1,
  extra: Record<string, unknown> = {},
) {
  return workload(name, 'team-a', {
    queue,
    podSets: [
      {
        name: 'main',
        count,
        resources: { cpu: 4, memory: '16Gi', accelerators: { count: gpus, models: ['H100-SXM-80GB'] } },
      },
    ],
    ...extra,
  });
}

const queues = apiPath('queues');
const cohorts = apiPath('cohorts');
const workloads = apiPath('workloads', { project: 'team-a' });

beforeAll(async () => {
  plane = await startTestPlane();
  const fixtures: [string, unknown][] = [
    [apiPath('tenants'), tenant('acme')],
    [apiPath('projects'), project('team-a', 'acme')],
    [apiPath('priorityclasses'), priorityClass('training')],
    [apiPath('resourceclasses'), resourceClass('h100', { accelerator: { models: ['H100-SXM-80GB'] } })],
    [apiPath('resourceclasses'), resourceClass('l4', { accelerator: { models: ['L4-PCIE-24GB'] } })],
    [apiPath('resourceclasses'), resourceClass('cpu')],
    [cohorts, cohort('root')],
    [cohorts, cohort('research', { parent: 'root' })],
    [
      queues,
      queueWith('solo', {
        resources: [h100(8), { resourceClass: 'cpu', nominal: { cpu: 64, memory: '256Gi' } }],
      }),
    ],
    [
      queues,
      queueWith('team-x', { cohort: 'research', resources: [h100(8, { borrowingLimit: { gpus: 4 } })] }),
    ],
    [
      queues,
      queueWith('team-y', { cohort: 'research', resources: [h100(8, { lendingLimit: { gpus: 2 } })] }),
    ],
    [queues, queueWith('other', { cohort: 'root', resources: [h100(16)] })],
  ];
  for (const [path, body] of fixtures) {
    const response = await plane.call('POST', path, { body });
    if (response.status !== 201) throw new Error(`setup ${path}: ${JSON.stringify(response.body)}`);
  }
});

afterAll(async () => {
  await plane?.stop();
});

interface BadInput {
  readonly what: string;
  readonly path: string;
  readonly body: { metadata: { name: string } };
  readonly fields: readonly string[];
  /** Something the first detail's message must say. */
  readonly says: string;
}

const BAD: readonly BadInput[] = [
  {
    what: 'a queue whose cohort does not exist',
    path: queues,
    body: queueWith('lost', { cohort: 'nowhere', resources: [h100(1)] }),
    fields: ['spec.cohort'],
    says: 'cohort "nowhere" not found',
  },
  {
    what: 'a queue naming a resource class that does not exist',
    path: queues,
    body: queueWith('bad-rc', { resources: [h100(1), { resourceClass: 'tpu-v5', nominal: { gpus: 1 } }] }),
    fields: ['spec.resources[1].resourceClass'],
    says: 'resourceclass "tpu-v5" not found',
  },
  {
    what: 'a queue with a borrowing limit below zero',
    path: queues,
    body: queueWith('neg-borrow', {
      cohort: 'research',
      resources: [h100(1, { borrowingLimit: { gpus: -1 } })],
    }),
    fields: ['spec.resources[0].borrowingLimit.gpus'],
    says: '0',
  },
  {
    what: 'a queue with a lending limit below zero (a quantity)',
    path: queues,
    body: queueWith('neg-lend', {
      cohort: 'research',
      resources: [{ resourceClass: 'cpu', nominal: { cpu: 8 }, lendingLimit: { cpu: '-2' } }],
    }),
    fields: ['spec.resources[0].lendingLimit.cpu'],
    says: 'non-negative',
  },
  {
    what: 'a cohort whose parent does not exist',
    path: cohorts,
    body: cohort('orphan', { parent: 'nowhere' }),
    fields: ['spec.parent'],
    says: 'cohort "nowhere" not found',
  },
  {
    what: 'a workload whose priority class does not exist',
    path: workloads,
    body: gpuWorkload('no-pc', 'solo', 1, 1, { priorityClass: 'urgent' }),
    fields: ['spec.priorityClass'],
    says: 'priorityclass "urgent" not found',
  },
  {
    what: 'a workload larger than its queue could ever hold',
    path: workloads,
    body: gpuWorkload('too-big', 'solo', 16),
    fields: ['spec.podSets'],
    says: 'needs 16 GPUs (H100-SXM-80GB); queue solo can hold at most 8 (nominal 8, no borrowing)',
  },
];

describe('a bad reference or limit is a 422 naming the field, and writes nothing', () => {
  it.each(BAD.map((c) => [c.what, c] as const))('POST %s', async (_what, c) => {
    const response = await plane.call('POST', c.path, { body: c.body });
    expectErrorShape(response, 422);
    expect(detailFields(response)).toEqual(c.fields);
    expect(response.body.details[0].message).toContain(c.says);
    expect(response.body.message).toContain(c.fields[0]);
    expect((await plane.call('GET', `${c.path}/${c.body.metadata.name}`)).status).toBe(404);
  });

  it.each(BAD.map((c) => [c.what, c] as const))('PUT (apply) %s', async (_what, c) => {
    const response = await plane.call('PUT', `${c.path}/${c.body.metadata.name}`, { body: c.body });
    expectErrorShape(response, 422);
    expect(detailFields(response)).toEqual(c.fields);
  });
});

describe('the cohort tree stays a tree', () => {
  it('re-parenting a cohort under its own descendant is a 422 on spec.parent that shows the cycle', async () => {
    expect((await plane.call('POST', cohorts, { body: cohort('cyc-a') })).status).toBe(201);
    expect((await plane.call('POST', cohorts, { body: cohort('cyc-b', { parent: 'cyc-a' }) })).status).toBe(
      201,
    );
    expect((await plane.call('POST', cohorts, { body: cohort('cyc-c', { parent: 'cyc-b' }) })).status).toBe(
      201,
    );

    const response = await plane.call('PUT', apiPath('cohorts', { name: 'cyc-a' }), {
      body: cohort('cyc-a', { parent: 'cyc-c' }),
    });
    expectErrorShape(response, 422);
    expect(detailFields(response)).toEqual(['spec.parent']);
    expect(response.body.details[0].message).toContain('cohort cyc-a → cyc-c → cyc-b → cyc-a');
    const stored = await plane.call('GET', apiPath('cohorts', { name: 'cyc-a' }));
    expect(stored.body.spec.parent).toBeUndefined();
  });

  it('a cohort cannot be its own parent', async () => {
    expect((await plane.call('POST', cohorts, { body: cohort('selfish') })).status).toBe(201);
    const response = await plane.call('PUT', apiPath('cohorts', { name: 'selfish' }), {
      body: cohort('selfish', { parent: 'selfish' }),
    });
    expectErrorShape(response, 422);
    expect(response.body.details[0].message).toContain('cohort selfish → selfish');
  });

  it('moving a cohort to another branch without a cycle is fine', async () => {
    const response = await plane.call('PUT', apiPath('cohorts', { name: 'cyc-c' }), {
      body: cohort('cyc-c', { parent: 'cyc-a' }),
    });
    expect(response.status, JSON.stringify(response.body)).toBe(200);
  });
});

interface Sized {
  readonly what: string;
  readonly body: Json;
  readonly status: 201 | 422;
  readonly says?: string;
}

const host = (cpu: number | string, memory: string) =>
  workload('host', 'team-a', { queue: 'solo', podSets: [{ name: 'main', resources: { cpu, memory } }] });

const SIZED: readonly Sized[] = [
  {
    what: 'exactly the nominal quota of a queue without a cohort fits',
    body: gpuWorkload('fits-8', 'solo', 8),
    status: 201,
  },
  {
    what: 'pods × GPUs per pod over nominal, no cohort',
    body: gpuWorkload('three-by-three', 'solo', 3, 3),
    status: 422,
    says: 'needs 9 GPUs (H100-SXM-80GB); queue solo can hold at most 8 (nominal 8, no borrowing)',
  },
  { what: 'nominal + borrowingLimit fits', body: gpuWorkload('fits-12', 'team-x', 12), status: 201 },
  {
    what: 'over nominal + borrowingLimit',
    body: gpuWorkload('over-12', 'team-x', 13),
    status: 422,
    says: 'queue team-x can hold at most 12 (nominal 8, borrowing up to 4 from cohort research)',
  },
  {
    what: 'no borrowingLimit: what the rest of the cohort tree lends (team-x 8, other 16) fits',
    body: gpuWorkload('fits-32', 'team-y', 32),
    status: 201,
  },
  {
    what: 'no borrowingLimit: over everything the cohort tree lends',
    body: gpuWorkload('over-32', 'team-y', 33),
    status: 422,
    says: 'queue team-y can hold at most 32 (nominal 8, borrowing up to 24 from cohort research)',
  },
  {
    what: 'an accelerator model none of the queue’s resource classes offers',
    body: workload('l4-on-solo', 'team-a', {
      queue: 'solo',
      podSets: [
        {
          name: 'main',
          resources: { cpu: 4, memory: '16Gi', accelerators: { count: 1, models: ['L4-PCIE-24GB'] } },
        },
      ],
    }),
    status: 422,
    says: 'needs 1 GPU (L4-PCIE-24GB); queue solo has no quota for them',
  },
  {
    what: 'more CPU than the queue declares',
    body: host(65, '1Gi'),
    status: 422,
    says: 'needs 65 CPU cores; queue solo can hold at most 64 (nominal 64, no borrowing)',
  },
  {
    what: 'more memory than the queue declares',
    body: host(1, '512Gi'),
    status: 422,
    says: 'needs 512Gi of memory; queue solo can hold at most 256Gi (nominal 256Gi, no borrowing)',
  },
  {
    what: 'a queue that does not exist yet: the workload waits for it',
    body: gpuWorkload('waits', 'not-yet', 1000),
    status: 201,
  },
];

describe('a workload its queue could never admit is refused at submission', () => {
  it.each(SIZED.map((c) => [c.what, c] as const))('%s', async (_what, c) => {
    const response = await plane.call('POST', workloads, { body: c.body });
    if (c.status === 201) {
      expect(response.status, JSON.stringify(response.body)).toBe(201);
      return;
    }
    expectErrorShape(response, 422);
    expect(detailFields(response)).toEqual(['spec.podSets']);
    expect(response.body.details[0].message).toContain(c.says);
  });

  it('an update that grows a workload past its queue is refused too, and the stored one is unchanged', async () => {
    const response = await plane.call('PUT', `${workloads}/fits-8`, {
      body: gpuWorkload('fits-8', 'solo', 9),
    });
    expectErrorShape(response, 422);
    expect(response.body.details[0].message).toContain('needs 9 GPUs');
    const stored = await plane.call('GET', `${workloads}/fits-8`);
    expect(stored.body.spec.podSets[0].resources.accelerators.count).toBe(8);
  });
});
