import { readFileSync } from 'node:fs';

/**
 * Which CPUs a local pod is pinned to. The pool is the CPUs this process may run on
 * (`Cpus_allowed_list`, so a container's cgroup cpuset is respected: `taskset` would refuse a CPU
 * outside it), grouped by NUMA node when /sys says which CPU sits where. Pure bookkeeping; the
 * runtime reads the machine once and asks `take` per pod.
 */
export class CpuPool {
  readonly #free: Set<number>;
  readonly #numaOf: ReadonlyMap<number, number>;
  readonly #held = new Map<string, readonly number[]>();

  constructor(cpus: readonly number[], numaOf: ReadonlyMap<number, number> = new Map()) {
    this.#free = new Set(cpus);
    this.#numaOf = numaOf;
  }

  /**
   * Books `count` free CPUs for `owner`, from `numa` when it has enough free ones, else lowest
   * numbers first; undefined (nothing booked) when fewer than `count` are free.
   */
  take(owner: string, count: number, numa?: number): readonly number[] | undefined {
    if (count <= 0 || this.#free.size < count) return undefined;
    const free = [...this.#free].sort((a, b) => a - b);
    const local = numa === undefined ? [] : free.filter((cpu) => this.#numaOf.get(cpu) === numa);
    const chosen = (local.length >= count ? local : free).slice(0, count);
    for (const cpu of chosen) this.#free.delete(cpu);
    this.#held.set(owner, chosen);
    return chosen;
  }

  release(owner: string): void {
    for (const cpu of this.#held.get(owner) ?? []) this.#free.add(cpu);
    this.#held.delete(owner);
  }
}

/** "0-3,8,10-11" → [0,1,2,3,8,10,11]: the kernel's cpulist format. */
export function parseCpuList(text: string): number[] {
  const cpus: number[] = [];
  for (const part of text.trim().split(',')) {
    if (part === '') continue;
    const [from, to] = part.split('-').map(Number);
    if (from === undefined || !Number.isInteger(from)) continue;
    const last = to === undefined ? from : to;
    if (!Number.isInteger(last)) continue;
    for (let cpu = from; cpu <= last; cpu++) cpus.push(cpu);
  }
  return cpus;
}

/** The CPUs this process may run on, with their NUMA nodes; undefined off Linux. */
export function readCpuTopology(): { cpus: number[]; numaOf: Map<number, number> } | undefined {
  let allowed: number[];
  try {
    const status = readFileSync('/proc/self/status', 'utf8');
    const line = /^Cpus_allowed_list:\s*(.+)$/m.exec(status);
    if (!line) return undefined;
    allowed = parseCpuList(line[1]!);
  } catch {
    return undefined;
  }
  const numaOf = new Map<number, number>();
  for (let node = 0; node < 1024; node++) {
    let list: string;
    try {
      list = readFileSync(`/sys/devices/system/node/node${node}/cpulist`, 'utf8');
    } catch {
      break;
    }
    for (const cpu of parseCpuList(list)) numaOf.set(cpu, node);
  }
  return { cpus: allowed, numaOf };
}
