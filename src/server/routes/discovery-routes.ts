import type { FastifyInstance } from 'fastify';
import { KINDS } from '../../model/kinds.js';
import { API_VERSION, GROUP, VERSION } from '../../model/object.js';
import type { AppContext } from '../app.js';

const groupVersion = { groupVersion: API_VERSION, version: VERSION };

/**
 * The Kubernetes discovery documents, so that kubectl (pointed at Strata with
 * a kubeconfig holding a Strata token) finds Strata's kinds. Strata serves no
 * core (v1) group, so `kubectl get nodes` resolves to Strata's nodes.
 */
export function registerDiscoveryRoutes(app: FastifyInstance, _ctx: AppContext): void {
  app.get('/version', async () => ({
    major: '1',
    minor: '32',
    gitVersion: 'v1.32.0-strata',
    platform: `${process.platform}/${process.arch}`,
    strata: '0.1.0',
  }));
  app.get('/api', async () => ({ kind: 'APIVersions', versions: [], serverAddressByClientCIDRs: [] }));
  app.get('/apis', async () => ({
    kind: 'APIGroupList',
    apiVersion: 'v1',
    groups: [{ name: GROUP, versions: [groupVersion], preferredVersion: groupVersion }],
  }));
  app.get(`/apis/${GROUP}`, async () => ({
    kind: 'APIGroup',
    apiVersion: 'v1',
    name: GROUP,
    versions: [groupVersion],
    preferredVersion: groupVersion,
  }));
  app.get(`/apis/${API_VERSION}`, async () => ({
    kind: 'APIResourceList',
    apiVersion: 'v1',
    groupVersion: API_VERSION,
    resources: [
      {
        name: 'acceleratormodels',
        singularName: 'acceleratormodel',
        namespaced: false,
        kind: 'AcceleratorModel',
        verbs: ['get', 'list'],
        shortNames: ['am'],
        categories: ['strata'],
      },
      ...KINDS.flatMap((def) => [
        {
          name: def.plural,
          singularName: def.singular,
          namespaced: def.scope === 'project',
          kind: def.kind,
          verbs: ['create', 'delete', 'get', 'list', 'update', 'watch'],
          shortNames: [...def.shortNames],
          categories: ['all', 'strata'],
        },
        {
          name: `${def.plural}/status`,
          singularName: '',
          namespaced: def.scope === 'project',
          kind: def.kind,
          verbs: ['get', 'update'],
        },
      ]),
    ],
  }));
}
