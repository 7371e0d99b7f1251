/**
 * What a node agent reports about its GPUs at each heartbeat: board power, utilisation and memory
 * in use, from `nvidia-smi --query-gpu=index,utilization.gpu,power.draw,memory.used
 * --format=csv,noheader,nounits` (e.g. `3, 87, 612.40, 40210`: percent, watts, MiB). Pure.
 * nvidia-smi prints "[N/A]" where it has no figure (utilisation of a GPU in MIG mode, power on
 * some boards); those GPUs are left out of that figure.
 */
export const GPU_TELEMETRY_ARGS: readonly string[] = [
  '--query-gpu=index,utilization.gpu,power.draw,memory.used',
  '--format=csv,noheader,nounits',
];

const MIB = 1024 * 1024;

/** One GPU's figures, as Node `status.accelerators[]` carries them. */
export interface GpuSample {
  readonly index: number;
  /** 0–1. */
  readonly utilization: number;
  readonly memoryUsedBytes?: number;
}

export interface GpuTelemetry {
  /** Sum of the boards' power draw; absent when no GPU reported one. */
  readonly powerDrawWatts?: number;
  /** Mean utilisation (0–1) over the GPUs that reported one; absent when none did. */
  readonly utilization?: number;
  /** GPUs that reported a utilisation. */
  readonly sampledGpus: number;
  /** Per GPU that reported a utilisation, in nvidia-smi's order. */
  readonly gpus: readonly GpuSample[];
}

export function parseGpuTelemetry(csv: string): GpuTelemetry {
  let power = 0;
  let powered = 0;
  let utilization = 0;
  let sampled = 0;
  const gpus: GpuSample[] = [];
  for (const line of csv.split('\n')) {
    const [index, util, draw, memory] = line.split(',').map((part) => part.trim());
    if (index === undefined || !/^\d+$/.test(index)) continue;
    const u = Number(util);
    if (util !== undefined && util !== '' && Number.isFinite(u)) {
      utilization += u / 100;
      sampled++;
      const mib = Number(memory);
      gpus.push({
        index: Number(index),
        utilization: Math.min(1, Math.max(0, u / 100)),
        ...(memory !== undefined && memory !== '' && Number.isFinite(mib) && { memoryUsedBytes: mib * MIB }),
      });
    }
    const w = Number(draw);
    if (draw !== undefined && draw !== '' && Number.isFinite(w)) {
      power += w;
      powered++;
    }
  }
  return {
    ...(powered > 0 && { powerDrawWatts: Math.round(power * 10) / 10 }),
    ...(sampled > 0 && { utilization: Math.round((utilization / sampled) * 1000) / 1000 }),
    sampledGpus: sampled,
    gpus,
  };
}
