import { describe, expect, it } from 'vitest';
import { parseGpuTelemetry } from '../../../src/hardware/discovery/gpu-telemetry.js';

describe('parseGpuTelemetry', () => {
  it.each([
    [
      'sums power and averages utilisation over the GPUs',
      '0, 100, 690.12\n1, 50, 402.50\n2, 0, 71.00\n3, 30, 120.38\n',
      { powerDrawWatts: 1284, utilization: 0.45, sampledGpus: 4 },
    ],
    [
      'leaves out the utilisation of GPUs in MIG mode ([N/A]) but keeps their power',
      '0, 80, 300.00\n1, [N/A], 95.50\n',
      { powerDrawWatts: 395.5, utilization: 0.8, sampledGpus: 1 },
    ],
    ['reports nothing when nvidia-smi has no figures', '0, [N/A], [N/A]\n', { sampledGpus: 0 }],
    ['reports nothing for an empty answer', '', { sampledGpus: 0 }],
  ])('%s', (_, csv, expected) => {
    expect(parseGpuTelemetry(csv)).toEqual(expected);
  });
});
