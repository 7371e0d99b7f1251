import { useCallback, useEffect, useMemo, useState } from 'react';
import { ApiFailure } from '../api/client.js';
import { VirtualList } from '../components/virtual-list.js';
import { useFleetData } from '../fleet-data.js';

interface AuditRecord {
  readonly seq: number;
  readonly time: string;
  readonly subject: { readonly name: string; readonly tenant?: string };
  readonly verb: string;
  readonly object: { readonly kind: string; readonly name?: string; readonly project?: string };
  readonly outcome: 'allowed' | 'denied';
  readonly code?: number;
  readonly reason?: string;
}

type Verification =
  | { readonly ok: true; readonly count: number; readonly head: string }
  | {
      readonly ok: false;
      readonly count: number;
      readonly firstBad: { seq: number; problem: string; message: string };
    };

const PAGE = 10_000;
const ROW = 30;

function line(r: AuditRecord): string {
  const object = [r.object.kind, r.object.project, r.object.name].filter(Boolean).join('/');
  return `${r.seq} ${r.time} ${r.subject.name} ${r.verb} ${object} ${r.outcome} ${r.reason ?? ''}`.toLowerCase();
}

/** The audit trail (cluster-wide tokens only) and the server's verification of its hash chain. */
export function AuditPage() {
  const { client } = useFleetData();
  const [records, setRecords] = useState<AuditRecord[]>();
  const [verification, setVerification] = useState<Verification>();
  const [error, setError] = useState<string>();
  const [search, setSearch] = useState('');

  const load = useCallback(async () => {
    try {
      const all: AuditRecord[] = [];
      for (let after = 0; ; ) {
        const page = await client.json<{ items: AuditRecord[]; next?: number }>(
          `/audit/v1/events?after=${after}&limit=${PAGE}`,
        );
        all.push(...page.items);
        if (page.next === undefined) break;
        after = page.next;
      }
      setRecords(all.reverse());
      setVerification(await client.json<Verification>('/dashboard/v1/audit/verification'));
      setError(undefined);
    } catch (e) {
      const refused = e instanceof ApiFailure && (e.status === 403 || e.status === 404);
      setError(`${refused ? 'The audit trail is not available to this token: ' : ''}${(e as Error).message}`);
    }
  }, [client]);
  useEffect(() => void load(), [load]);

  const shown = useMemo(() => {
    const needle = search.trim().toLowerCase();
    return needle === '' ? (records ?? []) : (records ?? []).filter((r) => line(r).includes(needle));
  }, [records, search]);

  return (
    <section data-testid="audit-page">
      <div className="toolbar">
        <h2>Audit trail</h2>
        <input
          type="search"
          placeholder="search subject, verb, object, reason"
          value={search}
          onChange={(e) => setSearch(e.target.value)}
        />
        <button type="button" onClick={() => void load()}>
          Reload
        </button>
        {verification && (
          <span className={verification.ok ? 'badge ok' : 'badge bad'} data-testid="chain-status">
            {verification.ok
              ? `chain verified: ${verification.count} records`
              : `chain BROKEN at ${verification.firstBad.seq} (${verification.firstBad.problem}): ${verification.firstBad.message}`}
          </span>
        )}
      </div>
      {error && <p className="error">{error}</p>}
      {records && (
        <>
          <p className="muted">
            {shown.length} of {records.length} records, newest first
          </p>
          <div className="table-head audit-grid">
            <span>Seq</span>
            <span>Time</span>
            <span>Subject</span>
            <span>Verb</span>
            <span>Object</span>
            <span>Outcome</span>
          </div>
          <VirtualList
            items={shown}
            rowHeight={ROW}
            height={600}
            rowKey={(r) => String(r.seq)}
            testId="audit-list"
            renderRow={(r) => (
              <div className="audit-grid row" title={r.reason}>
                <span className="num">{r.seq}</span>
                <span>{r.time.replace('T', ' ').slice(0, 19)}</span>
                <span className="ellipsis">{r.subject.name}</span>
                <span>{r.verb}</span>
                <span className="ellipsis">
                  {[r.object.kind, r.object.project, r.object.name].filter(Boolean).join('/')}
                </span>
                <span className={r.outcome}>
                  {r.outcome}
                  {r.code ? ` ${r.code}` : ''}
                </span>
              </div>
            )}
          />
        </>
      )}
    </section>
  );
}
