/**
 * Parses `nvidia-smi --query-gpu=index,uuid,name,memory.total,pci.bus_id,mig.mode.current
 * --format=csv,noheader,nounits`: one GPU a line, e.g.
 * `0, GPU-8e1c…, NVIDIA H100 80GB HBM3, 81559, 00000000:1B:00.0, Disabled`. Pure.
 */
export const GPU_QUERY_ARGS: readonly string[] = [
  '--query-gpu=index,uuid,name,memory.total,pci.bus_id,mig.mode.current',
  '--format=csv,noheader,nounits',
];

export interface GpuQueryRow {
  readonly index: number;
  readonly uuid: string;
  /** The product name as the driver reports it, e.g. "NVIDIA H100 80GB HBM3". */
  readonly name: string;
  /** Framebuffer size in MiB (nounits). */
  readonly memoryMiB: number;
  readonly pciBusId: string;
  /** Absent on GPUs without MIG support, where nvidia-smi prints "[N/A]". */
  readonly migMode?: 'enabled' | 'disabled';
}

export interface GpuQueryResult {
  readonly gpus: readonly GpuQueryRow[];
  /** Lines that did not parse, each with the reason; the GPUs that did parse still count. */
  readonly problems: readonly string[];
}

export function parseGpuQuery(csv: string): GpuQueryResult {
  const gpus: GpuQueryRow[] = [];
  const problems: string[] = [];
  for (const raw of csv.split('\n')) {
    const line = raw.trim();
    if (line === '') continue;
    const parts = line.split(',').map((part) => part.trim());
    if (parts.length < 6) {
      problems.push(`nvidia-smi --query-gpu: expected 6 fields, got ${parts.length} in "${line}"`);
      continue;
    }
    // A product name could hold a comma; every other field cannot, so the name is whatever lies between.
    const [index, uuid] = parts;
    const [memory, pciBusId, mig] = parts.slice(-3);
    const name = parts.slice(2, -3).join(', ');
    const memoryMiB = Number(memory);
    if (!/^\d+$/.test(index!) || !Number.isFinite(memoryMiB) || uuid === '' || name === '') {
      problems.push(`nvidia-smi --query-gpu: cannot read index, uuid, name and memory from "${line}"`);
      continue;
    }
    const migMode = mig === 'Enabled' ? 'enabled' : mig === 'Disabled' ? 'disabled' : undefined;
    gpus.push({
      index: Number(index),
      uuid: uuid!,
      name,
      memoryMiB,
      pciBusId: pciBusId!,
      ...(migMode !== undefined && { migMode }),
    });
  }
  return { gpus, problems };
}
