import { homedir, hostname } from 'node:os';
import { join } from 'node:path';
import type { Command } from 'commander';
import { discoverHardware } from '../../hardware/discovery/discover-hardware.js';
import { AgentHttp } from '../../providers/agent/agent-http.js';
import { NodeAgent } from '../../providers/agent/node-agent.js';
import { systemClock } from '../../runtime/clock.js';
import { resolveConnection } from '../context-file.js';
import { UsageError } from '../output.js';
import type { GlobalFlags } from './common.js';

/** "500ms", "5s", "2m" → milliseconds. */
function parseInterval(flag: string, text: string): number {
  const match = /^(\d+)(ms|s|m)$/.exec(text);
  if (!match || Number(match[1]) === 0) {
    throw new UsageError(`${flag} ${text}: use a positive number and ms, s or m, e.g. 5s`);
  }
  return Number(match[1]) * { ms: 1, s: 1_000, m: 60_000 }[match[2] as 'ms' | 's' | 'm'];
}

export function registerAgent(program: Command): void {
  program
    .command('agent')
    .description(
      'Run a node agent on this machine: discover its hardware, register it as a Node, heartbeat, and run the pods admitted onto it',
    )
    .option('--node <name>', 'the Node name (default: the first label of this host name)')
    .option('--cluster <name>', 'the Cluster to join; it must exist with spec.provider: agent', 'agents')
    .option('--data-dir <dir>', 'where pod logs and working files are kept (default ~/.strata/agent-<node>)')
    .option('--heartbeat-interval <duration>', 'time between heartbeats, e.g. 5s or 500ms', '5s')
    .option('--kill-grace <duration>', 'time between SIGTERM and SIGKILL when a pod is stopped', '5s')
    .action(
      async (
        opts: {
          node?: string;
          cluster: string;
          dataDir?: string;
          heartbeatInterval: string;
          killGrace: string;
        },
        command: Command,
      ) => {
        const heartbeatMs = parseInterval('--heartbeat-interval', opts.heartbeatInterval);
        const killGraceMs = parseInterval('--kill-grace', opts.killGrace);
        const connection = await resolveConnection(command.optsWithGlobals<GlobalFlags>());
        if (!connection.token) {
          throw new UsageError(
            '--token is required: a token bound to the node-agent role (`strata token create --role node-agent --subject agent-<node>`)',
          );
        }
        // Node names are DNS labels: a fully qualified host name gives its first label.
        const node = opts.node ?? hostname().split('.')[0]!.toLowerCase();
        const dataDir = opts.dataDir ?? join(homedir(), '.strata', `agent-${node}`);
        const hardware = await discoverHardware();
        for (const warning of hardware.warnings) console.error(`agent: ${warning}`);
        const http = new AgentHttp({
          server: connection.server,
          token: connection.token,
          ...(connection.ca !== undefined && { ca: connection.ca }),
        });
        let fatal: Error | undefined;
        let wake: () => void = () => {};
        const ended = new Promise<void>((resolve) => {
          wake = resolve;
        });
        const agent = new NodeAgent({
          http,
          node,
          cluster: opts.cluster,
          dataDir,
          clock: systemClock,
          hardware,
          heartbeatMs,
          killGraceMs,
          onError: (error) => console.error(`agent: ${(error as Error).message ?? String(error)}`),
          onFatal: (error) => {
            fatal = error;
            wake();
          },
        });
        try {
          await agent.start();
        } catch (error) {
          http.close();
          throw error;
        }
        const gpus = agent.spec.accelerators.length;
        console.error(
          `agent: node ${node} registered in cluster ${opts.cluster} at ${connection.server} (${hardware.cpu.logicalCpus} CPUs, ${gpus} GPU${gpus === 1 ? '' : 's'}); heartbeating every ${heartbeatMs / 1000} s`,
        );
        process.once('SIGTERM', wake);
        process.once('SIGINT', wake);
        await ended;
        console.error(fatal ? `agent: stopping: ${fatal.message}` : 'agent: stopping; pods are stopped');
        await agent.stop();
        if (fatal) throw fatal;
      },
    );
}
