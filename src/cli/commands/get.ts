import type { Command } from 'commander';
import YAML from 'yaml';
import { KINDS } from '../../model/kinds.js';
import type { ApiObject } from '../../model/object.js';
import { parseOutputFormat, renderObjects, renderTable } from '../output.js';
import { clientFor, collectionPath, kindArg, objectPath } from './common.js';

interface ListBody {
  items: ApiObject[];
  metadata: { continue?: string };
}

export function registerGet(program: Command): void {
  program
    .command('get')
    .description('List objects of a kind, or show one')
    .argument('<kind>', 'kind, plural or short name (nodes, workloads, wl, …)')
    .argument('[name]', 'one object by name')
    .option('-o, --output <format>', 'yaml | json | wide | name')
    .option('-l, --selector <selector>', 'label selector, e.g. strata.dev/gpu-model=H100-SXM-80GB,tier!=dev')
    .option(
      '-p, --project <project>',
      'the project of project-scoped kinds (all visible projects when omitted)',
    )
    .action(
      async (
        kind: string,
        name: string | undefined,
        opts: { output?: string; selector?: string; project?: string },
        command: Command,
      ) => {
        const def = kindArg(kind);
        const format = parseOutputFormat(opts.output);
        const client = await clientFor(command);
        let items: ApiObject[];
        if (name !== undefined) {
          items = [(await client.request<ApiObject>('GET', objectPath(def, opts.project, name))).body];
        } else {
          items = [];
          let cont: string | undefined;
          do {
            const query = new URLSearchParams({ limit: '500' });
            if (opts.selector) query.set('labelSelector', opts.selector);
            if (cont) query.set('continue', cont);
            const page = await client.request<ListBody>(
              'GET',
              `${collectionPath(def, opts.project)}?${query}`,
            );
            items.push(...page.body.items);
            cont = page.body.metadata.continue;
          } while (cont);
        }
        if (items.length === 0 && (format === 'table' || format === 'wide')) {
          console.error(`No ${def.plural} found${opts.project ? ` in project ${opts.project}` : ''}.`);
          return;
        }
        console.log(renderObjects(def, items, format, new Date(), name !== undefined));
      },
    );

  program
    .command('describe')
    .description('Show one object in detail')
    .argument('<kind>')
    .argument('<name>')
    .option('-p, --project <project>', 'the project of project-scoped kinds')
    .action(async (kind: string, name: string, opts: { project?: string }, command: Command) => {
      const def = kindArg(kind);
      const client = await clientFor(command);
      const object = (await client.request<ApiObject>('GET', objectPath(def, opts.project, name))).body;
      console.log(describe(object));
    });

  program
    .command('api-resources')
    .description('List the kinds the server serves')
    .action(() => {
      console.log(
        renderTable(
          ['Name', 'Short names', 'Kind', 'Project-scoped', 'Description'],
          KINDS.map((k) => [
            k.plural,
            k.shortNames.join(',') || '-',
            k.kind,
            k.scope === 'project' ? 'true' : 'false',
            k.description,
          ]),
        ),
      );
    });
}

function describe(object: ApiObject): string {
  const m = object.metadata;
  const lines = [
    `Kind:              ${object.kind}`,
    `Name:              ${m.name}`,
    ...(m.tenant ? [`Tenant:            ${m.tenant}`] : []),
    ...(m.project ? [`Project:           ${m.project}`] : []),
    `Labels:            ${formatMap(m.labels)}`,
    `Annotations:       ${formatMap(m.annotations)}`,
    `Created:           ${m.creationTimestamp}`,
    `Generation:        ${m.generation}`,
    `Resource version:  ${m.resourceVersion}`,
    `UID:               ${m.uid}`,
    'Spec:',
    indent(YAML.stringify(object.spec)),
    'Status:',
    object.status === undefined ? '  (none reported yet)' : indent(YAML.stringify(object.status)),
  ];
  return lines.join('\n');
}

function formatMap(map: Readonly<Record<string, string>> | undefined): string {
  const entries = Object.entries(map ?? {});
  return entries.length === 0 ? '<none>' : entries.map(([k, v]) => `${k}=${v}`).join('\n                   ');
}

function indent(text: string): string {
  return text
    .trimEnd()
    .split('\n')
    .map((l) => `  ${l}`)
    .join('\n');
}
