import YAML from 'yaml';
import type { KindDefinition } from '../model/kinds.js';
import type { ApiObject } from '../model/object.js';
import { tableOf } from '../server/table.js';

export type OutputFormat = 'table' | 'wide' | 'yaml' | 'json' | 'name';

export function parseOutputFormat(value: string | undefined): OutputFormat {
  if (value === undefined) return 'table';
  if (['wide', 'yaml', 'json', 'name'].includes(value)) return value as OutputFormat;
  throw new UsageError(`-o ${value}: unknown output format; use yaml, json, wide or name`);
}

/** A mistake in how the command was called (exit code 2). */
export class UsageError extends Error {
  override readonly name = 'UsageError';
}

/** Left-aligned columns separated by three spaces, like kubectl. */
export function renderTable(
  headers: readonly string[],
  rows: readonly (readonly (string | number)[])[],
): string {
  const cells = [headers.map((h) => h.toUpperCase()), ...rows.map((r) => r.map(String))];
  const widths = headers.map((_, i) => Math.max(...cells.map((row) => (row[i] ?? '').length)));
  return cells
    .map((row) =>
      row
        .map((cell, i) => (i === row.length - 1 ? cell : cell.padEnd(widths[i]!)))
        .join('   ')
        .trimEnd(),
    )
    .join('\n');
}

export function renderObjects(
  def: KindDefinition,
  items: readonly ApiObject[],
  format: OutputFormat,
  now: Date,
  single: boolean,
): string {
  switch (format) {
    case 'yaml':
      return YAML.stringify(
        single ? items[0] : { apiVersion: 'strata.dev/v1alpha1', kind: `${def.kind}List`, items },
      ).trimEnd();
    case 'json':
      return JSON.stringify(
        single ? items[0] : { apiVersion: 'strata.dev/v1alpha1', kind: `${def.kind}List`, items },
        null,
        2,
      );
    case 'name':
      return items.map((o) => `${def.singular}/${o.metadata.name}`).join('\n');
    case 'table':
    case 'wide': {
      const withProject = def.scope === 'project';
      const { columns, rows } = tableOf(def, items, now, withProject);
      const keep = columns.map((c) => format === 'wide' || !c.wide);
      return renderTable(
        columns.filter((_, i) => keep[i]).map((c) => c.name),
        rows.map((r) => r.filter((_, i) => keep[i])),
      );
    }
  }
}
