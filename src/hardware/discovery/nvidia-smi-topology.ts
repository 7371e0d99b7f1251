/**
 * Parses the matrix of `nvidia-smi topo -m` and derives the GPU groups a scheduler cares about. Pure.
 *
 * The matrix is tab-separated (copies pasted into documents are often re-spaced, so runs of two or more
 * spaces separate cells too). The header names the device columns (GPU0…, NIC0… or mlx5_0…), then
 * "CPU Affinity", "NUMA Affinity" and, since driver 525 or so, "GPU NUMA ID"; each GPU row gives its link
 * to every device, its CPU list and its NUMA node. Link codes (the legend nvidia-smi prints under it):
 * X self, NV# a bonded set of # NVLinks, PIX at most one PCIe bridge (one switch), PXB several PCIe
 * bridges without the host bridge (switches below one root port), PHB through a host bridge, NODE across
 * host bridges within a NUMA node, SYS across the inter-socket link.
 */
import { parseCpuList } from './cpu-list.js';

export interface GpuTopologyRow {
  readonly index: number;
  /** Link code to each other GPU by index, e.g. 3 → "NV18". */
  readonly links: ReadonlyMap<number, string>;
  readonly cpuAffinity: readonly number[];
  /** The "NUMA Affinity" column; absent when nvidia-smi prints N/A (single-node machines, some VMs). */
  readonly numaNode?: number;
}

/** The GPU groups of one machine: which GPUs share an NVLink fabric and which a PCIe switch. */
export interface GpuGroups {
  /** GPU index → NVLink domain ordinal (0, 1, …), for GPUs NVLink-connected to at least one other. */
  readonly nvlink: ReadonlyMap<number, number>;
  /** GPU index → PCIe switch ordinal, for GPUs that share a switch (PIX or PXB) with at least one other. */
  readonly pcieSwitch: ReadonlyMap<number, number>;
}

// biome-ignore lint/suspicious/noControlCharactersInRegex: nvidia-smi underlines the header on a terminal.
const ANSI = /\x1b\[[0-9;]*m/g;

function cells(line: string): string[] {
  const clean = line.replace(ANSI, '');
  return (clean.includes('\t') ? clean.split('\t') : clean.trim().split(/ {2,}/)).map((cell) => cell.trim());
}

export function parseTopologyMatrix(text: string): GpuTopologyRow[] {
  const lines = text.split('\n');
  const headerAt = lines.findIndex((line) => /\bGPU0\b/.test(line) && line.includes('CPU Affinity'));
  if (headerAt < 0) return [];
  const header = cells(lines[headerAt]!).filter((cell) => cell !== '');
  const affinityAt = header.indexOf('CPU Affinity');
  const devices = header.slice(0, affinityAt);
  const rows: GpuTopologyRow[] = [];
  for (const line of lines.slice(headerAt + 1)) {
    const row = cells(line);
    // Rows start at the first column; a leading empty cell would be a re-indented copy.
    while (row[0] === '') row.shift();
    const label = /^GPU(\d+)$/.exec(row[0] ?? '');
    if (!label) {
      if (row[0] === 'Legend:') break;
      continue;
    }
    const values = row.slice(1);
    const links = new Map<number, string>();
    devices.forEach((device, column) => {
      const peer = /^GPU(\d+)$/.exec(device);
      const code = values[column];
      if (peer && code !== undefined && code !== 'X') links.set(Number(peer[1]), code);
    });
    const numa = values[devices.length + 1];
    rows.push({
      index: Number(label[1]),
      links,
      cpuAffinity: parseCpuList(values[devices.length] ?? ''),
      ...(numa !== undefined && /^\d+$/.test(numa) && { numaNode: Number(numa) }),
    });
  }
  return rows;
}

/** Connected components over the links that `joins` accepts, numbered by their lowest GPU index. */
function components(rows: readonly GpuTopologyRow[], joins: (code: string) => boolean): Map<number, number> {
  const parent = new Map<number, number>(rows.map((row) => [row.index, row.index]));
  const find = (gpu: number): number => {
    let root = gpu;
    while (parent.get(root) !== root) root = parent.get(root)!;
    parent.set(gpu, root);
    return root;
  };
  const joined = new Set<number>();
  for (const row of rows) {
    for (const [peer, code] of row.links) {
      if (!joins(code) || !parent.has(peer)) continue;
      joined.add(row.index).add(peer);
      const [a, b] = [find(row.index), find(peer)];
      if (a !== b) parent.set(Math.max(a, b), Math.min(a, b));
    }
  }
  const ordinals = new Map<number, number>();
  const groups = new Map<number, number>();
  for (const gpu of [...joined].sort((a, b) => a - b)) {
    const root = find(gpu);
    if (!ordinals.has(root)) ordinals.set(root, ordinals.size);
    groups.set(gpu, ordinals.get(root)!);
  }
  return groups;
}

export function gpuGroups(rows: readonly GpuTopologyRow[]): GpuGroups {
  return {
    nvlink: components(rows, (code) => /^NV\d+$/.test(code)),
    pcieSwitch: components(rows, (code) => code === 'PIX' || code === 'PXB'),
  };
}
