import { describe, expect, it } from 'vitest';
import { parseGpuQuery } from '../../../src/hardware/discovery/nvidia-smi-gpus.js';

describe('parseGpuQuery', () => {
  it.each([
    [
      'a GPU with MIG off',
      '0, GPU-aa, NVIDIA H100 80GB HBM3, 81559, 00000000:1B:00.0, Disabled',
      {
        index: 0,
        uuid: 'GPU-aa',
        name: 'NVIDIA H100 80GB HBM3',
        memoryMiB: 81559,
        pciBusId: '00000000:1B:00.0',
        migMode: 'disabled',
      },
    ],
    [
      'a GPU with MIG on',
      '4, GPU-bb, NVIDIA A100-SXM4-40GB, 40960, 00000000:87:00.0, Enabled',
      {
        index: 4,
        uuid: 'GPU-bb',
        name: 'NVIDIA A100-SXM4-40GB',
        memoryMiB: 40960,
        pciBusId: '00000000:87:00.0',
        migMode: 'enabled',
      },
    ],
    [
      'a GPU without MIG support ([N/A])',
      '1, GPU-cc, NVIDIA L4, 23034, 00000000:4C:00.0, [N/A]',
      { index: 1, uuid: 'GPU-cc', name: 'NVIDIA L4', memoryMiB: 23034, pciBusId: '00000000:4C:00.0' },
    ],
    [
      'a product name holding a comma',
      '0, GPU-dd, Example GPU, Rev 2, 16384, 00000000:01:00.0, [N/A]',
      {
        index: 0,
        uuid: 'GPU-dd',
        name: 'Example GPU, Rev 2',
        memoryMiB: 16384,
        pciBusId: '00000000:01:00.0',
      },
    ],
  ])('reads %s', (_, line, gpu) => {
    expect(parseGpuQuery(`${line}\n`)).toEqual({ gpus: [gpu], problems: [] });
  });

  it.each([
    ['too few fields', '0, GPU-aa, NVIDIA L4', 'expected 6 fields, got 3'],
    ['a memory that is not a number', '0, GPU-aa, NVIDIA L4, [N/A], 00000000:01:00.0, [N/A]', 'cannot read'],
    ['an index that is not a number', 'x, GPU-aa, NVIDIA L4, 23034, 00000000:01:00.0, [N/A]', 'cannot read'],
  ])('reports a line with %s and keeps the others', (_, bad, reason) => {
    const result = parseGpuQuery(`${bad}\n1, GPU-ok, NVIDIA L4, 23034, 00000000:02:00.0, [N/A]\n`);
    expect(result.gpus.map((g) => g.uuid)).toEqual(['GPU-ok']);
    expect(result.problems).toEqual([expect.stringContaining(reason)]);
  });
});
