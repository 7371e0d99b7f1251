import { z } from 'zod';
import { findKind, KINDS, type KindDefinition } from './kinds.js';
import { metadataInput } from './metadata.js';
import { API_VERSION, type ObjectInput } from './object.js';
import { type FieldIssue, zodIssues } from './validation.js';

export type ParseResult =
  | { readonly ok: true; readonly kind: KindDefinition; readonly input: ObjectInput }
  | { readonly ok: false; readonly issues: readonly FieldIssue[] };

const envelope = z.strictObject({
  apiVersion: z.string(),
  kind: z.string(),
  metadata: z.unknown(),
  spec: z.unknown(),
  /** Ignored on writes: status has its own subresource. Accepted so `get -o yaml` output applies as is. */
  status: z.unknown().optional(),
});

/**
 * One by one, not `push(...more)`: a 1 MiB body can hold 200,000 bad array
 * items, more than a spread call takes as arguments (it throws RangeError).
 */
function append(issues: FieldIssue[], more: readonly FieldIssue[]): void {
  for (const issue of more) issues.push(issue);
}

function fail(issues: FieldIssue[]): ParseResult {
  return { ok: false, issues };
}

/**
 * Validates a whole object as a client sent it: envelope, kind, metadata, the
 * kind's spec schema, scoping rules and the kind's own checks. Every problem
 * is reported with its field, not just the first.
 */
export function parseObject(raw: unknown): ParseResult {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
    return fail([{ field: '(root)', message: 'must be an object with apiVersion, kind, metadata and spec' }]);
  }
  const env = envelope.safeParse(raw);
  if (!env.success) return fail(zodIssues(env.error));
  const { apiVersion, kind: kindName, metadata, spec } = env.data;
  const issues: FieldIssue[] = [];
  if (apiVersion !== API_VERSION) issues.push({ field: 'apiVersion', message: `must be "${API_VERSION}"` });
  const def = findKind(kindName);
  if (!def || def.kind !== kindName) {
    issues.push({
      field: 'kind',
      message: `unknown kind "${kindName}"; known kinds: ${KINDS.map((k) => k.kind).join(', ')}`,
    });
    return fail(issues);
  }
  const meta = metadataInput.safeParse(metadata);
  if (!meta.success) append(issues, zodIssues(meta.error, ['metadata']));
  const parsedSpec = def.spec.safeParse(spec ?? {});
  if (!parsedSpec.success) append(issues, zodIssues(parsedSpec.error, ['spec']));
  if (meta.success) append(issues, scopeIssues(def, meta.data));
  if (parsedSpec.success && def.check) append(issues, def.check(parsedSpec.data));
  if (issues.length > 0 || !meta.success || !parsedSpec.success) return fail(issues);

  const { name, tenant, project, labels, annotations, resourceVersion } = meta.data;
  return {
    ok: true,
    kind: def,
    input: {
      kind: def.kind,
      metadata: {
        name,
        ...(tenant !== undefined && { tenant }),
        ...(project !== undefined && { project }),
        ...(labels !== undefined && Object.keys(labels).length > 0 && { labels }),
        ...(annotations !== undefined && Object.keys(annotations).length > 0 && { annotations }),
        ...(resourceVersion !== undefined && { resourceVersion }),
      },
      spec: parsedSpec.data,
    },
  };
}

function scopeIssues(
  def: KindDefinition,
  meta: { tenant?: string | undefined; project?: string | undefined },
) {
  const issues: FieldIssue[] = [];
  if (def.scope === 'cluster' && meta.project !== undefined) {
    issues.push({
      field: 'metadata.project',
      message: `${def.kind} is not project-scoped; remove the project`,
    });
  }
  if (def.scope === 'project' && meta.project === undefined) {
    issues.push({ field: 'metadata.project', message: `${def.kind} is project-scoped; name its project` });
  }
  if ((def.tenancy === 'none' || def.tenancy === 'self') && meta.tenant !== undefined) {
    issues.push({
      field: 'metadata.tenant',
      message: `${def.kind} does not belong to a tenant; remove the tenant`,
    });
  }
  if (def.tenancy === 'required' && meta.tenant === undefined) {
    issues.push({ field: 'metadata.tenant', message: `${def.kind} belongs to a tenant; name it` });
  }
  return issues;
}

/** Validates a status body against a kind's status schema. */
export function parseStatus(
  def: KindDefinition,
  raw: unknown,
): { ok: true; status: unknown } | { ok: false; issues: FieldIssue[] } {
  const parsed = def.status.safeParse(raw);
  return parsed.success
    ? { ok: true, status: parsed.data }
    : { ok: false, issues: zodIssues(parsed.error, ['status']) };
}
