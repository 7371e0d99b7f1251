/**
 * Audit records as the dashboard reads them (src/governance/audit/audit-event.ts), and the search
 * the page applies to records that arrive live: the same rule as the server's
 * (`auditMatcher` in src/server/routes/dashboard-routes.ts; test/web/audit-record.test.ts holds the
 * two to one table).
 */
export interface AuditRecord {
  readonly seq: number;
  readonly time: string;
  readonly subject: { readonly name: string; readonly tenant?: string };
  readonly verb: string;
  readonly object: { readonly kind: string; readonly name?: string; readonly project?: string };
  readonly outcome: 'allowed' | 'denied';
  readonly code?: number;
  readonly reason?: string;
}

/** The search fields: each a case-insensitive substring of its part of a record; `q` of all of it. */
export interface AuditQuery {
  readonly subject?: string;
  readonly verb?: string;
  readonly kind?: string;
  readonly object?: string;
  readonly q?: string;
}

export function auditMatches(query: AuditQuery): (r: AuditRecord) => boolean {
  const needle = (value: string | undefined) => value?.trim().toLowerCase() || undefined;
  const subject = needle(query.subject);
  const verb = needle(query.verb);
  const kind = needle(query.kind);
  const object = needle(query.object);
  const q = needle(query.q);
  const has = (text: string | undefined, part: string | undefined) =>
    part === undefined || (text ?? '').toLowerCase().includes(part);
  return (r) =>
    has(r.subject.name, subject) &&
    has(r.verb, verb) &&
    has(r.object.kind, kind) &&
    has(objectPath(r), object) &&
    has(
      [
        r.seq,
        r.time,
        r.subject.name,
        r.verb,
        r.object.kind,
        r.object.project,
        r.object.name,
        r.outcome,
        r.code,
        r.reason,
      ]
        .filter((x) => x !== undefined)
        .join(' '),
      q,
    );
}

/** project/name, or name for cluster-scoped objects. */
export function objectPath(r: AuditRecord): string {
  return [r.object.project, r.object.name].filter(Boolean).join('/');
}
