/** What `/proc/cpuinfo` says about the processors. Pure. */
export interface CpuInfo {
  /** Logical CPUs (hardware threads): what processes can be scheduled on. */
  readonly logicalCpus: number;
  /** Physical packages ("physical id"); 1 when the kernel does not say (some VMs, ARM). */
  readonly sockets: number;
  /** The x86 "model name" or, on ARM, nothing the kernel states as a name. */
  readonly model?: string;
}

export function parseCpuInfo(text: string): CpuInfo {
  let logicalCpus = 0;
  let model: string | undefined;
  const sockets = new Set<string>();
  for (const line of text.split('\n')) {
    const colon = line.indexOf(':');
    if (colon < 0) continue;
    const key = line.slice(0, colon).trim();
    const value = line.slice(colon + 1).trim();
    if (key === 'processor') logicalCpus++;
    else if (key === 'model name' && model === undefined && value !== '') model = value;
    else if (key === 'physical id') sockets.add(value);
  }
  return { logicalCpus, sockets: Math.max(1, sockets.size), ...(model !== undefined && { model }) };
}
