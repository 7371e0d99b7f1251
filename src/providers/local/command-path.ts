import { accessSync, constants, statSync } from 'node:fs';
import { delimiter, isAbsolute, join, resolve } from 'node:path';

/**
 * The file a command name runs, resolved the way a shell's exec does: a name with a slash is a
 * path, any other is searched on PATH. Undefined when nothing executable is found, so the runtime
 * can fail the pod with CommandNotFound before a wrapper (`taskset`) hides the exec error in an
 * exit code.
 */
export function resolveCommand(command: string, path: string | undefined, cwd: string): string | undefined {
  if (command === '') return undefined;
  if (command.includes('/')) {
    const file = isAbsolute(command) ? command : resolve(cwd, command);
    return isExecutableFile(file) ? file : undefined;
  }
  for (const dir of (path ?? '').split(delimiter)) {
    if (dir === '') continue;
    const file = join(dir, command);
    if (isExecutableFile(file)) return file;
  }
  return undefined;
}

function isExecutableFile(file: string): boolean {
  try {
    if (!statSync(file).isFile()) return false;
    accessSync(file, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}
