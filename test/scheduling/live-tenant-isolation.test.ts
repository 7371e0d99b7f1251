import { describe, expect, it } from 'vitest';
import type { PodRequest } from '../../src/scheduling/placement-request.js';
import { decideAfter, milli, node, project, tenant, verdictOf, whole } from './live-builders.js';

const tenants = [tenant('vault', { isolation: 'hard' }), tenant('acme'), tenant('labs')];
const projects = [project('secret', 'acme', { isolation: 'hard' }), project('web', 'acme')];

interface IsolationCase {
  readonly rule: string;
  readonly before: readonly PodRequest[];
  readonly pod: PodRequest;
  /** With one 8-GPU node "n1" and an empty 8-GPU node "n2" unless `oneNode`. */
  readonly oneNode?: boolean;
  readonly want: string | string[];
}

const cases: IsolationCase[] = [
  {
    rule: 'shared tenants share a node (BestFit packs them together)',
    before: [whole(1, { tenant: 'acme' })],
    pod: whole(1, { tenant: 'labs' }),
    want: 'n1',
  },
  {
    rule: 'hard tenant → others: a shared tenant’s pod never joins a node running hard-isolated work',
    before: [whole(1, { tenant: 'vault' })],
    pod: whole(1, { tenant: 'acme' }),
    want: 'n2',
  },
  {
    rule: 'hard tenant → others: with no other node, the shared pod is rejected for isolation',
    oneNode: true,
    before: [whole(1, { tenant: 'vault' })],
    pod: milli(100, { tenant: 'acme' }),
    want: ['node-held-by-hard-tenant'],
  },
  {
    rule: 'others → hard tenant: a hard-isolated pod never joins a node running another tenant’s work',
    before: [whole(1, { tenant: 'acme' })],
    pod: whole(1, { tenant: 'vault' }),
    want: 'n2',
  },
  {
    rule: 'others → hard tenant: with no other node, the hard pod is rejected for isolation',
    oneNode: true,
    before: [whole(1, { tenant: 'acme' })],
    pod: whole(1, { tenant: 'vault' }),
    want: ['node-shared-with-other-tenant'],
  },
  {
    rule: 'a hard tenant packs its own pods together',
    before: [whole(1, { tenant: 'vault' })],
    pod: whole(1, { tenant: 'vault' }),
    want: 'n1',
  },
  {
    rule: 'a hard-isolated project is its own unit, even against its tenant’s other projects',
    oneNode: true,
    before: [whole(1, { tenant: 'acme', project: 'web' })],
    pod: whole(1, { tenant: 'acme', project: 'secret' }),
    want: ['node-shared-with-other-tenant'],
  },
  {
    rule: 'a shared project of a shared tenant shares with other tenants',
    oneNode: true,
    before: [whole(1, { tenant: 'labs' })],
    pod: whole(1, { tenant: 'acme', project: 'web' }),
    want: 'n1',
  },
  {
    rule: 'pods without a tenant are "another tenant" to a hard-isolated one',
    oneNode: true,
    before: [whole(1)],
    pod: whole(1, { tenant: 'vault' }),
    want: ['node-shared-with-other-tenant'],
  },
];

describe('live placement: tenant isolation (hard never shares a node or GPU, both directions)', () => {
  it.each(cases)('$rule', (c) => {
    const nodes = c.oneNode ? [node('n1')] : [node('n1'), node('n2')];
    const { plan } = decideAfter({ nodes, tenants, projects }, c.before, c.pod);
    expect(verdictOf(plan)).toEqual(c.want);
  });

  it('the snapshot records which units have work on each node and GPU, and forgets on release', () => {
    const { engine, snapshot } = decideAfter({ nodes: [node('n1')], tenants }, [], whole(1));
    const a = engine.place(engine.prepare(whole(1, { tenant: 'acme' })));
    engine.place(engine.prepare(milli(500, { tenant: 'labs' })));
    expect(snapshot.unitsOnNode(0)).toEqual({ acme: 1, labs: 1 });
    expect(snapshot.nodeSoleUnit[0]).toBe(-2);
    expect(snapshot.gpuSoleUnit[0]).toBe(snapshot.units.find('acme'));
    engine.release(a.pod);
    expect(snapshot.unitsOnNode(0)).toEqual({ labs: 1 });
    expect(snapshot.nodeSoleUnit[0]).toBe(snapshot.units.find('labs'));
  });

  it('a tenant turned hard later isolates new pods; pods bound before keep their accounting', () => {
    const { engine, snapshot } = decideAfter({ nodes: [node('n1')], tenants }, [], whole(1));
    const old = engine.place(engine.prepare(whole(1, { tenant: 'labs' })));
    snapshot.setTenancy([
      ...tenants.filter((t) => t.metadata.name !== 'labs'),
      tenant('labs', { isolation: 'hard' }),
    ]);
    engine.place(engine.prepare(whole(1, { tenant: 'acme' })));
    expect(verdictOf(engine.decide(engine.prepare(whole(1, { tenant: 'labs' }))))).toEqual([
      'node-shared-with-other-tenant',
    ]);
    engine.release(old.pod);
    expect(snapshot.nodeHardPods[0]).toBe(0);
  });
});
