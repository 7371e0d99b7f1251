import { describe, expect, it } from 'vitest';
import { parseCpuInfo } from '../../../src/hardware/discovery/cpu-info.js';
import { parseCpuList } from '../../../src/hardware/discovery/cpu-list.js';
import { parseMemTotal } from '../../../src/hardware/discovery/mem-info.js';

describe('parseCpuList', () => {
  it.each([
    ['0-3,8-11', [0, 1, 2, 3, 8, 9, 10, 11]],
    ['5', [5]],
    ['0-1,4\n', [0, 1, 4]],
    ['', []],
    ['N/A', []],
  ])('reads %j', (text, cpus) => {
    expect(parseCpuList(text)).toEqual(cpus);
  });
});

describe('parseCpuInfo', () => {
  it('counts processors, distinct physical ids and keeps the first model name', () => {
    const entry = (p: number, socket: number) =>
      `processor\t: ${p}\nmodel name\t: Intel(R) Xeon(R) Gold 6338 CPU @ 2.00GHz\nphysical id\t: ${socket}\n`;
    expect(parseCpuInfo([entry(0, 0), entry(1, 0), entry(2, 1), entry(3, 1)].join('\n'))).toEqual({
      logicalCpus: 4,
      sockets: 2,
      model: 'Intel(R) Xeon(R) Gold 6338 CPU @ 2.00GHz',
    });
  });

  it('counts one socket and no model for an ARM cpuinfo, which has neither field', () => {
    const arm =
      'processor\t: 0\nBogoMIPS\t: 50.00\nCPU implementer\t: 0x41\n\nprocessor\t: 1\nBogoMIPS\t: 50.00\n';
    expect(parseCpuInfo(arm)).toEqual({ logicalCpus: 2, sockets: 1 });
  });
});

describe('parseMemTotal', () => {
  it('reads MemTotal in KiB as bytes', () => {
    expect(parseMemTotal('MemTotal:       65842348 kB\nMemFree:        61233383 kB\n')).toBe(65842348 * 1024);
  });

  it('returns undefined when MemTotal is missing', () => {
    expect(parseMemTotal('MemFree:        1 kB\n')).toBeUndefined();
  });
});
