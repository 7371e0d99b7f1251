import { describe, expect, it } from 'vitest';
import { gpuGroups, parseTopologyMatrix } from '../../../src/hardware/discovery/nvidia-smi-topology.js';

const tabs = (rows: string[]) => rows.map((row) => row.replaceAll('|', '\t')).join('\n');

describe('parseTopologyMatrix', () => {
  it('reads links, CPU affinity and the NUMA node of each GPU row, ignoring NIC rows and the legend', () => {
    const rows = parseTopologyMatrix(
      tabs([
        '|GPU0|GPU1|NIC0|CPU Affinity|NUMA Affinity|GPU NUMA ID',
        'GPU0| X |NV4|PXB|0-3,8-11|0||N/A',
        'GPU1|NV4| X |SYS|4-7,12-15|1||N/A',
        'NIC0|PXB|SYS| X ||||',
        '',
        'Legend:',
        '  PIX  = Connection traversing at most a single PCIe bridge',
      ]),
    );
    expect(rows).toEqual([
      { index: 0, links: new Map([[1, 'NV4']]), cpuAffinity: [0, 1, 2, 3, 8, 9, 10, 11], numaNode: 0 },
      { index: 1, links: new Map([[0, 'NV4']]), cpuAffinity: [4, 5, 6, 7, 12, 13, 14, 15], numaNode: 1 },
    ]);
  });

  it('reads a copy whose tabs became runs of spaces', () => {
    const rows = parseTopologyMatrix(
      [
        '        GPU0    GPU1    CPU Affinity    NUMA Affinity',
        'GPU0     X      PIX     0-15            0',
        'GPU1    PIX      X      0-15            0',
      ].join('\n'),
    );
    expect(rows.map((r) => [r.index, r.links.get(r.index === 0 ? 1 : 0), r.numaNode])).toEqual([
      [0, 'PIX', 0],
      [1, 'PIX', 0],
    ]);
  });

  it('leaves the NUMA node out when nvidia-smi prints N/A', () => {
    const [row] = parseTopologyMatrix(
      tabs(['|GPU0|CPU Affinity|NUMA Affinity|GPU NUMA ID', 'GPU0| X |0-7|N/A||N/A']),
    );
    expect(row).toEqual({ index: 0, links: new Map(), cpuAffinity: [0, 1, 2, 3, 4, 5, 6, 7] });
  });

  it('strips the terminal underline nvidia-smi puts on the header', () => {
    const rows = parseTopologyMatrix(
      tabs([
        '\u001b[4m|GPU0|GPU1|CPU Affinity|NUMA Affinity\u001b[0m',
        'GPU0| X |NV18|0-1|0',
        'GPU1|NV18| X |0-1|0',
      ]),
    );
    expect(rows).toHaveLength(2);
  });

  it.each([
    ['empty output', ''],
    ['an error message', "NVIDIA-SMI has failed because it couldn't communicate with the NVIDIA driver."],
  ])('returns no rows for %s', (_, text) => {
    expect(parseTopologyMatrix(text)).toEqual([]);
  });
});

describe('gpuGroups', () => {
  const matrix = (codes: string[][]) =>
    parseTopologyMatrix(
      tabs([
        `|${codes.map((_, i) => `GPU${i}`).join('|')}|CPU Affinity|NUMA Affinity`,
        ...codes.map((row, i) => `GPU${i}|${row.join('|')}|0-1|0`),
      ]),
    );

  it.each([
    {
      rule: 'NVLink bridges in pairs make two NVLink domains',
      codes: [
        [' X ', 'NV4', 'SYS', 'SYS'],
        ['NV4', ' X ', 'SYS', 'SYS'],
        ['SYS', 'SYS', ' X ', 'NV4'],
        ['SYS', 'SYS', 'NV4', ' X '],
      ],
      nvlink: [0, 0, 1, 1],
      pcie: [undefined, undefined, undefined, undefined],
    },
    {
      rule: 'PIX and PXB both mean a shared switch; PHB, NODE and SYS do not',
      codes: [
        [' X ', 'PIX', 'PHB', 'SYS'],
        ['PIX', ' X ', 'NODE', 'SYS'],
        ['PHB', 'NODE', ' X ', 'PXB'],
        ['SYS', 'SYS', 'PXB', ' X '],
      ],
      nvlink: [undefined, undefined, undefined, undefined],
      pcie: [0, 0, 1, 1],
    },
    {
      rule: 'a GPU linked to none stays outside every group',
      codes: [
        [' X ', 'NV12', 'SYS'],
        ['NV12', ' X ', 'SYS'],
        ['SYS', 'SYS', ' X '],
      ],
      nvlink: [0, 0, undefined],
      pcie: [undefined, undefined, undefined],
    },
    {
      rule: 'a domain is transitive: a chain of links is one domain',
      codes: [
        [' X ', 'NV2', 'SYS'],
        ['NV2', ' X ', 'NV2'],
        ['SYS', 'NV2', ' X '],
      ],
      nvlink: [0, 0, 0],
      pcie: [undefined, undefined, undefined],
    },
  ])('$rule', ({ codes, nvlink, pcie }) => {
    const groups = gpuGroups(matrix(codes));
    expect(codes.map((_, i) => groups.nvlink.get(i))).toEqual(nvlink);
    expect(codes.map((_, i) => groups.pcieSwitch.get(i))).toEqual(pcie);
  });
});
