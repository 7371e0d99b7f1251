import { existsSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import {
  parseNodeListCsv,
  parsePodListCsv,
  readNodeListCsv,
  readPodListCsv,
  TraceCsvError,
} from '../../src/sim/trace-csv.js';

const NODE_HEADER = 'sn,cpu_milli,memory_mib,gpu,model';
const POD_HEADER =
  'name,cpu_milli,memory_mib,num_gpu,gpu_milli,gpu_spec,qos,pod_phase,creation_time,deletion_time,scheduled_time';
const TRACE_DIR = '../shared/traces/alibaba-gpu-2023/csv';

describe('parseNodeListCsv', () => {
  it('reads GPU nodes and CPU-only nodes (model nan or empty means no GPU model)', () => {
    const nodes = parseNodeListCsv(
      [NODE_HEADER, 'n0,64000,262144,2,P100', 'n1,32000,131072,0,nan', 'n2,32000,131072,0,'].join('\n'),
    );
    expect(nodes).toEqual([
      { name: 'n0', cpuMilli: 64000, memoryMib: 262144, gpuCount: 2, model: 'P100' },
      { name: 'n1', cpuMilli: 32000, memoryMib: 131072, gpuCount: 0, model: '' },
      { name: 'n2', cpuMilli: 32000, memoryMib: 131072, gpuCount: 0, model: '' },
    ]);
  });

  it('tolerates CRLF line ends, a BOM and blank lines', () => {
    const nodes = parseNodeListCsv(`\uFEFF${NODE_HEADER}\r\nn0,1000,1024,1,T4\r\n\r\n`);
    expect(nodes).toHaveLength(1);
    expect(nodes[0]?.model).toBe('T4');
  });

  it.each([
    ['a truncated row', 'n0,64000,262144,2', 2, /expected 5 fields, found 4/],
    ['a row with an extra field', 'n0,64000,262144,2,T4,x', 2, /expected 5 fields, found 6/],
    ['a non-numeric CPU', 'n0,lots,262144,2,T4', 2, /cpu_milli must be a non-negative integer/],
    ['a negative GPU count', 'n0,64000,262144,-1,T4', 2, /gpu must be a non-negative integer/],
    ['GPUs without a model', 'n0,64000,262144,2,nan', 2, /has 2 GPUs but no model/],
    ['a duplicate node name', 'n0,1,1,1,T4\nn0,1,1,1,T4', 3, /duplicate node 'n0'/],
  ])('rejects %s with an error naming the file and line', (_, body, line, reason) => {
    const run = () => parseNodeListCsv(`${NODE_HEADER}\n${body}`, 'nodes.csv');
    expect(run).toThrow(TraceCsvError);
    expect(run).toThrow(new RegExp(`^nodes\\.csv:${line}: `));
    expect(run).toThrow(reason);
  });

  it('rejects a header that is not the node schema, naming line 1', () => {
    expect(() => parseNodeListCsv('name,cpu,mem,gpu,model\nn0,1,1,1,T4', 'x.csv')).toThrow(
      /^x\.csv:1: header column 1/,
    );
  });
});

describe('parsePodListCsv', () => {
  it('reads every column of the full schema', () => {
    const [pod] = parsePodListCsv(`${POD_HEADER}\np0,6000,12288,1,460,,LS,Running,427061,12902960,427061`);
    expect(pod).toEqual({
      name: 'p0',
      cpuMilli: 6000,
      memoryMib: 12288,
      numGpu: 1,
      gpuMilli: 460,
      gpuSpec: [],
      qos: 'LS',
      podPhase: 'Running',
      creationTime: 427061,
      deletionTime: 12902960,
      scheduledTime: 427061,
    });
  });

  it('splits gpu_spec on | into an any-of model list', () => {
    const [pod] = parsePodListCsv(`${POD_HEADER}\np0,16000,32768,1,1000,V100M16|V100M32,LS,Running,1,2,1`);
    expect(pod?.gpuSpec).toEqual(['V100M16', 'V100M32']);
  });

  it('accepts files that omit the trailing columns after gpu_milli', () => {
    const pods = parsePodListCsv(
      'name,cpu_milli,memory_mib,num_gpu,gpu_milli\np0,1000,1024,0,0\np1,2000,2048,8,1000',
    );
    expect(pods.map((p) => [p.name, p.numGpu, p.gpuMilli, p.gpuSpec, p.creationTime])).toEqual([
      ['p0', 0, 0, [], null],
      ['p1', 8, 1000, [], null],
    ]);
  });

  it('accepts a prefix of the optional columns (gpu_spec only)', () => {
    const [pod] = parsePodListCsv('name,cpu_milli,memory_mib,num_gpu,gpu_milli,gpu_spec\np0,1,1,1,500,T4');
    expect(pod?.gpuSpec).toEqual(['T4']);
    expect(pod?.qos).toBeNull();
  });

  it.each([
    ['a row cut short', 'p0,6000,12288,1,460,,LS', 2, /expected 11 fields, found 7/],
    [
      'a fractional CPU',
      'p0,6000.5,12288,1,460,,LS,Running,1,2,1',
      2,
      /cpu_milli must be a non-negative integer/,
    ],
    ['gpu_milli above 1000', 'p0,1,1,1,1200,,LS,Running,1,2,1', 2, /gpu_milli must be ≤ 1000/],
    ['gpu_milli without GPUs', 'p0,1,1,0,500,,LS,Running,1,2,1', 2, /gpu_milli must be 0 when num_gpu is 0/],
    ['GPUs without gpu_milli', 'p0,1,1,2,0,,LS,Running,1,2,1', 2, /gpu_milli must be > 0/],
    ['a fraction of several GPUs', 'p0,1,1,2,500,,LS,Running,1,2,1', 2, /must ask for whole GPUs/],
    [
      'a bad timestamp',
      'p0,1,1,1,500,,LS,Running,soon,2,1',
      2,
      /creation_time must be a non-negative integer/,
    ],
    ['an empty name', ',1,1,1,500,,LS,Running,1,2,1', 2, /name must not be empty/],
  ])('rejects %s with an error naming the file and line', (_, body, line, reason) => {
    const text = `${POD_HEADER}\np-ok,1,1,0,0,,LS,Running,1,2,1\n${body}`;
    const run = () => parsePodListCsv(text, 'pods.csv');
    expect(run).toThrow(TraceCsvError);
    expect(run).toThrow(new RegExp(`^pods\\.csv:${line + 1}: `));
    expect(run).toThrow(reason);
  });

  it('reports the error on the line where it sits, counting skipped blank lines', () => {
    const text = `${POD_HEADER}\n\np-ok,1,1,0,0,,LS,Running,1,2,1\n\np-bad,1,1`;
    expect(() => parsePodListCsv(text, 'pods.csv')).toThrow(/^pods\.csv:5: /);
  });

  it('rejects a header missing a required column', () => {
    expect(() => parsePodListCsv('name,cpu_milli,memory_mib,num_gpu\np0,1,1,0', 'p.csv')).toThrow(
      /^p\.csv:1: header column 5 is '', expected 'gpu_milli'/,
    );
  });
});

describe.skipIf(!existsSync(TRACE_DIR))('the shared Alibaba GPU trace 2023', () => {
  it('loads the GPU node list and the default pod list whole', async () => {
    const nodes = await readNodeListCsv(`${TRACE_DIR}/openb_node_list_gpu_node.csv`);
    const pods = await readPodListCsv(`${TRACE_DIR}/openb_pod_list_default.csv`);
    expect(nodes).toHaveLength(1213);
    expect(nodes.every((n) => n.gpuCount > 0)).toBe(true);
    expect(pods).toHaveLength(8152);
  });

  it('names the path in the error when a file is malformed', async () => {
    await expect(readNodeListCsv(`${TRACE_DIR}/openb_pod_list_default.csv`)).rejects.toThrow(
      /openb_pod_list_default\.csv:1: header column 1 is 'name', expected 'sn'/,
    );
  });
});
