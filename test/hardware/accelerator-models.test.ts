import { describe, expect, it } from 'vitest';
import {
  ACCELERATOR_MODELS,
  acceleratorModelIds,
  findAcceleratorModel,
} from '../../src/hardware/accelerator-models.js';

describe('findAcceleratorModel', () => {
  it.each([
    ['NVIDIA H100 80GB HBM3', 'H100-SXM-80GB'],
    ['nvidia h100 80gb hbm3', 'H100-SXM-80GB'],
    ['H100', 'H100-SXM-80GB'],
    ['h100-80gb', 'H100-SXM-80GB'],
    ['NVIDIA-H100-80GB-HBM3', 'H100-SXM-80GB'],
    ['NVIDIA H100 PCIe', 'H100-PCIE-80GB'],
    ['NVIDIA A100-SXM4-80GB', 'A100-SXM-80GB'],
    ['nvidia a100-sxm4-80gb', 'A100-SXM-80GB'],
    ['NVIDIA A100-SXM4-40GB', 'A100-SXM-40GB'],
    ['NVIDIA H200', 'H200-SXM-141GB'],
    ['NVIDIA B200', 'B200-SXM-180GB'],
    ['NVIDIA L40S', 'L40S-PCIE-48GB'],
    ['NVIDIA L4', 'L4-PCIE-24GB'],
    ['Tesla T4', 'T4-PCIE-16GB'],
    ['AMD Instinct MI300X', 'MI300X-OAM-192GB'],
    ['tpu-v5-lite-podslice', 'TPU-V5E-16GB'],
    ['  h200-sxm-141gb  ', 'H200-SXM-141GB'],
  ])('resolves %j to %s', (name, id) => {
    expect(findAcceleratorModel(name)?.id).toBe(id);
  });

  it.each(['', 'H300', 'NVIDIA GeForce RTX 4090'])('returns undefined for the unknown name %j', (name) => {
    expect(findAcceleratorModel(name)).toBeUndefined();
  });
});

describe('the catalog', () => {
  it('lists every required model by canonical id', () => {
    expect(acceleratorModelIds()).toEqual(
      expect.arrayContaining([
        'H100-SXM-80GB',
        'H100-PCIE-80GB',
        'H200-SXM-141GB',
        'B200-SXM-180GB',
        'A100-SXM-40GB',
        'A100-SXM-80GB',
        'L40S-PCIE-48GB',
        'L4-PCIE-24GB',
        'T4-PCIE-16GB',
        'MI300X-OAM-192GB',
        'TPU-V5E-16GB',
      ]),
    );
  });

  it('lists every id and alias once, so no name resolves to two models', () => {
    const names = ACCELERATOR_MODELS.flatMap((model) =>
      [model.id, ...model.aliases].map((n) => n.toLowerCase()),
    );
    expect(new Set(names).size).toBe(names.length);
  });

  it('gives MIG geometry to exactly the MIG-capable models of the MIG User Guide', () => {
    const withMig = ACCELERATOR_MODELS.filter((model) => model.mig).map((model) => model.id);
    expect(withMig.sort()).toEqual(
      [
        'A100-SXM-40GB',
        'A100-SXM-80GB',
        'B200-SXM-180GB',
        'H100-PCIE-80GB',
        'H100-SXM-80GB',
        'H200-SXM-141GB',
      ].sort(),
    );
  });

  it('gives the whole-GPU MIG profile the model memory (7g.80gb on an 80GB GPU)', () => {
    for (const model of ACCELERATOR_MODELS) {
      const whole = model.mig?.profiles.find((profile) => profile.computeSlices === 7);
      if (model.mig) expect(whole?.memoryGiB, model.id).toBe(model.memoryGiB);
    }
  });

  it.each([
    ['H100-SXM-80GB', { memoryGiB: 80, memoryType: 'HBM3', tdpWatts: 700, formFactor: 'sxm' }],
    ['H200-SXM-141GB', { memoryGiB: 141, memoryType: 'HBM3e', tdpWatts: 700, formFactor: 'sxm' }],
    ['B200-SXM-180GB', { memoryGiB: 180, memoryType: 'HBM3e', tdpWatts: 1000, formFactor: 'sxm' }],
    ['A100-SXM-40GB', { memoryGiB: 40, memoryType: 'HBM2', tdpWatts: 400, formFactor: 'sxm' }],
    ['L4-PCIE-24GB', { memoryGiB: 24, memoryType: 'GDDR6', tdpWatts: 72, formFactor: 'pcie' }],
    ['MI300X-OAM-192GB', { memoryGiB: 192, memoryType: 'HBM3', tdpWatts: 750, formFactor: 'oam' }],
  ])('states the published datasheet figures of %s', (id, figures) => {
    expect(findAcceleratorModel(id)).toMatchObject(figures);
  });

  it('leaves TDP out for TPUs, whose vendor publishes none', () => {
    expect(findAcceleratorModel('TPU-V5E-16GB')?.tdpWatts).toBeUndefined();
  });

  it('has positive memory and interconnect bandwidth for every model', () => {
    for (const model of ACCELERATOR_MODELS) {
      expect(model.memoryGiB, model.id).toBeGreaterThan(0);
      expect(model.interconnect.bandwidthGBps, model.id).toBeGreaterThan(0);
    }
  });
});
