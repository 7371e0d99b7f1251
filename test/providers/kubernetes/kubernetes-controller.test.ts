import { describe, expect, it } from 'vitest';
import { API_VERSION, type ApiObject } from '../../../src/model/object.js';
import { connectedClusters } from '../../../src/providers/kubernetes/kubernetes-controller.js';

const cluster = (name: string, spec: Record<string, unknown>) =>
  ({
    apiVersion: API_VERSION,
    kind: 'Cluster',
    metadata: { name },
    spec: { site: 'par', ...spec },
  }) as ApiObject;
const connection = { kubeconfig: 'apiVersion: v1', namespace: 'ml', image: 'busybox', gangs: 'Jobs' };

describe('connectedClusters', () => {
  it('runs pods only on Kubernetes clusters that have a connection', () => {
    const clusters = [
      cluster('par-k8s', { provider: 'kubernetes', kubernetes: connection }),
      cluster('par-declared', { provider: 'kubernetes' }),
      cluster('fra-hgx', { provider: 'agent' }),
    ];
    expect(connectedClusters(clusters)).toEqual([{ name: 'par-k8s', spec: connection }]);
  });
});
