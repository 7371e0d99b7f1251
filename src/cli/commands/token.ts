import type { Command } from 'commander';
import { writeFileAtomic } from '../../runtime/atomic-file.js';
import { kubeconfigYaml } from '../../server/kubeconfig.js';
import type { TokenRecord } from '../../store/store.js';
import { renderTable, UsageError } from '../output.js';
import { clientFor } from './common.js';

/** "90s", "15m", "12h", "30d" → seconds. */
function parseDuration(text: string): number {
  const match = /^(\d+)(s|m|h|d)$/.exec(text);
  if (!match) throw new UsageError(`--expires-in ${text}: use a number and s, m, h or d, e.g. 12h`);
  return Number(match[1]) * { s: 1, m: 60, h: 3600, d: 86400 }[match[2] as 's' | 'm' | 'h' | 'd'];
}

export function registerToken(program: Command): void {
  const token = program.command('token').description('Issue, list and revoke API tokens');

  token
    .command('create')
    .description('Issue a token; with --role, also bind that role to it in the tenant / project scope')
    .option('--tenant <tenant>', 'pin the token to a tenant: it can never act outside it')
    .option('--project <project>', 'bind the role in this project of the tenant only')
    .option('--role <role>', 'role to bind (cluster-admin, tenant-admin, developer, viewer, or your own)')
    .option('--subject <name>', 'the user the token authenticates as (default token-<id>)')
    .option('--description <text>')
    .option('--expires-in <duration>', 'e.g. 12h, 30d')
    .option('--kubeconfig <file>', 'also write a kubeconfig for this token')
    .action(
      async (
        opts: {
          tenant?: string;
          project?: string;
          role?: string;
          subject?: string;
          description?: string;
          expiresIn?: string;
          kubeconfig?: string;
        },
        command: Command,
      ) => {
        const client = await clientFor(command);
        const body = {
          ...(opts.tenant !== undefined && { tenant: opts.tenant }),
          ...(opts.project !== undefined && { project: opts.project }),
          ...(opts.role !== undefined && { role: opts.role }),
          ...(opts.subject !== undefined && { subject: opts.subject }),
          ...(opts.description !== undefined && { description: opts.description }),
          ...(opts.expiresIn !== undefined && { expiresInSeconds: parseDuration(opts.expiresIn) }),
        };
        const { body: created } = await client.request<TokenRecord & { token: string; binding?: string }>(
          'POST',
          '/auth/v1/tokens',
          body,
        );
        if (opts.kubeconfig !== undefined) {
          await writeFileAtomic(
            opts.kubeconfig,
            kubeconfigYaml({
              server: client.connection.server,
              token: created.token,
              user: created.subject,
              ...(client.connection.ca !== undefined && { ca: client.connection.ca }),
              ...(opts.project !== undefined && { namespace: opts.project }),
            }),
            0o600,
          );
          console.error(`kubeconfig written to ${opts.kubeconfig}`);
        }
        console.error(
          `token ${created.id} for ${created.subject}${created.tenant ? ` (tenant ${created.tenant}${created.project ? `, project ${created.project}` : ''})` : ''}${created.binding ? `, role bound as rolebinding/${created.binding}` : ''}; it is shown once:`,
        );
        console.log(created.token);
      },
    );

  token
    .command('list')
    .description('List tokens (never their secrets)')
    .action(async (_opts: unknown, command: Command) => {
      const client = await clientFor(command);
      const { body } = await client.request<{ items: TokenRecord[] }>('GET', '/auth/v1/tokens');
      console.log(
        renderTable(
          ['Id', 'Subject', 'Tenant', 'Project', 'Created', 'Expires', 'Revoked'],
          body.items.map((t) => [
            t.id,
            t.subject,
            t.tenant ?? '-',
            t.project ?? '-',
            t.createdAt,
            t.expiresAt ?? '-',
            t.revokedAt ?? '-',
          ]),
        ),
      );
    });

  token
    .command('revoke')
    .description('Revoke a token and remove the binding it was issued with')
    .argument('<id>')
    .action(async (id: string, _opts: unknown, command: Command) => {
      const client = await clientFor(command);
      await client.request('DELETE', `/auth/v1/tokens/${encodeURIComponent(id)}`);
      console.log(`token ${id} revoked`);
    });
}
