/**
 * Audit records as the dashboard reads them (src/governance/audit/audit-event.ts), and the search
 * the page applies to records that arrive live: the server's own rule
 * (src/governance/audit/audit-search.ts).
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

export { type AuditQuery, auditMatches, objectPath } from '../../../src/governance/audit/audit-search.js';
