import { relative } from 'node:path';
import type { Command } from 'commander';
import { contextFilePath, saveContext } from '../context-file.js';
import { UsageError } from '../output.js';

function parsePort(text: string): number {
  const port = Number(text);
  if (!Number.isInteger(port) || port < 0 || port > 65535)
    throw new UsageError(`--port ${text}: must be 0–65535`);
  return port;
}

function parseSeconds(flag: string, text: string): number {
  const seconds = Number(text);
  if (!Number.isFinite(seconds) || seconds < 0.3 || seconds > 300) {
    throw new UsageError(`${flag} ${text}: must be a number of seconds from 0.3 to 300`);
  }
  return seconds;
}

export function registerUp(program: Command): void {
  program
    .command('up')
    .description('Run the control plane (embedded SQLite store by default)')
    .option('--data-dir <dir>', 'where the store, admin token and kubeconfig live', '.strata-data')
    .option('--port <port>', 'port to listen on (0 picks a free one)', '7400')
    .option('--host <host>', 'address to listen on', '127.0.0.1')
    .option('--store <url>', 'store URL (default: SQLite file in the data dir); env STRATA_STORE')
    .option('--demo', 'load the demo fleet from examples/demo (3 sites, GPU nodes, tenants, queues)')
    .option('--log', 'log every request as JSON lines to stdout')
    .option('--no-tls', 'serve plain HTTP (kubectl will then not send its token)')
    .option(
      '--replica-id <name>',
      "this replica's name in leader election (default: host, pid and a random suffix)",
    )
    .option(
      '--lease-ttl <seconds>',
      'how long the controllers lease lasts unrenewed; failover takes at most 4/3 of it',
      '6',
    )
    .action(
      async (opts: {
        dataDir: string;
        port: string;
        host: string;
        store?: string;
        demo?: boolean;
        log?: boolean;
        tls: boolean;
        replicaId?: string;
        leaseTtl: string;
      }) => {
        const storeUrl = opts.store ?? process.env.STRATA_STORE;
        // Loaded here so that every other command starts without the server and store.
        const { startControlPlane } = await import('../../server/control-plane.js');
        const { startTracing } = await import('../../server/tracing.js');
        // Off unless OTEL_EXPORTER_OTLP_ENDPOINT is set; started first so every request is traced.
        const stopTracing = await startTracing();
        const plane = await startControlPlane({
          dataDir: opts.dataDir,
          port: parsePort(opts.port),
          host: opts.host,
          demo: opts.demo === true,
          logger: opts.log === true,
          tls: opts.tls,
          leaseTtlMs: parseSeconds('--lease-ttl', opts.leaseTtl) * 1000,
          ...(opts.replicaId !== undefined && { replicaId: opts.replicaId }),
          ...(storeUrl !== undefined && { storeUrl }),
        });
        const configPath = contextFilePath();
        // The server is up either way: a context file that cannot be written costs the user a flag, not the start.
        const saved = await saveContext(configPath, 'local', {
          server: plane.url,
          token: plane.bootstrap.adminToken,
          ...(plane.ca !== undefined && { ca: plane.ca }),
        }).then(
          () => undefined,
          (error: Error) => error.message,
        );
        const show = (path: string) =>
          relative(process.cwd(), path).startsWith('..') ? path : relative(process.cwd(), path) || '.';
        const lines = [
          `Strata control plane listening on ${plane.url}`,
          `  dashboard    ${plane.url}/ (sign in with the admin token)`,
          `  store        ${storeUrl ?? `sqlite ${show(`${opts.dataDir}/strata.db`)}`}`,
          `  admin token  ${plane.bootstrap.adminTokenCreated ? 'created and ' : ''}stored in ${show(plane.bootstrap.adminTokenFile)} (mode 0600)`,
          `  kubeconfig   ${show(plane.kubeconfigFile)}`,
          ...(plane.caFile !== undefined ? [`  TLS CA       ${show(plane.caFile)}`] : []),
          saved === undefined
            ? `  CLI context  "local" in ${configPath} (now current)`
            : `  CLI context  not saved: ${saved}`,
        ];
        if (plane.demo) {
          lines.push(`  demo fleet   ${plane.demo.applied} objects applied from examples/demo`);
          for (const failure of plane.demo.failed) lines.push(`  demo error   ${failure}`);
        }
        lines.push(
          '',
          'Try:',
          '  npx strata get nodes',
          `  kubectl --kubeconfig ${show(plane.kubeconfigFile)} get nodes`,
          '  npx strata audit verify',
          '',
          'Stop with Ctrl-C.',
        );
        console.log(lines.join('\n'));
        const stop = async (signal: string) => {
          console.log(`\n${signal}: stopping`);
          await plane.close();
          await stopTracing?.();
          process.exit(0);
        };
        process.once('SIGINT', () => void stop('SIGINT'));
        process.once('SIGTERM', () => void stop('SIGTERM'));
      },
    );
}
