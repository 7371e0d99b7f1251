import { useCallback, useEffect, useMemo, useState } from 'react';
import { ApiFailure } from '../api/client.js';
import { streamLines } from '../api/line-stream.js';
import { VirtualList } from '../components/virtual-list.js';
import { useFleetData } from '../fleet-data.js';
import { type AuditQuery, type AuditRecord, auditMatches, objectPath } from '../model/audit-record.js';

type Verification =
  | { readonly ok: true; readonly count: number; readonly head: string }
  | {
      readonly ok: false;
      readonly count: number;
      readonly firstBad: { seq: number; problem: string; message: string };
    };

interface SearchResult {
  readonly items: AuditRecord[];
  readonly matched: number;
  readonly head: number;
}

/** The newest matches the server sends; the page never holds the whole trail. */
const LIMIT = 2000;
const ROW = 30;
/** Typing settles this long before the server is asked. */
const DEBOUNCE_MS = 300;
const RESTREAM_MS = 1000;

const FIELDS = [
  ['subject', 'subject'],
  ['verb', 'verb'],
  ['kind', 'kind'],
  ['object', 'project/name'],
] as const;

/**
 * The audit trail (cluster-wide tokens only): searched on the server (subject, verb, kind,
 * object, free text; the newest matches), then kept live from the audit stream, each new record
 * shown when it matches the search. The chain's verification is the server's, on demand.
 */
export function AuditPage() {
  const { client } = useFleetData();
  const [query, setQuery] = useState<AuditQuery>({});
  const [settled, setSettled] = useState<AuditQuery>({});
  const [result, setResult] = useState<SearchResult>();
  const [arrived, setArrived] = useState(0);
  const [verification, setVerification] = useState<Verification>();
  const [error, setError] = useState<string>();

  useEffect(() => {
    const timer = setTimeout(() => setSettled(query), DEBOUNCE_MS);
    return () => clearTimeout(timer);
  }, [query]);

  const verify = useCallback(async () => {
    try {
      setVerification(await client.json<Verification>('/dashboard/v1/audit/verification'));
      setArrived(0);
    } catch (e) {
      setError(refusal(e));
    }
  }, [client]);
  useEffect(() => void verify(), [verify]);

  useEffect(() => {
    let stopped = false;
    let stop: (() => void) | undefined;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const matches = auditMatches(settled);
    const params = new URLSearchParams({ limit: String(LIMIT) });
    for (const [key, value] of Object.entries(settled)) if (value?.trim()) params.set(key, value.trim());
    const follow = (after: number) => {
      let last = after;
      stop = streamLines<AuditRecord>(
        client,
        `/dashboard/v1/audit/stream?after=${after}`,
        (records) => {
          last = records[records.length - 1]!.seq;
          setArrived((n) => n + records.length);
          const kept = records.filter(matches).reverse();
          if (kept.length > 0)
            setResult((r) =>
              r
                ? {
                    items: [...kept, ...r.items].slice(0, LIMIT),
                    matched: r.matched + kept.length,
                    head: last,
                  }
                : r,
            );
          return undefined;
        },
        () => {
          if (!stopped) timer = setTimeout(() => follow(last), RESTREAM_MS);
        },
      );
    };
    client.json<SearchResult>(`/dashboard/v1/audit/search?${params}`).then(
      (found) => {
        if (stopped) return;
        setResult(found);
        setError(undefined);
        follow(found.head);
      },
      (e) => {
        if (!stopped) setError(refusal(e));
      },
    );
    return () => {
      stopped = true;
      stop?.();
      if (timer) clearTimeout(timer);
    };
  }, [client, settled]);

  const set = (key: keyof AuditQuery) => (value: string) => setQuery((q) => ({ ...q, [key]: value }));
  const shown = useMemo(() => result?.items ?? [], [result]);

  return (
    <section data-testid="audit-page">
      <div className="toolbar">
        <h2>Audit trail</h2>
        <input
          type="search"
          placeholder="search subject, verb, object, reason"
          value={query.q ?? ''}
          onChange={(e) => set('q')(e.target.value)}
        />
        {FIELDS.map(([key, label]) => (
          <input
            key={key}
            type="search"
            className="field"
            aria-label={key}
            placeholder={label}
            value={query[key] ?? ''}
            onChange={(e) => set(key)(e.target.value)}
          />
        ))}
        <button type="button" onClick={() => void verify()}>
          Verify again
        </button>
        {verification && (
          <span className={verification.ok ? 'badge ok' : 'badge bad'} data-testid="chain-status">
            {verification.ok
              ? `chain verified: ${verification.count} records`
              : `chain BROKEN at ${verification.firstBad.seq} (${verification.firstBad.problem}): ${verification.firstBad.message}`}
          </span>
        )}
        {arrived > 0 && (
          <span className="muted" data-testid="arrived">
            +{arrived} records since verified
          </span>
        )}
      </div>
      {error && <p className="error">{error}</p>}
      {result && (
        <>
          <p className="muted" data-testid="audit-summary">
            {shown.length} of {result.matched} records match, newest first, live
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
              <div className="audit-grid row" title={r.reason} data-seq={r.seq}>
                <span className="num">{r.seq}</span>
                <span>{r.time.replace('T', ' ').slice(0, 19)}</span>
                <span className="ellipsis">{r.subject.name}</span>
                <span>{r.verb}</span>
                <span className="ellipsis">{[r.object.kind, objectPath(r)].filter(Boolean).join('/')}</span>
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

function refusal(e: unknown): string {
  const refused = e instanceof ApiFailure && (e.status === 403 || e.status === 404);
  return `${refused ? 'The audit trail is not available to this token: ' : ''}${(e as Error).message}`;
}
