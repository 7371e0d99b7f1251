import { describe, expect, it } from 'vitest';
import { findAcceleratorModel } from '../../src/hardware/accelerator-models.js';
import { migProfiles } from '../../src/hardware/mig.js';

function model(id: string) {
  const found = findAcceleratorModel(id);
  if (!found) throw new Error(`no model ${id}`);
  return found;
}

/**
 * [name, computeSlices, memorySlices, maxInstances] as printed in the MIG User Guide,
 * "Supported MIG Profiles", Tables 6 (A100 40GB), 7 (H100), 8 (H200) and 9 (B200).
 */
type Row = readonly [string, number, number, number];

const PUBLISHED: Readonly<Record<string, readonly Row[]>> = {
  'A100-SXM-40GB': [
    ['1g.5gb', 1, 1, 7],
    ['1g.5gb+me', 1, 1, 1],
    ['1g.10gb', 1, 2, 4],
    ['2g.10gb', 2, 2, 3],
    ['3g.20gb', 3, 4, 2],
    ['4g.20gb', 4, 4, 1],
    ['7g.40gb', 7, 8, 1],
  ],
  'A100-SXM-80GB': [
    ['1g.10gb', 1, 1, 7],
    ['1g.10gb+me', 1, 1, 1],
    ['1g.20gb', 1, 2, 4],
    ['2g.20gb', 2, 2, 3],
    ['3g.40gb', 3, 4, 2],
    ['4g.40gb', 4, 4, 1],
    ['7g.80gb', 7, 8, 1],
  ],
  'H100-SXM-80GB': [
    ['1g.10gb', 1, 1, 7],
    ['1g.10gb+me', 1, 1, 1],
    ['1g.20gb', 1, 2, 4],
    ['2g.20gb', 2, 2, 3],
    ['3g.40gb', 3, 4, 2],
    ['4g.40gb', 4, 4, 1],
    ['7g.80gb', 7, 8, 1],
  ],
  'H200-SXM-141GB': [
    ['1g.18gb', 1, 1, 7],
    ['1g.18gb+me', 1, 1, 1],
    ['1g.35gb', 1, 2, 4],
    ['2g.35gb', 2, 2, 3],
    ['3g.71gb', 3, 4, 2],
    ['4g.71gb', 4, 4, 1],
    ['7g.141gb', 7, 8, 1],
  ],
  'B200-SXM-180GB': [
    ['1g.23gb', 1, 1, 7],
    ['1g.23gb+me', 1, 1, 1],
    ['1g.45gb', 1, 2, 4],
    ['2g.45gb', 2, 2, 3],
    ['3g.90gb', 3, 4, 2],
    ['4g.90gb', 4, 4, 1],
    ['7g.180gb', 7, 8, 1],
  ],
};

describe('MIG profiles match NVIDIA’s "Supported MIG Profiles" tables', () => {
  it.each(
    Object.entries(PUBLISHED),
  )('%s lists exactly the published profiles, in table order', (id, rows) => {
    const actual = migProfiles(model(id)).map(
      (p) => [p.name, p.computeSlices, p.memorySlices, p.maxInstances] as const,
    );
    expect(actual).toEqual(rows);
  });

  it('the H100 PCIe shares the H100 80GB table', () => {
    expect(migProfiles(model('H100-PCIE-80GB'))).toEqual(migProfiles(model('H100-SXM-80GB')));
  });

  it.each([
    'L4-PCIE-24GB',
    'L40S-PCIE-48GB',
    'T4-PCIE-16GB',
    'MI300X-OAM-192GB',
    'TPU-V5E-16GB',
  ])('%s has no MIG profiles', (id) => {
    expect(migProfiles(model(id))).toEqual([]);
  });
});

describe('MIG placements match `nvidia-smi mig -lgipp`', () => {
  // Keyed by the profile's position in the table; the -lgipp output lists the same seven shapes on A100 and H100.
  const LGIPP: readonly (readonly [readonly number[], number])[] = [
    [[0, 1, 2, 3, 4, 5, 6], 1], // profile ID 19: 1g, one memory slice
    [[0, 1, 2, 3, 4, 5, 6], 1], // profile ID 20: 1g+me
    [[0, 2, 4, 6], 2], // profile ID 15: 1g, two memory slices
    [[0, 2, 4], 2], // profile ID 14: 2g
    [[0, 4], 4], // profile ID 9: 3g
    [[0], 4], // profile ID 5: 4g
    [[0], 8], // profile ID 0: 7g
  ];

  it.each(Object.keys(PUBLISHED))('%s uses the published starts and spans', (id) => {
    const actual = migProfiles(model(id)).map((p) => [p.allowedStarts, p.size] as const);
    expect(actual).toEqual(LGIPP);
  });

  it.each(Object.keys(PUBLISHED))('%s spans as many memory slices as each profile takes', (id) => {
    for (const profile of migProfiles(model(id))) {
      expect(profile.size, profile.name).toBe(profile.memorySlices);
      for (const start of profile.allowedStarts) expect(start + profile.size).toBeLessThanOrEqual(8);
    }
  });

  it('only +me profiles carry the media extensions, and each GPU allows one', () => {
    for (const id of Object.keys(PUBLISHED)) {
      const me = migProfiles(model(id)).filter((p) => p.mediaExtensions);
      expect(me.map((p) => p.name.endsWith('+me'))).toEqual([true]);
      expect(me[0]?.maxInstances).toBe(1);
    }
  });
});
