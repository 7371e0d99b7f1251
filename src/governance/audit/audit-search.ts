/**
 * The audit trail's search rule, shared by the server's search route and the dashboard's live
 * filter (web/ imports this file), so a record the page keeps is one the server would return.
 * Pure, over the fields every audit record has.
 */

/** What a search reads of a record. */
export interface SearchableAuditRecord {
  readonly seq: number;
  readonly time: string;
  readonly subject: { readonly name: string };
  readonly verb: string;
  readonly object: { readonly kind: string; readonly name?: string; readonly project?: string };
  readonly outcome: string;
  readonly code?: number;
  readonly reason?: string;
}

/** The search fields: each a case-insensitive substring of its part of a record; `q` of all of it. */
export interface AuditQuery {
  readonly subject?: string | undefined;
  readonly verb?: string | undefined;
  readonly kind?: string | undefined;
  readonly object?: string | undefined;
  readonly q?: string | undefined;
}

/** project/name, or name for cluster-scoped objects. */
export function objectPath(r: SearchableAuditRecord): string {
  return [r.object.project, r.object.name].filter(Boolean).join('/');
}

/** Which records a search keeps: every given field must hold; blank fields are ignored. */
export function auditMatches(query: AuditQuery): (r: SearchableAuditRecord) => boolean {
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
