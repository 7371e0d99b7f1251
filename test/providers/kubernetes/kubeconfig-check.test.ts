import { describe, expect, it } from 'vitest';
import { kubeconfigProblem } from '../../../src/providers/kubernetes/kubeconfig-check.js';
import { kubeconfig } from './kubeconfig-builder.js';

const missing = (list: string) =>
  kubeconfig().replace(new RegExp(`^${list}:\\n(  .*\\n|- .*\\n)*`, 'm'), `${list}: []\n`);

describe('kubeconfigProblem', () => {
  it('accepts a kubeconfig whose current context names a defined cluster and user', () => {
    expect(kubeconfigProblem(kubeconfig())).toBeUndefined();
  });

  it('accepts a context chosen explicitly when the kubeconfig has no current-context', () => {
    expect(kubeconfigProblem(kubeconfig({ current: false }), 'strata-test')).toBeUndefined();
  });

  it.each([
    { name: 'YAML that does not parse', text: 'clusters: [unclosed', problem: /^is not valid YAML: / },
    { name: 'a scalar instead of a mapping', text: 'just text', problem: /must be a YAML mapping/ },
    { name: 'another kind', text: 'kind: Pod\n', problem: /must be of kind Config, not "Pod"/ },
    { name: 'no clusters', text: missing('clusters'), problem: /has no clusters/ },
    { name: 'no users', text: missing('users'), problem: /has no users/ },
    { name: 'no contexts', text: missing('contexts'), problem: /has no contexts/ },
    {
      name: 'a cluster entry without a name',
      text: kubeconfig().replace('name: test-cluster', 'nom: test-cluster'),
      problem: /clusters\[0\] has no name/,
    },
    {
      name: 'no current-context and none chosen',
      text: kubeconfig({ current: false }),
      problem: /names no context/,
    },
    {
      name: 'a context naming an undefined user',
      text: kubeconfig().replace('user: test-user', 'user: someone-else'),
      problem: /names user "someone-else", which users does not define/,
    },
    {
      name: 'a cluster without a server URL',
      text: kubeconfig({ server: 'not a url' }),
      problem: /cluster "test-cluster" has no server URL/,
    },
    {
      name: 'a plain-HTTP server with TLS verification on',
      text: kubeconfig({ server: 'http://10.0.0.1:8080' }).replace(
        'insecure-skip-tls-verify: true',
        'insecure-skip-tls-verify: false',
      ),
      problem:
        /serves plain HTTP \(http:\/\/10.0.0.1:8080\): use https:\/\/, or set insecure-skip-tls-verify: true/,
    },
    {
      name: 'an exec credential plugin',
      text: kubeconfig().replace(
        'token: test-token',
        'exec: { apiVersion: client.authentication.k8s.io/v1, command: aws }',
      ),
      problem:
        /user "test-user" uses exec: a Cluster's kubeconfig may not make the control plane run a program/,
    },
    {
      name: 'a client key read from a file',
      text: kubeconfig().replace('token: test-token', 'client-key: /etc/kubernetes/admin.key'),
      problem: /user "test-user" names a file \(client-key\): inline it \(client-key-data\)/,
    },
    {
      name: 'a CA certificate read from a file',
      text: kubeconfig().replace(
        'server: https://10.0.0.1:6443',
        'server: https://10.0.0.1:6443\n      certificate-authority: /etc/ca.crt',
      ),
      problem:
        /cluster "test-cluster" names a file \(certificate-authority\): inline it \(certificate-authority-data\)/,
    },
  ])('names the problem with $name', ({ text, problem }) => {
    expect(kubeconfigProblem(text)).toMatch(problem);
  });

  it('names an unknown context and lists the known ones', () => {
    expect(kubeconfigProblem(kubeconfig(), 'prod')).toBe('has no context "prod" (contexts: strata-test)');
  });
});
