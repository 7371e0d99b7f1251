import { describe, expect, it } from 'vitest';
import { type AuditQuery, auditMatches } from '../../src/governance/audit/audit-search.js';
import type { AuditRecord } from '../../web/src/model/audit-record.js';

const record: AuditRecord = {
  seq: 42,
  time: '2026-03-02T10:00:00Z',
  subject: { name: 'ann@acme' },
  verb: 'delete',
  object: { kind: 'Workload', project: 'research', name: 'train-1' },
  outcome: 'denied',
  code: 403,
  reason: 'needs a project grant',
};

const cases: [string, AuditQuery, boolean][] = [
  ['no field', {}, true],
  ['a subject part, any case', { subject: 'ANN' }, true],
  ['another subject', { subject: 'bob' }, false],
  ['verb and kind together', { verb: 'del', kind: 'workload' }, true],
  ['a kind that does not hold', { verb: 'delete', kind: 'Queue' }, false],
  ['the object as project/name', { object: 'research/train' }, true],
  ['free text over the reason', { q: 'project grant' }, true],
  ['free text over the code', { q: '403' }, true],
  ['blank fields, ignored', { subject: '  ', q: '' }, true],
];

describe('auditMatches, the search rule of the audit route and the audit page', () => {
  it.each(cases)('%s', (_case, query, expected) => {
    expect(auditMatches(query)(record)).toBe(expected);
  });
});
