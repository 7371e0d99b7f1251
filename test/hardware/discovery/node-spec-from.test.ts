import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { discoverHardware } from '../../../src/hardware/discovery/discover-hardware.js';
import { nodeSpecFrom } from '../../../src/hardware/discovery/node-spec-from.js';
import { parseObject } from '../../../src/model/parse-object.js';

const FIXTURES = join(import.meta.dirname, 'fixtures');

async function specOf(machine: string, files: Record<string, string>, nodeName?: string) {
  const hw = await discoverHardware({
    run: async (cmd, args) => {
      const key = args[0] === '-L' ? 'L' : args[0] === 'topo' ? 'topo' : 'query';
      const file = files[key];
      if (file === undefined) throw Object.assign(new Error(`spawn ${cmd} ENOENT`), { code: 'ENOENT' });
      const { readFile } = await import('node:fs/promises');
      return readFile(join(FIXTURES, machine, file), 'utf8');
    },
    procRoot: join(FIXTURES, machine, 'proc'),
    sysRoot: join(FIXTURES, machine, 'sys'),
    hostname: machine,
  });
  return nodeSpecFrom(hw, 'lab', nodeName);
}

const NVIDIA_FILES = { query: 'nvidia-smi-query.csv', L: 'nvidia-smi-L.txt', topo: 'nvidia-smi-topo.txt' };

function asNode(name: string, spec: unknown) {
  return parseObject({ apiVersion: 'strata.dev/v1alpha1', kind: 'Node', metadata: { name }, spec });
}

describe('nodeSpecFrom', () => {
  it.each([
    'dgx-h100',
    'dgx-a100-mig',
    'l4-pcie',
    'no-gpu',
  ])('declares a Node the API accepts for %s', async (machine) => {
    const spec = await specOf(machine, machine === 'no-gpu' ? {} : NVIDIA_FILES);
    const parsed = asNode(machine, spec);
    expect(parsed.ok ? [] : parsed.issues).toEqual([]);
  });

  it('names the NVLink domain after the node, so two DGX nodes never share one', async () => {
    const a = await specOf('dgx-h100', NVIDIA_FILES, 'dgx-a');
    const b = await specOf('dgx-h100', NVIDIA_FILES, 'dgx-b');
    expect(new Set(a.accelerators.map((x) => x.nvlinkDomain))).toEqual(new Set(['dgx-a-nvl0']));
    expect(new Set(b.accelerators.map((x) => x.nvlinkDomain))).toEqual(new Set(['dgx-b-nvl0']));
  });

  it('declares CPUs, NUMA nodes and memory as discovered', async () => {
    const spec = await specOf('dgx-a100-mig', NVIDIA_FILES);
    expect(spec.cpu).toEqual({ cores: 256, numaNodes: 8, model: 'AMD EPYC 7742 64-Core Processor' });
    expect(spec.memory).toBe('1056545064Ki');
  });

  it('declares the MIG layout with the device UUIDs and leaves the starts to the catalog', async () => {
    const spec = await specOf('dgx-a100-mig', NVIDIA_FILES);
    expect(spec.accelerators[7]!.mig).toEqual({
      mode: 'enabled',
      layout: [
        { profile: '3g.20gb', uuid: expect.stringMatching(/^MIG-/) },
        { profile: '2g.10gb', uuid: expect.stringMatching(/^MIG-/) },
        { profile: '1g.5gb', uuid: expect.stringMatching(/^MIG-/) },
        { profile: '1g.5gb', uuid: expect.stringMatching(/^MIG-/) },
      ],
    });
    expect(spec.accelerators[0]!.mig).toEqual({ mode: 'disabled', layout: [] });
  });

  it('names the PCIe switches the L4s share and declares no MIG on a GPU without it', async () => {
    const spec = await specOf('l4-pcie', NVIDIA_FILES);
    expect(spec.accelerators.map((a) => [a.model, a.pcieSwitch, a.nvlinkDomain, a.mig])).toEqual([
      ['L4-PCIE-24GB', 'pcie-0', undefined, undefined],
      ['L4-PCIE-24GB', 'pcie-0', undefined, undefined],
      ['L4-PCIE-24GB', 'pcie-1', undefined, undefined],
      ['L4-PCIE-24GB', 'pcie-1', undefined, undefined],
    ]);
  });

  it('leaves out a GPU the catalog does not know', async () => {
    const hw = await discoverHardware({
      run: async (_cmd, args) =>
        args[0] === 'topo'
          ? ''
          : '0, GPU-aa, NVIDIA GeForce RTX 4090, 24564, 00000000:01:00.0, [N/A]\n1, GPU-bb, NVIDIA L4, 23034, 00000000:02:00.0, [N/A]\n',
      procRoot: join(FIXTURES, 'no-gpu', 'proc'),
      sysRoot: join(FIXTURES, 'no-gpu', 'sys'),
    });
    expect(nodeSpecFrom(hw, 'lab').accelerators.map((a) => a.uuid)).toEqual(['GPU-bb']);
  });
});
