import { describe, expect, it } from 'vitest';
import type { ApiObject } from '../../src/model/object.js';
import type { TenantSpec } from '../../src/model/tenancy.js';
import type { PodRequest } from '../../src/scheduling/placement-request.js';
import { cluster, decideAfter, node, site, tenant, verdictOf, whole } from './live-builders.js';

/** fra (DE/EU, 1 GPU), par (FR/EU, 2 GPUs), iad (US/US, 4 GPUs), lon (GB/UK, 8 GPUs); BestFit prefers fra. */
const sites = [
  site('fra', { country: 'DE', regime: 'EU' }),
  site('par', { country: 'FR', regime: 'EU' }),
  site('iad', { country: 'US', regime: 'US' }),
  site('lon', { country: 'GB', regime: 'UK' }),
];
const clusters = sites.map((s) => cluster(`${s.metadata.name}-c`, s.metadata.name));
const nodes = [
  node('fra-1', { cluster: 'fra-c', gpus: 1 }),
  node('par-1', { cluster: 'par-c', gpus: 2 }),
  node('iad-1', { cluster: 'iad-c', gpus: 4 }),
  node('lon-1', { cluster: 'lon-c', gpus: 8 }),
];

interface ResidencyCase {
  readonly rule: string;
  readonly tenants?: ApiObject<TenantSpec>[];
  readonly pod: PodRequest;
  readonly want: string | string[];
}

const cases: ResidencyCase[] = [
  {
    rule: 'no residency and no tenant limits: anywhere (BestFit picks the smallest)',
    pod: whole(1),
    want: 'fra-1',
  },
  { rule: 'a regime matches every site under it', pod: whole(2, { residency: ['EU'] }), want: 'par-1' },
  {
    rule: 'a country code matches that country’s sites only',
    pod: whole(1, { residency: ['FR'] }),
    want: 'par-1',
  },
  { rule: 'several entries: any of them', pod: whole(1, { residency: ['US', 'UK'] }), want: 'iad-1' },
  {
    rule: 'nothing in the residency list: every node is rejected for residency',
    pod: whole(1, { residency: ['JP'] }),
    want: ['site-outside-residency'],
  },
  {
    rule: 'the tenant’s allowed jurisdictions apply even when the workload names none',
    tenants: [tenant('acme', { allowedJurisdictions: ['US'] })],
    pod: whole(1, { tenant: 'acme' }),
    want: 'iad-1',
  },
  {
    rule: 'workload residency AND tenant jurisdictions: both must hold',
    tenants: [tenant('acme', { allowedJurisdictions: ['EU', 'UK'] })],
    pod: whole(1, { tenant: 'acme', residency: ['UK', 'US'] }),
    want: 'lon-1',
  },
  {
    rule: 'disjoint residency and tenant jurisdictions: each node is counted under the first that fails',
    tenants: [tenant('acme', { allowedJurisdictions: ['US'] })],
    pod: whole(1, { tenant: 'acme', residency: ['EU'] }),
    want: ['site-outside-residency', 'site-outside-tenant-jurisdictions'],
  },
];

describe('live placement: data residency (workload jurisdictions AND tenant allowed jurisdictions)', () => {
  it.each(cases)('$rule', (c) => {
    const { plan } = decideAfter({ sites, clusters, nodes, tenants: c.tenants ?? [] }, [], c.pod);
    expect(verdictOf(plan)).toEqual(c.want);
  });

  it('a node whose cluster has no known site is rejected when residency is asked', () => {
    const { plan } = decideAfter(
      { sites, clusters, nodes: [node('orphan', { cluster: 'nowhere' })] },
      [],
      whole(1, { residency: ['EU'] }),
    );
    expect(verdictOf(plan)).toEqual(['site-unknown']);
  });

  it('residency rejections are static: the verdict is never-fits', () => {
    const { plan } = decideAfter({ sites, clusters, nodes }, [], whole(1, { residency: ['JP'] }));
    expect(plan.outcome === 'unschedulable' && plan.verdict).toBe('never-fits');
  });
});
