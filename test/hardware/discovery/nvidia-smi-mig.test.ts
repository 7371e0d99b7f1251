import { describe, expect, it } from 'vitest';
import { parseMigDevices } from '../../../src/hardware/discovery/nvidia-smi-mig.js';

describe('parseMigDevices', () => {
  it('groups MIG devices under the GPU line above them', () => {
    const listing = [
      'GPU 0: NVIDIA A100-SXM4-40GB (UUID: GPU-9e13f17f-a213-eb38-9a9c-0b2a540e4908)',
      '  MIG 3g.20gb     Device  0: (UUID: MIG-7af93043-695c-54c5-90f5-b698832ab413)',
      '  MIG 1g.5gb      Device  1: (UUID: MIG-aaaa)',
      'GPU 1: NVIDIA A100-SXM4-40GB (UUID: GPU-bbbb)',
      'GPU 2: NVIDIA A100-SXM4-40GB (UUID: GPU-cccc)',
      '  MIG 1g.5gb+me   Device  0: (UUID: MIG-dddd)',
    ].join('\n');
    expect(parseMigDevices(listing)).toEqual(
      new Map([
        [
          0,
          [
            { profile: '3g.20gb', uuid: 'MIG-7af93043-695c-54c5-90f5-b698832ab413' },
            { profile: '1g.5gb', uuid: 'MIG-aaaa' },
          ],
        ],
        [2, [{ profile: '1g.5gb+me', uuid: 'MIG-dddd' }]],
      ]),
    );
  });

  it('ignores MIG lines before any GPU line and lines it does not know', () => {
    expect(parseMigDevices('  MIG 1g.5gb  Device  0: (UUID: MIG-x)\nNo devices found.\n')).toEqual(new Map());
  });
});
