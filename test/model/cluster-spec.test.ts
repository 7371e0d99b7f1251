import { describe, expect, it } from 'vitest';
import { API_VERSION } from '../../src/model/object.js';
import { parseObject } from '../../src/model/parse-object.js';
import { kubeconfig } from '../providers/kubernetes/kubeconfig-builder.js';

const cluster = (spec: Record<string, unknown>) =>
  parseObject({
    apiVersion: API_VERSION,
    kind: 'Cluster',
    metadata: { name: 'c' },
    spec: { site: 'par', ...spec },
  });

describe('Cluster spec.kubernetes', () => {
  it('fills the defaults of a Kubernetes connection', () => {
    const parsed = cluster({ provider: 'kubernetes', kubernetes: { kubeconfig: kubeconfig() } });
    expect(parsed.ok && parsed.input.spec).toMatchObject({
      kubernetes: { namespace: 'default', gangs: 'Jobs', image: 'docker.io/library/busybox:1.37' },
    });
  });

  it('accepts a Kubernetes cluster without a connection (declared only: no Jobs are created)', () => {
    expect(cluster({ provider: 'kubernetes' }).ok).toBe(true);
  });

  it.each([
    {
      name: 'a connection on another provider',
      spec: { provider: 'agent', kubernetes: { kubeconfig: kubeconfig() } },
      issue: { field: 'spec.kubernetes', message: 'is only for provider kubernetes' },
    },
    {
      name: 'a kubeconfig that does not parse',
      spec: { provider: 'kubernetes', kubernetes: { kubeconfig: 'a: [' } },
      issue: { field: 'spec.kubernetes.kubeconfig', message: expect.stringMatching(/^is not valid YAML: /) },
    },
    {
      name: 'an unknown context',
      spec: { provider: 'kubernetes', kubernetes: { kubeconfig: kubeconfig(), context: 'prod' } },
      issue: {
        field: 'spec.kubernetes.kubeconfig',
        message: 'has no context "prod" (contexts: strata-test)',
      },
    },
    {
      name: 'an unknown gang form',
      spec: { provider: 'kubernetes', kubernetes: { kubeconfig: kubeconfig(), gangs: 'Indexed' } },
      issue: { field: 'spec.kubernetes.gangs', message: expect.any(String) },
    },
  ])('refuses $name, naming the field', ({ spec, issue }) => {
    const parsed = cluster(spec);
    expect(parsed.ok).toBe(false);
    expect(!parsed.ok && parsed.issues).toEqual([issue]);
  });
});
