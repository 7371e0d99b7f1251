import { API_VERSION } from '../../src/model/object.js';

/** Fixture builders: each returns a valid object of its kind; tests override only what matters. */

export function site(name = 'fra', spec: Record<string, unknown> = {}) {
  return {
    apiVersion: API_VERSION,
    kind: 'Site',
    metadata: { name },
    spec: {
      region: 'eu-central',
      jurisdiction: { country: 'DE', regime: 'EU' },
      provider: 'colo',
      timeZone: 'Europe/Berlin',
      powerBudgetKW: 500,
      tariff: { currency: 'EUR', pricePerKWh: 0.2 },
      ...spec,
    },
  };
}

export function cluster(name = 'fra-hgx', siteName = 'fra') {
  return {
    apiVersion: API_VERSION,
    kind: 'Cluster',
    metadata: { name },
    spec: { site: siteName, provider: 'agent' },
  };
}

export function gpu(index: number, model = 'H100-SXM-80GB', extra: Record<string, unknown> = {}) {
  return {
    index,
    model,
    uuid: `GPU-${String(index).padStart(8, '0')}-0000-0000-0000-000000000000`,
    numaNode: 0,
    ...extra,
  };
}

export function node(name = 'n1', spec: Record<string, unknown> = {}, labels?: Record<string, string>) {
  return {
    apiVersion: API_VERSION,
    kind: 'Node',
    metadata: { name, ...(labels !== undefined && { labels }) },
    spec: {
      cluster: 'fra-hgx',
      cpu: { cores: 64, numaNodes: 1 },
      memory: '512Gi',
      accelerators: [gpu(0), gpu(1)],
      ...spec,
    },
  };
}

export function tenant(name: string, spec: Record<string, unknown> = {}) {
  return { apiVersion: API_VERSION, kind: 'Tenant', metadata: { name }, spec };
}

export function project(name: string, tenantName: string) {
  return { apiVersion: API_VERSION, kind: 'Project', metadata: { name, tenant: tenantName }, spec: {} };
}

export function queue(name: string, tenantName?: string) {
  return {
    apiVersion: API_VERSION,
    kind: 'Queue',
    metadata: { name, ...(tenantName !== undefined && { tenant: tenantName }) },
    spec: {},
  };
}

export function workload(name: string, projectName: string, spec: Record<string, unknown> = {}) {
  return {
    apiVersion: API_VERSION,
    kind: 'Workload',
    metadata: { name, project: projectName },
    spec: {
      queue: 'default',
      podSets: [
        { name: 'main', count: 1, resources: { cpu: 4, memory: '16Gi', accelerators: { count: 1 } } },
      ],
      ...spec,
    },
  };
}
