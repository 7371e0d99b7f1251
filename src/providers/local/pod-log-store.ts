import { createWriteStream, mkdirSync, type WriteStream } from 'node:fs';
import { appendFile, mkdir, open, readdir } from 'node:fs/promises';
import { join } from 'node:path';

/** Which pod's output: one file per pod per admission attempt. */
export interface PodLogAddress {
  readonly project?: string;
  readonly workload: string;
  /** The admission the pod ran under (`status.admission.admittedAt`). */
  readonly attempt: string;
  readonly pod: string;
}

/** Where a runtime writes its pods' stdout and stderr. */
export interface PodLogSink {
  /** An appending stream for the pod's output; the caller ends it. */
  open(address: PodLogAddress): WriteStream;
}

/** Project, workload and pod names are object names; this also refuses anything that could walk a path. */
const SAFE_NAME = /^[A-Za-z0-9]([A-Za-z0-9._-]{0,252})$/;

/** Thrown for a name that cannot be a file name under the log root; the API maps it to a 400. */
export class BadLogNameError extends Error {
  override readonly name = 'BadLogNameError';
  constructor(
    readonly field: string,
    value: string,
  ) {
    super(`"${value.slice(0, 80)}" is not a valid ${field} name`);
  }
}

/**
 * Pod logs as files: `<root>/<project|_>/<workload>/<attempt>/<pod>.log`, the attempt's ISO time with
 * its colons made file-safe (the encoding keeps the order, so the greatest directory is the latest
 * attempt). The local runtime writes through `open`; node agents ship chunks that land via `append`.
 */
export class PodLogStore implements PodLogSink {
  constructor(readonly root: string) {}

  open(address: PodLogAddress): WriteStream {
    const file = this.file(address);
    mkdirSync(join(file, '..'), { recursive: true });
    return createWriteStream(file, { flags: 'a' });
  }

  async append(address: PodLogAddress, chunk: string | Buffer): Promise<void> {
    const file = this.file(address);
    await mkdir(join(file, '..'), { recursive: true });
    await appendFile(file, chunk);
  }

  /** The attempts that have logs, oldest first. */
  async attempts(workload: { project?: string; workload: string }): Promise<string[]> {
    const names = await readdir(this.#workloadDir(workload)).catch(() => [] as string[]);
    return names.sort().map(attemptOf);
  }

  /** The pods with a log in one attempt, sorted. */
  async pods(address: Omit<PodLogAddress, 'pod'>): Promise<string[]> {
    const dir = join(this.#workloadDir(address), safeAttempt(address.attempt));
    const names = await readdir(dir).catch(() => [] as string[]);
    return names
      .filter((n) => n.endsWith('.log'))
      .map((n) => n.slice(0, -4))
      .sort();
  }

  /** The bytes of a pod's log from `offset` on (empty when there is no log yet). */
  async read(address: PodLogAddress, offset = 0): Promise<Buffer> {
    const handle = await open(this.file(address), 'r').catch(() => undefined);
    if (handle === undefined) return Buffer.alloc(0);
    try {
      const { size } = await handle.stat();
      if (size <= offset) return Buffer.alloc(0);
      const buffer = Buffer.alloc(size - offset);
      const { bytesRead } = await handle.read(buffer, 0, buffer.length, offset);
      return buffer.subarray(0, bytesRead);
    } finally {
      await handle.close();
    }
  }

  file(address: PodLogAddress): string {
    checkName('pod', address.pod);
    return join(this.#workloadDir(address), safeAttempt(address.attempt), `${address.pod}.log`);
  }

  #workloadDir(address: { project?: string; workload: string }): string {
    if (address.project !== undefined) checkName('project', address.project);
    checkName('workload', address.workload);
    return join(this.root, address.project ?? '_', address.workload);
  }
}

function checkName(field: string, value: string): void {
  if (!SAFE_NAME.test(value)) throw new BadLogNameError(field, value);
}

/** ISO times hold colons (not allowed in Windows file names); anything else odd is refused. */
function safeAttempt(attempt: string): string {
  const safe = attempt.replaceAll(':', '_');
  if (!SAFE_NAME.test(safe)) throw new BadLogNameError('attempt', attempt);
  return safe;
}

function attemptOf(directory: string): string {
  return directory.replaceAll('_', ':');
}
