import { randomBytes } from 'node:crypto';
import { chmod, open, rename, rm } from 'node:fs/promises';

/**
 * Writes a file so that a reader (or the next start after a kill) sees the
 * old contents or the new, never a torn mix: write a temporary sibling,
 * fsync it, rename it over the target.
 */
export async function writeFileAtomic(path: string, contents: string, mode = 0o644): Promise<void> {
  const temporary = `${path}.${randomBytes(4).toString('hex')}.tmp`;
  try {
    const handle = await open(temporary, 'w', mode);
    try {
      await handle.writeFile(contents);
      await handle.sync();
    } finally {
      await handle.close();
    }
    // The mode given to open() is masked by the umask; secrets must end up exactly as asked.
    await chmod(temporary, mode);
    await rename(temporary, path);
  } catch (error) {
    await rm(temporary, { force: true });
    throw error;
  }
}
