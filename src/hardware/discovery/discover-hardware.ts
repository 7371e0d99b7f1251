/**
 * The machine's hardware, as a node agent (or the control plane's own `local` node) reports it: CPUs and
 * NUMA nodes from /proc and /sys, memory from /proc/meminfo, GPUs, MIG devices and their topology from
 * nvidia-smi. The thin I/O shell over the pure parsers beside it; the roots and the command runner are
 * injectable so tests read recorded outputs.
 */
import { execFile } from 'node:child_process';
import { readdir, readFile } from 'node:fs/promises';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { findAcceleratorModel } from '../accelerator-models.js';
import { parseCpuInfo } from './cpu-info.js';
import { parseCpuList } from './cpu-list.js';
import { parseMemTotal } from './mem-info.js';
import { GPU_QUERY_ARGS, parseGpuQuery } from './nvidia-smi-gpus.js';
import { type MigDevice, parseMigDevices } from './nvidia-smi-mig.js';
import { gpuGroups, parseTopologyMatrix } from './nvidia-smi-topology.js';

export interface DiscoveredGpu {
  readonly index: number;
  readonly uuid: string;
  /** The name the driver reports, e.g. "NVIDIA H100 80GB HBM3". */
  readonly name: string;
  /** The catalog model id the name resolves to; absent for a GPU the catalog does not know. */
  readonly model?: string;
  readonly memoryMiB: number;
  readonly pciBusId: string;
  readonly migMode?: 'enabled' | 'disabled';
  readonly migDevices: readonly MigDevice[];
  readonly numaNode: number;
  /** Ordinal of this machine's NVLink domain holding the GPU, when it is NVLink-connected to another. */
  readonly nvlinkDomain?: number;
  /** Ordinal of the PCIe switch the GPU shares with another GPU (PIX or PXB in `topo -m`). */
  readonly pcieSwitch?: number;
}

export interface DiscoveredHardware {
  readonly hostname: string;
  readonly cpu: { readonly logicalCpus: number; readonly sockets: number; readonly model?: string };
  /** NUMA node ids with their CPUs; one node holding every CPU when the kernel exposes none. */
  readonly numaNodes: readonly { readonly id: number; readonly cpus: readonly number[] }[];
  readonly memoryBytes: number;
  readonly gpus: readonly DiscoveredGpu[];
  /** What could not be read and was left out (a broken driver, an unknown GPU model); never fatal. */
  readonly warnings: readonly string[];
}

export type CommandRunner = (cmd: string, args: string[]) => Promise<string>;

export interface DiscoveryOptions {
  readonly run?: CommandRunner;
  /** Where /proc is; tests point it at a recorded tree. */
  readonly procRoot?: string;
  readonly sysRoot?: string;
  readonly hostname?: string;
}

const NVIDIA_SMI = 'nvidia-smi';
const COMMAND_TIMEOUT_MS = 20_000;

/** Runs a command and resolves with its stdout; rejects (ENOENT when it does not exist) otherwise. */
export const runCommand: CommandRunner = (cmd, args) =>
  new Promise((resolve, reject) => {
    execFile(cmd, args, { timeout: COMMAND_TIMEOUT_MS, maxBuffer: 8 * 2 ** 20 }, (error, stdout, stderr) => {
      if (error) {
        const detail = `${stdout}${stderr}`.trim().split('\n')[0];
        reject(Object.assign(error, detail ? { message: `${error.message}: ${detail}` } : {}));
      } else resolve(stdout);
    });
  });

function isMissingCommand(error: unknown): boolean {
  return (error as NodeJS.ErrnoException | undefined)?.code === 'ENOENT';
}

export async function discoverHardware(options: DiscoveryOptions = {}): Promise<DiscoveredHardware> {
  const run = options.run ?? runCommand;
  const procRoot = options.procRoot ?? '/proc';
  const sysRoot = options.sysRoot ?? '/sys';
  const warnings: string[] = [];

  const cpu = parseCpuInfo(await readFile(join(procRoot, 'cpuinfo'), 'utf8'));
  const memoryBytes = parseMemTotal(await readFile(join(procRoot, 'meminfo'), 'utf8'));
  if (memoryBytes === undefined) throw new Error(`${join(procRoot, 'meminfo')} has no MemTotal line`);
  let numaNodes = await readNumaNodes(join(sysRoot, 'devices/system/node'));
  if (numaNodes.length === 0) {
    numaNodes = [{ id: 0, cpus: Array.from({ length: cpu.logicalCpus }, (_, i) => i) }];
  }

  const gpus = await discoverGpus(run, numaNodes, warnings);
  return {
    hostname: options.hostname ?? hostname(),
    cpu,
    numaNodes,
    memoryBytes,
    gpus,
    warnings,
  };
}

async function readNumaNodes(dir: string): Promise<{ id: number; cpus: number[] }[]> {
  let entries: string[];
  try {
    entries = await readdir(dir);
  } catch (error) {
    // Containers and some VMs have no NUMA sysfs: one node then.
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw error;
  }
  const nodes: { id: number; cpus: number[] }[] = [];
  for (const entry of entries) {
    const match = /^node(\d+)$/.exec(entry);
    if (!match) continue;
    const cpus = parseCpuList(await readFile(join(dir, entry, 'cpulist'), 'utf8'));
    // Memory-only nodes (CXL, HBM in flat mode) hold no CPUs and no PCIe devices the scheduler pins to.
    if (cpus.length > 0) nodes.push({ id: Number(match[1]), cpus });
  }
  return nodes.sort((a, b) => a.id - b.id);
}

async function discoverGpus(
  run: CommandRunner,
  numaNodes: readonly { id: number; cpus: readonly number[] }[],
  warnings: string[],
): Promise<DiscoveredGpu[]> {
  let csv: string;
  try {
    csv = await run(NVIDIA_SMI, [...GPU_QUERY_ARGS]);
  } catch (error) {
    if (!isMissingCommand(error)) {
      warnings.push(`nvidia-smi failed, so no GPUs are reported: ${(error as Error).message}`);
    }
    return [];
  }
  const query = parseGpuQuery(csv);
  warnings.push(...query.problems);
  if (query.gpus.length === 0) return [];

  const optional = async (args: string[]): Promise<string> => {
    try {
      return await run(NVIDIA_SMI, args);
    } catch (error) {
      warnings.push(`nvidia-smi ${args.join(' ')} failed: ${(error as Error).message}`);
      return '';
    }
  };
  const anyMig = query.gpus.some((gpu) => gpu.migMode === 'enabled');
  const mig = anyMig ? parseMigDevices(await optional(['-L'])) : new Map<number, MigDevice[]>();
  const topology = parseTopologyMatrix(await optional(['topo', '-m']));
  const groups = gpuGroups(topology);
  const byIndex = new Map(topology.map((row) => [row.index, row]));

  return query.gpus.map((gpu): DiscoveredGpu => {
    const model = findAcceleratorModel(gpu.name)?.id;
    if (model === undefined) {
      warnings.push(
        `GPU ${gpu.index} "${gpu.name}" is not in the accelerator catalog; it is left out of the Node`,
      );
    }
    const row = byIndex.get(gpu.index);
    const nvlinkDomain = groups.nvlink.get(gpu.index);
    const pcieSwitch = groups.pcieSwitch.get(gpu.index);
    return {
      index: gpu.index,
      uuid: gpu.uuid,
      name: gpu.name,
      ...(model !== undefined && { model }),
      memoryMiB: gpu.memoryMiB,
      pciBusId: gpu.pciBusId,
      ...(gpu.migMode !== undefined && { migMode: gpu.migMode }),
      migDevices: gpu.migMode === 'enabled' ? (mig.get(gpu.index) ?? []) : [],
      numaNode: row?.numaNode ?? numaOfCpus(row?.cpuAffinity ?? [], numaNodes),
      ...(nvlinkDomain !== undefined && { nvlinkDomain }),
      ...(pcieSwitch !== undefined && { pcieSwitch }),
    };
  });
}

/** When nvidia-smi prints no NUMA node, the node holding the GPU's first affine CPU; 0 when unknown. */
function numaOfCpus(cpus: readonly number[], numaNodes: readonly { id: number; cpus: readonly number[] }[]) {
  const first = cpus[0];
  if (first === undefined) return 0;
  return numaNodes.find((node) => node.cpus.includes(first))?.id ?? 0;
}
