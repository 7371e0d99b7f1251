/** MemTotal from `/proc/meminfo`, in bytes (the kernel writes kB meaning KiB); undefined when absent. Pure. */
export function parseMemTotal(text: string): number | undefined {
  const match = /^MemTotal:\s+(\d+)\s*kB$/m.exec(text);
  return match ? Number(match[1]) * 1024 : undefined;
}
