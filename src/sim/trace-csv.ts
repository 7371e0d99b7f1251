import { readFile } from 'node:fs/promises';

/**
 * Loaders for the Alibaba GPU trace 2023 CSV family (the "openb" node and pod lists used by
 * Weng et al., USENIX ATC'23). Parsing is a pure function over text; the file readers are a thin
 * shell around it. Any malformed or truncated row fails the whole load with an error naming the
 * file and the 1-based line, so a half-read trace never reaches the simulator.
 */

export interface TraceNode {
  readonly name: string;
  readonly cpuMilli: number;
  readonly memoryMib: number;
  readonly gpuCount: number;
  /** GPU model code (e.g. `T4`, `G2`); empty for a CPU-only node. */
  readonly model: string;
}

export interface TracePod {
  readonly name: string;
  readonly cpuMilli: number;
  readonly memoryMib: number;
  /** 0 = CPU only; 1 with gpuMilli < 1000 = a fraction of one GPU; ≥ 1 with gpuMilli 1000 = whole GPUs. */
  readonly numGpu: number;
  /** milli-GPU per requested GPU (0–1000). */
  readonly gpuMilli: number;
  /** Any-of list of GPU models; empty = any model. */
  readonly gpuSpec: readonly string[];
  readonly qos: string | null;
  readonly podPhase: string | null;
  readonly creationTime: number | null;
  readonly deletionTime: number | null;
  readonly scheduledTime: number | null;
}

export class TraceCsvError extends Error {
  constructor(
    readonly file: string,
    readonly line: number,
    readonly reason: string,
  ) {
    super(`${file}:${line}: ${reason}`);
    this.name = 'TraceCsvError';
  }
}

const NODE_COLUMNS = ['sn', 'cpu_milli', 'memory_mib', 'gpu', 'model'] as const;
const POD_REQUIRED = ['name', 'cpu_milli', 'memory_mib', 'num_gpu', 'gpu_milli'] as const;
const POD_OPTIONAL = [
  'gpu_spec',
  'qos',
  'pod_phase',
  'creation_time',
  'deletion_time',
  'scheduled_time',
] as const;

interface Row {
  readonly line: number;
  readonly fields: readonly string[];
}

/** Splits text into header + data rows; blank lines are skipped, CRLF and a BOM are tolerated. */
function splitRows(text: string, file: string): { header: string[]; rows: Row[] } {
  const lines = text.replace(/^\uFEFF/, '').split(/\r?\n/);
  const headerLine = lines[0]?.trim() ?? '';
  if (headerLine === '') throw new TraceCsvError(file, 1, 'missing header row');
  const header = headerLine.split(',').map((h) => h.trim());
  const rows: Row[] = [];
  for (let i = 1; i < lines.length; i++) {
    const raw = lines[i]!;
    if (raw.trim() === '') continue;
    if (raw.includes('"')) throw new TraceCsvError(file, i + 1, 'quoted fields are not part of this schema');
    rows.push({ line: i + 1, fields: raw.split(',') });
  }
  return { header, rows };
}

function expectColumns(header: readonly string[], expected: readonly string[], file: string): void {
  for (let i = 0; i < expected.length; i++) {
    if (header[i] !== expected[i]) {
      throw new TraceCsvError(
        file,
        1,
        `header column ${i + 1} is '${header[i] ?? ''}', expected '${expected[i]}' (schema: ${expected.join(',')})`,
      );
    }
  }
}

function nonNegativeInt(value: string, column: string, file: string, line: number): number {
  const text = value.trim();
  if (!/^\d+$/.test(text)) {
    throw new TraceCsvError(file, line, `${column} must be a non-negative integer, got '${value}'`);
  }
  return Number(text);
}

function optionalInt(value: string | undefined, column: string, file: string, line: number): number | null {
  if (value === undefined || value.trim() === '' || value.trim() === 'nan') return null;
  return nonNegativeInt(value, column, file, line);
}

function optionalText(value: string | undefined): string | null {
  if (value === undefined) return null;
  const text = value.trim();
  return text === '' || text === 'nan' ? null : text;
}

function checkWidth(row: Row, width: number, file: string): void {
  if (row.fields.length !== width) {
    throw new TraceCsvError(
      file,
      row.line,
      `expected ${width} fields, found ${row.fields.length} (truncated or malformed row)`,
    );
  }
}

export function parseNodeListCsv(text: string, file = '<nodes>'): TraceNode[] {
  const { header, rows } = splitRows(text, file);
  expectColumns(header, NODE_COLUMNS, file);
  if (header.length !== NODE_COLUMNS.length) {
    throw new TraceCsvError(
      file,
      1,
      `unexpected extra columns: ${header.slice(NODE_COLUMNS.length).join(',')}`,
    );
  }
  const seen = new Set<string>();
  return rows.map((row) => {
    checkWidth(row, NODE_COLUMNS.length, file);
    const [sn, cpu, mem, gpu, model] = row.fields as [string, string, string, string, string];
    const name = sn.trim();
    if (name === '') throw new TraceCsvError(file, row.line, 'sn must not be empty');
    if (seen.has(name)) throw new TraceCsvError(file, row.line, `duplicate node '${name}'`);
    seen.add(name);
    const gpuCount = nonNegativeInt(gpu, 'gpu', file, row.line);
    const modelName = optionalText(model) ?? '';
    if (gpuCount > 0 && modelName === '') {
      throw new TraceCsvError(file, row.line, `node '${name}' has ${gpuCount} GPUs but no model`);
    }
    return {
      name,
      cpuMilli: nonNegativeInt(cpu, 'cpu_milli', file, row.line),
      memoryMib: nonNegativeInt(mem, 'memory_mib', file, row.line),
      gpuCount,
      model: gpuCount > 0 ? modelName : '',
    };
  });
}

export function parsePodListCsv(text: string, file = '<pods>'): TracePod[] {
  const { header, rows } = splitRows(text, file);
  expectColumns(header, POD_REQUIRED, file);
  const extra = header.slice(POD_REQUIRED.length);
  expectColumns(extra, POD_OPTIONAL.slice(0, extra.length), file);
  const width = header.length;
  return rows.map((row) => {
    checkWidth(row, width, file);
    const f = row.fields;
    const name = f[0]!.trim();
    if (name === '') throw new TraceCsvError(file, row.line, 'name must not be empty');
    const numGpu = nonNegativeInt(f[3]!, 'num_gpu', file, row.line);
    const gpuMilli = nonNegativeInt(f[4]!, 'gpu_milli', file, row.line);
    if (gpuMilli > 1000) throw new TraceCsvError(file, row.line, `gpu_milli must be ≤ 1000, got ${gpuMilli}`);
    if (numGpu === 0 && gpuMilli !== 0) {
      throw new TraceCsvError(file, row.line, `gpu_milli must be 0 when num_gpu is 0, got ${gpuMilli}`);
    }
    if (numGpu > 0 && gpuMilli === 0) {
      throw new TraceCsvError(file, row.line, 'gpu_milli must be > 0 when num_gpu > 0');
    }
    if (numGpu > 1 && gpuMilli !== 1000) {
      throw new TraceCsvError(
        file,
        row.line,
        `a pod asking for ${numGpu} GPUs must ask for whole GPUs (gpu_milli 1000)`,
      );
    }
    const spec = optionalText(f[5]);
    return {
      name,
      cpuMilli: nonNegativeInt(f[1]!, 'cpu_milli', file, row.line),
      memoryMib: nonNegativeInt(f[2]!, 'memory_mib', file, row.line),
      numGpu,
      gpuMilli,
      gpuSpec: spec === null ? [] : spec.split('|').filter((m) => m !== ''),
      qos: optionalText(f[6]),
      podPhase: optionalText(f[7]),
      creationTime: optionalInt(f[8], 'creation_time', file, row.line),
      deletionTime: optionalInt(f[9], 'deletion_time', file, row.line),
      scheduledTime: optionalInt(f[10], 'scheduled_time', file, row.line),
    };
  });
}

export async function readNodeListCsv(path: string): Promise<TraceNode[]> {
  return parseNodeListCsv(await readFile(path, 'utf8'), path);
}

export async function readPodListCsv(path: string): Promise<TracePod[]> {
  return parsePodListCsv(await readFile(path, 'utf8'), path);
}
