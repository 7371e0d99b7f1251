import { Command, CommanderError } from 'commander';
import { ApiClientError, UnreachableError } from './client.js';
import { registerAgent } from './commands/agent.js';
import { registerApply } from './commands/apply.js';
import { registerAudit } from './commands/audit.js';
import { registerCancel } from './commands/cancel.js';
import { registerCatalog } from './commands/catalog.js';
import { registerExplain } from './commands/explain.js';
import { registerGet } from './commands/get.js';
import { registerLogs } from './commands/logs.js';
import { registerPending } from './commands/pending.js';
import { registerSimulate } from './commands/simulate.js';
import { registerToken } from './commands/token.js';
import { registerUp } from './commands/up.js';
import { UsageError } from './output.js';

/** Exit codes: 0 success, 1 the server refused or something failed, 2 the command was used wrongly. */
const EXIT_FAILURE = 1;
const EXIT_USAGE = 2;

const program = new Command('strata')
  .description('Strata: a control plane for AI infrastructure')
  .version('0.1.0')
  .option('--server <url>', 'API server URL (env STRATA_SERVER; default from the current context)')
  .option('--token <token>', 'bearer token (env STRATA_TOKEN; default from the current context)')
  .option('--context <name>', 'context from the CLI context file (env STRATA_CONTEXT)')
  .option('--ca-file <pem>', 'CA certificate to trust for an https server (env STRATA_CA_FILE)')
  .showHelpAfterError()
  .exitOverride();

registerUp(program);
registerApply(program);
registerGet(program);
registerExplain(program);
registerAudit(program);
registerToken(program);
registerCatalog(program);
registerSimulate(program);
registerAgent(program);
registerLogs(program);
registerCancel(program);
registerPending(program);

try {
  await program.parseAsync(process.argv);
} catch (error) {
  if (error instanceof CommanderError) {
    process.exitCode = error.exitCode === 0 ? 0 : EXIT_USAGE;
  } else if (error instanceof UsageError) {
    console.error(`error: ${error.message}`);
    process.exitCode = EXIT_USAGE;
  } else if (error instanceof ApiClientError) {
    console.error(`error: ${error.body.message}`);
    for (const d of error.body.details.slice(1)) console.error(`  ${d.field}: ${d.message}`);
    process.exitCode = EXIT_FAILURE;
  } else if (error instanceof UnreachableError) {
    console.error(`error: ${error.message}`);
    process.exitCode = EXIT_FAILURE;
  } else {
    console.error(`error: ${(error as Error).message}`);
    process.exitCode = EXIT_FAILURE;
  }
}
