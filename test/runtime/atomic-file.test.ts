import { mkdtemp, readdir, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { writeFileAtomic } from '../../src/runtime/atomic-file.js';

describe('writeFileAtomic', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'strata-atomic-'));
  });
  afterEach(() => rm(dir, { recursive: true, force: true }));

  it('replaces the contents whole and leaves no temporary file behind', async () => {
    const path = join(dir, 'context.json');
    await writeFileAtomic(path, 'old');
    await writeFileAtomic(path, 'new');
    expect(await readFile(path, 'utf8')).toBe('new');
    expect(await readdir(dir)).toEqual(['context.json']);
  });

  it('gives the file exactly the mode asked for, whatever the umask', async () => {
    const path = join(dir, 'admin-token');
    const previous = process.umask(0o000);
    try {
      await writeFileAtomic(path, 'secret', 0o600);
    } finally {
      process.umask(previous);
    }
    expect((await stat(path)).mode & 0o777).toBe(0o600);
  });

  it('leaves the old file and no temporary one when the write fails', async () => {
    const path = join(dir, 'missing-dir', 'file');
    await expect(writeFileAtomic(path, 'x')).rejects.toThrow();
    expect(await readdir(dir)).toEqual([]);
  });
});
