import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ACCELERATOR_MODELS } from '../../src/hardware/accelerator-models.js';
import { startTestPlane, type TestPlane } from '../support/control-plane.js';

const PATH = '/apis/strata.dev/v1alpha1/acceleratormodels';

describe('the accelerator catalog endpoint', () => {
  let plane: TestPlane;
  beforeAll(async () => {
    plane = await startTestPlane();
  });
  afterAll(() => plane.stop());

  it('lists every built-in model as a read-only AcceleratorModel', async () => {
    const { status, body } = await plane.call('GET', PATH);
    expect(status).toBe(200);
    expect(body.kind).toBe('AcceleratorModelList');
    expect(body.items.map((m: { spec: { id: string } }) => m.spec.id)).toEqual(
      ACCELERATOR_MODELS.map((m) => m.id),
    );
  });

  it.each([
    ['its lower-cased id', 'h100-sxm-80gb'],
    ['an nvidia-smi name', encodeURIComponent('NVIDIA H100 80GB HBM3')],
    ['a short alias', 'H100'],
  ])('resolves a model by %s', async (_how, name) => {
    const { status, body } = await plane.call('GET', `${PATH}/${name}`);
    expect(status).toBe(200);
    expect(body.spec.id).toBe('H100-SXM-80GB');
    expect(body.spec.mig.profiles.map((p: { name: string }) => p.name)).toContain('3g.40gb');
  });

  it('answers 404 in the API error shape for a model it does not know', async () => {
    const { status, body } = await plane.call('GET', `${PATH}/quantum-gpu-9000`);
    expect(status).toBe(404);
    expect(body).toMatchObject({ code: 404, reason: 'NotFound', details: [] });
    expect(body.message).toContain('quantum-gpu-9000');
  });

  it('still needs a bearer token', async () => {
    const { status } = await plane.call('GET', PATH, { token: 'strata_000000000000_wrong' });
    expect(status).toBe(401);
  });

  it('refuses writes: the catalog is built in', async () => {
    const { status } = await plane.call('PUT', `${PATH}/h100-sxm-80gb`, { body: {} });
    expect(status).toBeGreaterThanOrEqual(400);
    expect(status).toBeLessThan(500);
  });

  it('serves kubectl a Table with the catalog columns', async () => {
    const { body } = await plane.call('GET', PATH, {
      headers: { accept: 'application/json;as=Table;v=v1;g=meta.k8s.io' },
    });
    expect(body.kind).toBe('Table');
    expect(body.columnDefinitions.map((c: { name: string }) => c.name)).toEqual([
      'Name',
      'Vendor',
      'Memory',
      'TDP',
      'Interconnect',
      'MIG profiles',
    ]);
    expect(body.rows).toHaveLength(ACCELERATOR_MODELS.length);
  });
});
