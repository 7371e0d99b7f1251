import { createReadStream, createWriteStream } from 'node:fs';
import { createInterface } from 'node:readline';
import type { Command } from 'commander';
import type { AuditRecord } from '../../governance/audit/audit-event.js';
import { ChainVerifier } from '../../governance/audit/chain.js';
import { UsageError } from '../output.js';
import { clientFor } from './common.js';

/** Lines of the audit trail, from the server (streamed) or from an exported JSONL file. */
async function auditLines(command: Command, file: string | undefined): Promise<AsyncIterable<string>> {
  if (file !== undefined) {
    const stream = createReadStream(file, 'utf8');
    await new Promise<void>((resolve, reject) => {
      stream.once('open', () => resolve());
      stream.once('error', (e: NodeJS.ErrnoException) =>
        reject(new UsageError(`cannot read ${file}: ${e.code === 'ENOENT' ? 'no such file' : e.message}`)),
      );
    });
    return createInterface({ input: stream, crlfDelay: Infinity });
  }
  const client = await clientFor(command);
  const response = await client.stream('/audit/v1/events?format=jsonl', 'application/x-ndjson');
  return createInterface({ input: response, crlfDelay: Infinity });
}

/** Shows progress on stderr for long chains, only when a person is watching. */
function progress(count: number): void {
  if (process.stderr.isTTY && count % 10_000 === 0) process.stderr.write(`\rverified ${count} records…`);
}

export function registerAudit(program: Command): void {
  const audit = program.command('audit').description('Verify and export the tamper-evident audit trail');

  audit
    .command('verify')
    .description(
      'Check the whole hash chain; exits 1 and names the first bad record if anything was edited, deleted, inserted or reordered',
    )
    .option('-f, --file <jsonl>', 'verify an exported JSONL file instead of the server')
    .option(
      '--expect-head <hash>',
      'also require the chain to end at this hash (a head recorded elsewhere detects a truncated tail)',
    )
    .action(async (opts: { file?: string; expectHead?: string }, command: Command) => {
      const verifier = new ChainVerifier();
      let lineNo = 0;
      for await (const line of await auditLines(command, opts.file)) {
        lineNo++;
        if (line.trim() === '') continue;
        let record: AuditRecord;
        try {
          record = JSON.parse(line) as AuditRecord;
        } catch {
          console.error(`audit chain BROKEN: line ${lineNo} is not a JSON record`);
          process.exitCode = 1;
          return;
        }
        verifier.push(record);
        progress(lineNo);
      }
      if (process.stderr.isTTY && lineNo >= 10_000) process.stderr.write('\n');
      const verdict = verifier.result();
      if (!verdict.ok) {
        console.error(
          `audit chain BROKEN at record ${verdict.firstBad.seq} (${verdict.firstBad.problem}): ${verdict.firstBad.message}`,
        );
        console.error(`${verdict.count} records verified before it`);
        process.exitCode = 1;
        return;
      }
      if (opts.expectHead !== undefined && opts.expectHead !== verdict.head) {
        console.error(
          `audit chain verified (${verdict.count} records) but ends at ${verdict.head}, not the expected head ${opts.expectHead}: records were removed from the end or the chain was rebuilt`,
        );
        process.exitCode = 1;
        return;
      }
      console.log(`audit chain verified: ${verdict.count} records, head ${verdict.head}`);
    });

  audit
    .command('export')
    .description('Write the audit trail as JSON lines (one record per line, chain order)')
    .option('-o, --output <file>', 'write to a file instead of stdout')
    .action(async (opts: { output?: string }, command: Command) => {
      const out: NodeJS.WritableStream =
        opts.output === undefined ? process.stdout : createWriteStream(opts.output, { mode: 0o600 });
      let count = 0;
      for await (const line of await auditLines(command, undefined)) {
        if (line.trim() === '') continue;
        if (!out.write(`${line}\n`)) await new Promise<void>((resolve) => out.once('drain', () => resolve()));
        count++;
        if (opts.output !== undefined) progress(count);
      }
      if (opts.output !== undefined) {
        await new Promise<void>((resolve) => out.end(() => resolve()));
        console.error(`${count} audit records written to ${opts.output}`);
      }
    });
}
