/**
 * Discovery over recorded machines (see fixtures/README.md): /proc and /sys trees read from disk, and a
 * command runner that answers nvidia-smi with the recorded stdout. The runner is the boundary we cannot
 * reach here (no GPU machine in the test environment); everything above it is the real code.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { type CommandRunner, discoverHardware } from '../../../src/hardware/discovery/discover-hardware.js';

const FIXTURES = join(import.meta.dirname, 'fixtures');

/** Answers nvidia-smi from a machine's recorded files; a machine without them has no nvidia-smi. */
function recordedNvidiaSmi(machine: string, calls: string[][] = []): CommandRunner {
  const dir = join(FIXTURES, machine);
  return async (cmd, args) => {
    calls.push([cmd, ...args]);
    const file =
      args[0] === '-L'
        ? 'nvidia-smi-L.txt'
        : args[0] === 'topo'
          ? 'nvidia-smi-topo.txt'
          : 'nvidia-smi-query.csv';
    try {
      return await readFile(join(dir, file), 'utf8');
    } catch {
      throw Object.assign(new Error(`spawn ${cmd} ENOENT`), { code: 'ENOENT' });
    }
  };
}

function discover(machine: string, calls?: string[][]) {
  return discoverHardware({
    run: recordedNvidiaSmi(machine, calls),
    procRoot: join(FIXTURES, machine, 'proc'),
    sysRoot: join(FIXTURES, machine, 'sys'),
    hostname: machine,
  });
}

describe('discoverHardware on a DGX H100', () => {
  it('counts 224 logical CPUs on 2 sockets and 2 NUMA nodes, and 2 TB of memory', async () => {
    const hw = await discover('dgx-h100');
    expect(hw.cpu).toEqual({ logicalCpus: 224, sockets: 2, model: 'Intel(R) Xeon(R) Platinum 8480C' });
    expect(hw.numaNodes.map((n) => [n.id, n.cpus.length])).toEqual([
      [0, 112],
      [1, 112],
    ]);
    expect(hw.memoryBytes).toBe(2113466352 * 1024);
  });

  it('finds 8 H100 SXM GPUs in one NVLink domain, four on each NUMA node', async () => {
    const hw = await discover('dgx-h100');
    expect(hw.gpus).toHaveLength(8);
    expect(new Set(hw.gpus.map((g) => g.model))).toEqual(new Set(['H100-SXM-80GB']));
    expect(hw.gpus.map((g) => g.nvlinkDomain)).toEqual([0, 0, 0, 0, 0, 0, 0, 0]);
    expect(hw.gpus.map((g) => g.numaNode)).toEqual([0, 0, 0, 0, 1, 1, 1, 1]);
    expect(hw.gpus[4]).toMatchObject({ memoryMiB: 81559, pciBusId: '00000000:9D:00.0', migMode: 'disabled' });
    expect(hw.warnings).toEqual([]);
  });

  it('does not list MIG devices when no GPU has MIG enabled', async () => {
    const calls: string[][] = [];
    const hw = await discover('dgx-h100', calls);
    expect(calls.map((c) => c[1])).not.toContain('-L');
    expect(hw.gpus.every((g) => g.migDevices.length === 0)).toBe(true);
  });
});

describe('discoverHardware on a DGX A100 with MIG on half its GPUs', () => {
  it('attaches each GPU its own MIG devices, in listing order', async () => {
    const hw = await discover('dgx-a100-mig');
    expect(hw.gpus.map((g) => [g.index, g.migMode, g.migDevices.map((d) => d.profile)])).toEqual([
      [0, 'disabled', []],
      [1, 'disabled', []],
      [2, 'disabled', []],
      [3, 'disabled', []],
      [4, 'enabled', Array(7).fill('1g.5gb')],
      [5, 'enabled', ['2g.10gb', '2g.10gb', '2g.10gb']],
      [6, 'enabled', ['3g.20gb', '3g.20gb']],
      [7, 'enabled', ['3g.20gb', '2g.10gb', '1g.5gb', '1g.5gb']],
    ]);
    expect(hw.gpus[7]!.migDevices[0]!.uuid).toMatch(/^MIG-[0-9a-f-]{36}$/);
  });

  it('places the GPUs on the NUMA nodes of an NPS4 EPYC pair (3, 1, 7, 5) among 8', async () => {
    const hw = await discover('dgx-a100-mig');
    expect(hw.numaNodes.map((n) => n.id)).toEqual([0, 1, 2, 3, 4, 5, 6, 7]);
    expect(hw.gpus.map((g) => g.numaNode)).toEqual([3, 3, 1, 1, 7, 7, 5, 5]);
    expect(hw.gpus.every((g) => g.model === 'A100-SXM-40GB' && g.nvlinkDomain === 0)).toBe(true);
  });
});

describe('discoverHardware on a PCIe L4 box', () => {
  it('pairs the GPUs that share a PCIe switch and gives them no NVLink domain', async () => {
    const hw = await discover('l4-pcie');
    expect(hw.gpus.map((g) => [g.model, g.pcieSwitch, g.nvlinkDomain, g.numaNode])).toEqual([
      ['L4-PCIE-24GB', 0, undefined, 0],
      ['L4-PCIE-24GB', 0, undefined, 0],
      ['L4-PCIE-24GB', 1, undefined, 1],
      ['L4-PCIE-24GB', 1, undefined, 1],
    ]);
    expect(hw.gpus.every((g) => g.migMode === undefined)).toBe(true);
  });
});

describe('discoverHardware without nvidia-smi', () => {
  it('reports no GPUs and no warning when the command does not exist', async () => {
    const hw = await discover('no-gpu');
    expect(hw.gpus).toEqual([]);
    expect(hw.warnings).toEqual([]);
    expect(hw.cpu.logicalCpus).toBe(16);
    expect(hw.numaNodes).toEqual([{ id: 0, cpus: Array.from({ length: 16 }, (_, i) => i) }]);
  });

  it('reports no GPUs and a warning naming the failure when nvidia-smi cannot reach the driver', async () => {
    const hw = await discoverHardware({
      run: async () => {
        throw new Error(
          "Command failed: NVIDIA-SMI has failed because it couldn't communicate with the NVIDIA driver.",
        );
      },
      procRoot: join(FIXTURES, 'no-gpu', 'proc'),
      sysRoot: join(FIXTURES, 'no-gpu', 'sys'),
    });
    expect(hw.gpus).toEqual([]);
    expect(hw.warnings).toEqual([expect.stringContaining("couldn't communicate with the NVIDIA driver")]);
  });

  it('counts one NUMA node holding every CPU when the kernel exposes no NUMA sysfs', async () => {
    const hw = await discoverHardware({
      run: recordedNvidiaSmi('no-gpu'),
      procRoot: join(FIXTURES, 'no-gpu', 'proc'),
      sysRoot: join(FIXTURES, 'does-not-exist'),
    });
    expect(hw.numaNodes).toEqual([{ id: 0, cpus: Array.from({ length: 16 }, (_, i) => i) }]);
  });
});

describe('discoverHardware with a GPU the catalog does not know', () => {
  it('keeps it in the discovery, without a model, and warns that the Node will leave it out', async () => {
    const hw = await discoverHardware({
      run: async (_cmd, args) =>
        args[0] === 'topo'
          ? ''
          : '0, GPU-4f1c2d3e-0000-1111-2222-333344445555, NVIDIA GeForce RTX 4090, 24564, 00000000:01:00.0, [N/A]\n',
      procRoot: join(FIXTURES, 'no-gpu', 'proc'),
      sysRoot: join(FIXTURES, 'no-gpu', 'sys'),
    });
    expect(hw.gpus).toEqual([expect.objectContaining({ name: 'NVIDIA GeForce RTX 4090' })]);
    expect(hw.gpus[0]).not.toHaveProperty('model');
    expect(hw.warnings).toEqual([
      expect.stringContaining('"NVIDIA GeForce RTX 4090" is not in the accelerator catalog'),
    ]);
  });
});
