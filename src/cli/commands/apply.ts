import type { Command } from 'commander';
import { findKind } from '../../model/kinds.js';
import { sortForApply } from '../../model/manifests.js';
import { readManifests } from '../../runtime/manifest-files.js';
import { ApiClientError, UnreachableError } from '../client.js';
import { UsageError } from '../output.js';
import { clientFor, objectPath } from './common.js';

/** Exit status for a command that ran but some of whose items failed. */
export const PARTIAL_FAILURE = 1;

export function registerApply(program: Command): void {
  program
    .command('apply')
    .description('Create or update objects from YAML/JSON files, a directory, or - for stdin')
    .requiredOption('-f, --filename <path...>', 'file, directory or -')
    .action(async (opts: { filename: string[] }, command: Command) => {
      const client = await clientFor(command);
      let failures = 0;
      const documents = [];
      for (const path of opts.filename) {
        const read = await readManifests(path).catch((error: NodeJS.ErrnoException) => {
          throw new UsageError(
            `cannot read ${path}: ${error.code === 'ENOENT' ? 'no such file or directory' : error.message}`,
          );
        });
        for (const e of read.errors) {
          console.error(`error: ${e.source} document ${e.index}: ${e.message}`);
          failures++;
        }
        documents.push(...read.documents);
      }
      for (const doc of sortForApply(documents)) {
        const value = doc.value as { kind?: unknown; metadata?: { name?: unknown; project?: unknown } };
        const kindName = typeof value.kind === 'string' ? value.kind : undefined;
        const name = typeof value.metadata?.name === 'string' ? value.metadata.name : undefined;
        const project = typeof value.metadata?.project === 'string' ? value.metadata.project : undefined;
        const where = `${doc.source} document ${doc.index}`;
        const def = kindName === undefined ? undefined : findKind(kindName);
        if (!def || def.kind !== kindName) {
          console.error(
            `error: ${where}: kind: ${kindName === undefined ? 'is required' : `unknown kind "${kindName}"`}`,
          );
          failures++;
          continue;
        }
        if (name === undefined) {
          console.error(`error: ${where}: metadata.name: is required`);
          failures++;
          continue;
        }
        const label = `${def.singular}/${name}`;
        try {
          const path =
            def.scope === 'project' && project === undefined ? undefined : objectPath(def, project, name);
          if (path === undefined)
            throw new UsageError(
              `${where}: metadata.project: ${def.kind} is project-scoped; name its project`,
            );
          const response = await client.request('PUT', path, doc.value);
          console.log(`${label} ${response.headers['x-strata-outcome'] ?? 'applied'}`);
        } catch (error) {
          if (error instanceof UnreachableError) throw error;
          failures++;
          if (error instanceof ApiClientError) {
            console.error(`error: ${label} (${where}): ${error.body.message}`);
            for (const d of error.body.details.slice(1)) console.error(`  ${d.field}: ${d.message}`);
          } else {
            console.error(`error: ${label}: ${(error as Error).message}`);
          }
        }
      }
      if (failures > 0) {
        console.error(`${failures} document${failures === 1 ? '' : 's'} failed`);
        process.exitCode = PARTIAL_FAILURE;
      }
    });

  program
    .command('delete')
    .description('Delete an object')
    .argument('<kind>')
    .argument('<name>')
    .option('-p, --project <project>', 'the project of project-scoped kinds')
    .action(async (kind: string, name: string, opts: { project?: string }, command: Command) => {
      const def = findKind(kind);
      if (!def) throw new UsageError(`unknown kind "${kind}"`);
      const client = await clientFor(command);
      await client.request('DELETE', objectPath(def, opts.project, name));
      console.log(`${def.singular} "${name}" deleted`);
    });
}
