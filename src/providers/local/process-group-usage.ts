import { readdirSync, readFileSync } from 'node:fs';

/**
 * Resource usage of a pod's process group, read from /proc. Node gives no rusage for a child
 * (libuv reaps it before `exit` is emitted), so the runtime samples: CPU seconds are utime + stime
 * of every member plus the children each member has already waited for (cutime + cstime), and the
 * peak RSS is the largest member's high-water mark (VmHWM), as getrusage's ru_maxrss reports for
 * children. Samples are periodic, so a pod that lives shorter than one interval may report none, and
 * CPU spent after the last sample is missed. Linux only; elsewhere every read is empty.
 */
export interface GroupUsage {
  readonly cpuSeconds: number;
  readonly maxRssBytes: number;
}

/** Kernel clock ticks per second for /proc times (USER_HZ): 100 on every mainstream Linux build. */
const USER_HZ = 100;

/** One pass over /proc: the usage of each asked-for process group that has live members. */
export function sampleGroups(groups: ReadonlySet<number>): Map<number, GroupUsage> {
  const usage = new Map<number, GroupUsage>();
  if (groups.size === 0) return usage;
  let entries: string[];
  try {
    entries = readdirSync('/proc');
  } catch {
    return usage;
  }
  for (const entry of entries) {
    if (!/^\d+$/.test(entry)) continue;
    const stat = readStat(entry);
    if (stat === undefined || !groups.has(stat.pgrp)) continue;
    const hwm = readHighWaterMark(entry);
    const before = usage.get(stat.pgrp);
    usage.set(stat.pgrp, {
      cpuSeconds: (before?.cpuSeconds ?? 0) + stat.ticks / USER_HZ,
      maxRssBytes: Math.max(before?.maxRssBytes ?? 0, hwm),
    });
  }
  return usage;
}

function readStat(pid: string): { pgrp: number; ticks: number } | undefined {
  let text: string;
  try {
    text = readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return undefined;
  }
  // The command name (field 2) may hold spaces and parentheses: fields resume after the last ')'.
  const fields = text.slice(text.lastIndexOf(')') + 2).split(' ');
  // Counting from field 3 (state) at index 0: pgrp is field 5, utime..cstime are fields 14–17.
  const pgrp = Number(fields[2]);
  const ticks = Number(fields[11]) + Number(fields[12]) + Number(fields[13]) + Number(fields[14]);
  return Number.isFinite(pgrp) && Number.isFinite(ticks) ? { pgrp, ticks } : undefined;
}

function readHighWaterMark(pid: string): number {
  try {
    const match = /^VmHWM:\s*(\d+)\s*kB/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return match ? Number(match[1]) * 1024 : 0;
  } catch {
    return 0;
  }
}
