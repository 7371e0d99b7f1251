/**
 * The kernel's CPU list format ("0-55,112-167"), as in `/sys/devices/system/node/node*\/cpulist` and the
 * "CPU Affinity" column of `nvidia-smi topo -m`. Pure.
 */
export function parseCpuList(text: string): number[] {
  const cpus: number[] = [];
  for (const part of text.trim().split(',')) {
    if (part === '') continue;
    const match = /^(\d+)(?:-(\d+))?$/.exec(part.trim());
    if (!match) return [];
    const first = Number(match[1]);
    const last = match[2] === undefined ? first : Number(match[2]);
    for (let cpu = first; cpu <= last; cpu++) cpus.push(cpu);
  }
  return cpus;
}
