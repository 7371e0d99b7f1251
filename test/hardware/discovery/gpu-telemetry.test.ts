import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseGpuTelemetry } from '../../../src/hardware/discovery/gpu-telemetry.js';

const FIXTURES = join(import.meta.dirname, 'fixtures');

describe('parseGpuTelemetry', () => {
  it.each([
    [
      'sums power and averages utilisation over the GPUs',
      '0, 100, 690.12\n1, 50, 402.50\n2, 0, 71.00\n3, 30, 120.38\n',
      {
        powerDrawWatts: 1284,
        utilization: 0.45,
        sampledGpus: 4,
        gpus: [
          { index: 0, utilization: 1 },
          { index: 1, utilization: 0.5 },
          { index: 2, utilization: 0 },
          { index: 3, utilization: 0.3 },
        ],
      },
    ],
    [
      'leaves out the utilisation of GPUs in MIG mode ([N/A]) but keeps their power',
      '0, 80, 300.00, 1024\n1, [N/A], 95.50, 2048\n',
      {
        powerDrawWatts: 395.5,
        utilization: 0.8,
        sampledGpus: 1,
        gpus: [{ index: 0, utilization: 0.8, memoryUsedBytes: 1024 * 2 ** 20 }],
      },
    ],
    [
      'reports nothing when nvidia-smi has no figures',
      '0, [N/A], [N/A], [N/A]\n',
      { sampledGpus: 0, gpus: [] },
    ],
    ['reports nothing for an empty answer', '', { sampledGpus: 0, gpus: [] }],
  ])('%s', (_, csv, expected) => {
    expect(parseGpuTelemetry(csv)).toEqual(expected);
  });

  it('reads per GPU the utilisation and memory of the recorded-format DGX H100 answer', async () => {
    const csv = await readFile(join(FIXTURES, 'dgx-h100', 'nvidia-smi-telemetry.csv'), 'utf8');
    const parsed = parseGpuTelemetry(csv);
    expect(parsed.gpus).toHaveLength(8);
    expect(parsed.gpus[0]).toEqual({ index: 0, utilization: 0.97, memoryUsedBytes: 71_234 * 2 ** 20 });
    expect(parsed.gpus[7]).toEqual({ index: 7, utilization: 0, memoryUsedBytes: 0 });
  });
});
