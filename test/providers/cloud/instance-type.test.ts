/** The cloud catalog's kind over the real API: an instance type Strata cannot place on is refused. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { API_VERSION } from '../../../src/model/object.js';
import { startTestPlane, type TestPlane } from '../../support/control-plane.js';

let plane: TestPlane;

beforeAll(async () => {
  plane = await startTestPlane();
});

afterAll(async () => {
  await plane?.stop();
});

function instanceType(name: string, accelerator: Record<string, unknown>) {
  return {
    apiVersion: API_VERSION,
    kind: 'InstanceType',
    metadata: { name },
    spec: {
      cloud: 'simcloud',
      region: 'eu-central-1',
      jurisdiction: { country: 'DE', regime: 'EU' },
      timeZone: 'Europe/Berlin',
      accelerator,
      cpu: { cores: 192 },
      memory: '2Ti',
      pricePerSecond: { onDemand: 0.0176, spot: 0.0088 },
      currency: 'USD',
      provisioningSeconds: 300,
    },
  };
}

const create = (body: unknown) => plane.call('POST', `/apis/${API_VERSION}/instancetypes`, { body });

describe('InstanceType', () => {
  it('an instance type of a catalog model is created', async () => {
    const response = await create(instanceType('h100x8', { model: 'H100-SXM-80GB', count: 8 }));
    expect(response.status, JSON.stringify(response.body)).toBe(201);
  });

  it.each([
    [
      'an unknown accelerator model',
      { model: 'H900-IMAGINARY', count: 8 },
      'spec.accelerator.model',
      /unknown accelerator model "H900-IMAGINARY"/,
    ],
    [
      'a MIG profile on a model without MIG',
      { model: 'L4', count: 1, migProfile: '1g.6gb' },
      'spec.accelerator.migProfile',
      /does not support MIG/,
    ],
    [
      'a MIG profile the model does not have',
      { model: 'A100-SXM-80GB', count: 8, migProfile: '5g.50gb' },
      'spec.accelerator.migProfile',
      /no MIG profile "5g.50gb"/,
    ],
  ])('%s is refused with a 422 naming the field', async (_rule, accelerator, field, message) => {
    const response = await create(instanceType('bad', accelerator));
    expect(response.status).toBe(422);
    expect(response.body.details).toEqual([{ field, message: expect.stringMatching(message) }]);
    expect((await plane.call('GET', `/apis/${API_VERSION}/instancetypes/bad`)).status).toBe(404);
  });
});
