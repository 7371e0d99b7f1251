/**
 * Parses `nvidia-smi -L`: the MIG devices under each GPU, e.g.
 * ```
 * GPU 4: NVIDIA A100-SXM4-40GB (UUID: GPU-…)
 *   MIG 1g.5gb      Device  0: (UUID: MIG-…)
 * ```
 * Pure. Placement starts are not in this listing; the Node's layout leaves them for the catalog to assign.
 */
export interface MigDevice {
  /** Profile name without the "MIG " prefix, e.g. "1g.5gb". */
  readonly profile: string;
  readonly uuid: string;
}

const GPU_LINE = /^GPU\s+(\d+):.*\(UUID:\s*([^)\s]+)\)/;
const MIG_LINE = /^MIG\s+(\S+)\s+Device\s+\d+:\s*\(UUID:\s*([^)\s]+)\)/;

/** GPU index → its MIG devices in listing order; GPUs without MIG devices are absent. */
export function parseMigDevices(listing: string): Map<number, MigDevice[]> {
  const byGpu = new Map<number, MigDevice[]>();
  let gpu: number | undefined;
  for (const raw of listing.split('\n')) {
    const line = raw.trim();
    const gpuMatch = GPU_LINE.exec(line);
    if (gpuMatch) {
      gpu = Number(gpuMatch[1]);
      continue;
    }
    const migMatch = MIG_LINE.exec(line);
    if (migMatch && gpu !== undefined) {
      const devices = byGpu.get(gpu) ?? [];
      devices.push({ profile: migMatch[1]!, uuid: migMatch[2]! });
      byGpu.set(gpu, devices);
    }
  }
  return byGpu;
}
