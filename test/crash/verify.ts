import type { AuditRecord } from '../../src/governance/audit/audit-event.js';
import { canonicallyEqual } from '../../src/governance/audit/canonical-json.js';
import { ChainVerifier } from '../../src/governance/audit/chain.js';
import { objectDigest } from '../../src/governance/audit/digest.js';
import { KINDS } from '../../src/model/kinds.js';
import type { ApiObject } from '../../src/model/object.js';
import type { Store, StoreEvent } from '../../src/store/store.js';
import { CLIENT_LABEL, notAsSent, revalidate, specCounterOf, statusCounterOf } from './documents.js';
import type { Ack, Ledger, ObjectLedger } from './ledger.js';
import type { WatchedEvent } from './watch-observer.js';

const PAGE = 1000;
/** Problems listed in full; beyond this only counted, so one systematic fault does not bury the rest. */
const MAX_LISTED = 50;

/** What one watcher saw of one kind, between two revisions. */
export interface WatchRecord {
  readonly kind: string;
  /** It watched changes after this revision… */
  readonly from: number;
  /** …up to this one, which it is known to have reached. */
  readonly until: number;
  readonly events: readonly WatchedEvent[];
}

export interface Verification {
  /** The store's revision, the last event's and the lists' (checked equal). */
  readonly revision: number;
  readonly events: number;
  readonly objects: number;
  readonly auditRecords: number;
  /** Writes a client saw answered 2xx, each checked against the event log and the final state. */
  readonly acknowledgedWrites: number;
  /** Acknowledged writes missing from the event log or overtaken by older state. Must be 0. */
  readonly losses: number;
  /** Writes sent that no answer acknowledged (cut off by a kill, refused during an outage). */
  readonly unacknowledgedWrites: number;
  /** …of which the event log shows the effect: committed, but the answer never arrived. */
  readonly unacknowledgedCommitted: number;
  /** Events delivered to watchers, each checked against the event log. */
  readonly watchedEvents: number;
  readonly problems: readonly string[];
}

/** One version of a crash object in the event log. */
interface Version {
  readonly revision: number;
  readonly type: StoreEvent['type'];
  readonly spec: number | undefined;
  readonly status: number | undefined;
}

function keyOf(object: ApiObject): string {
  const { kind, metadata } = object;
  return metadata.project === undefined
    ? `${kind}/${metadata.name}`
    : `${kind}/${metadata.project}/${metadata.name}`;
}

class Problems {
  readonly listed: string[] = [];
  count = 0;

  add(message: string): void {
    this.count++;
    if (this.listed.length < MAX_LISTED) this.listed.push(message);
  }

  all(): string[] {
    return this.count > this.listed.length
      ? [...this.listed, `… and ${this.count - this.listed.length} more`]
      : this.listed;
  }
}

/**
 * Checks a store after the load against what the clients were told:
 *
 * (a) every acknowledged write is in the event log at the revision its answer
 *     carried, and each object's final state is at least as new as its last
 *     acknowledged write;
 * (b) every version of every object (final and in the event log) validates and
 *     is exactly a document some client sent;
 * (c) revisions run 1, 2, 3, … without gaps, replaying the event log gives
 *     exactly the listed objects (each resourceVersion is an event), and the
 *     last event's revision is the store's and the lists' revision;
 * (d) the audit chain verifies end to end, and holds exactly one record per
 *     revision whose digests match the event log's before and after;
 * (e) watchers that resumed across the crashes saw every change of their kind
 *     exactly once, each exactly as the event log keeps it (none a crash took back).
 */
export async function verifyStore(
  store: Store,
  ledger: Ledger,
  watches: readonly WatchRecord[] = [],
): Promise<Verification> {
  const problems = new Problems();

  // (c) and (b): read the whole event log, replay it, check each step.
  const replay = new Map<string, ApiObject>();
  const history = new Map<string, Version[]>();
  const eventByRevision = new Map<number, StoreEvent>();
  /** The state each event replaced, for the audit digests. */
  const before = new Map<number, ApiObject | undefined>();
  let last = 0;
  for (;;) {
    const page = await store.events(last, PAGE);
    for (const event of page) {
      if (event.revision !== last + 1) {
        problems.add(`the event log jumps from revision ${last} to ${event.revision}`);
      }
      last = event.revision;
      eventByRevision.set(event.revision, event);
      checkEvent(event, replay, before, ledger, problems);
      const key = keyOf(event.object);
      if (ledger.objects.has(key)) {
        const versions = history.get(key) ?? [];
        versions.push({
          revision: event.revision,
          type: event.type,
          spec: specCounterOf(event.object),
          status: statusCounterOf(event.object),
        });
        history.set(key, versions);
      }
    }
    if (page.length < PAGE) break;
  }
  const revision = await store.currentRevision();
  if (revision !== last) problems.add(`the store is at revision ${revision} but its last event is ${last}`);

  // (c): the lists are exactly the replayed event log, at the same revision.
  const listed = new Map<string, ApiObject>();
  for (const def of KINDS) {
    let cont: string | undefined;
    do {
      const page = await store.list({
        kind: def.kind,
        limit: 500,
        ...(cont !== undefined && { continue: cont }),
      });
      if (page.revision !== revision) {
        problems.add(`listing ${def.plural} answered revision ${page.revision}, the store is at ${revision}`);
      }
      for (const object of page.items) listed.set(keyOf(object), object);
      cont = page.continue;
    } while (cont !== undefined);
  }
  for (const [key, object] of listed) {
    const replayed = replay.get(key);
    if (replayed === undefined) {
      problems.add(
        `${key} is stored (resourceVersion ${object.metadata.resourceVersion}) but no event created it`,
      );
    } else if (!canonicallyEqual(replayed, object)) {
      problems.add(
        `${key} is stored at resourceVersion ${object.metadata.resourceVersion}, the event log ends it at ${replayed.metadata.resourceVersion} with different content`,
      );
    }
  }
  for (const key of replay.keys()) {
    if (!listed.has(key)) problems.add(`${key} exists by the event log but is not stored`);
  }

  // (d): the audit chain, and one audit record per revision agreeing with the event log.
  const verifier = new ChainVerifier();
  const auditByRevision = new Map<number, AuditRecord[]>();
  let auditRecords = 0;
  for (let after = 0; ; ) {
    const page = await store.readAudit(after, PAGE);
    for (const record of page) {
      verifier.push(record);
      auditRecords++;
      if (record.revision !== undefined) {
        const records = auditByRevision.get(record.revision) ?? [];
        records.push(record);
        auditByRevision.set(record.revision, records);
      }
    }
    if (page.length < PAGE) break;
    after = page[page.length - 1]!.seq;
  }
  const verdict = verifier.result();
  if (!verdict.ok) problems.add(`the audit chain is broken: ${verdict.firstBad.message}`);
  for (const [rev, event] of eventByRevision) {
    const records = auditByRevision.get(rev) ?? [];
    if (records.length !== 1) {
      problems.add(`revision ${rev} has ${records.length} audit records, not 1`);
      continue;
    }
    const record = records[0]!;
    const prior = before.get(rev);
    if (
      record.object.kind !== event.object.kind ||
      record.object.name !== event.object.metadata.name ||
      record.object.project !== event.object.metadata.project
    ) {
      problems.add(`the audit record of revision ${rev} names ${record.object.kind}/${record.object.name}`);
    } else if (event.type !== 'DELETED' && record.afterDigest !== objectDigest(event.object)) {
      problems.add(`the audit record of revision ${rev} digests another object than the event's`);
    } else if (prior !== undefined && record.beforeDigest !== objectDigest(prior)) {
      problems.add(`the audit record of revision ${rev} digests another "before" than the event log's`);
    }
  }
  for (const rev of auditByRevision.keys()) {
    if (!eventByRevision.has(rev)) problems.add(`an audit record names revision ${rev}, which has no event`);
  }

  // (a): every acknowledged write against the event log and the final state.
  let losses = 0;
  let unacknowledged = 0;
  let unacknowledgedCommitted = 0;
  for (const object of ledger.objects.values()) {
    const versions = history.get(object.key) ?? [];
    const stored = listed.get(object.key);
    for (const ack of object.acks) {
      const why = ackProblem(ack, object, eventByRevision.get(ack.revision), stored);
      if (why !== undefined) {
        losses++;
        problems.add(
          `LOST: ${object.key} ${ack.part} write ${ack.counter} (acknowledged at revision ${ack.revision}) ${why}`,
        );
      }
    }
    for (const [counter, part] of object.sent) {
      if (object.acked.has(counter)) continue;
      unacknowledged++;
      if (part === 'spec' && versions.some((v) => v.type !== 'DELETED' && v.spec === counter))
        unacknowledgedCommitted++;
      if (part === 'status' && versions.some((v) => v.status === counter)) unacknowledgedCommitted++;
    }
  }

  // (e): what watchers saw is the event log, no more and no less.
  let watchedEvents = 0;
  for (const watch of watches) {
    const seen = new Set<number>();
    for (const watched of watch.events) {
      watchedEvents++;
      seen.add(watched.revision);
      const logged = eventByRevision.get(watched.revision);
      if (logged === undefined) {
        problems.add(
          `a watcher saw revision ${watched.revision} (${watched.type} ${watched.key}), which the event log does not have`,
        );
      } else if (
        logged.type !== watched.type ||
        keyOf(logged.object) !== watched.key ||
        objectDigest(logged.object) !== watched.digest
      ) {
        problems.add(
          `a watcher saw ${watched.type} ${watched.key} at revision ${watched.revision}; the event log has ${logged.type} ${keyOf(logged.object)} with ${objectDigest(logged.object) === watched.digest ? 'the same' : 'other'} content`,
        );
      }
    }
    for (const [rev, event] of eventByRevision) {
      if (event.object.kind === watch.kind && rev > watch.from && rev <= watch.until && !seen.has(rev)) {
        problems.add(
          `the ${watch.kind} watcher never saw revision ${rev} (${event.type} ${keyOf(event.object)})`,
        );
      }
    }
  }

  return {
    revision,
    events: eventByRevision.size,
    objects: listed.size,
    auditRecords,
    acknowledgedWrites: ledger.acknowledgedWrites,
    losses,
    unacknowledgedWrites: unacknowledged,
    unacknowledgedCommitted,
    watchedEvents,
    problems: problems.all(),
  };
}

/** Applies one event to the replayed state, checking it is a legal, whole step. */
function checkEvent(
  event: StoreEvent,
  replay: Map<string, ApiObject>,
  before: Map<number, ApiObject | undefined>,
  ledger: Ledger,
  problems: Problems,
): void {
  const { object, revision, type } = event;
  const key = keyOf(object);
  const at = `event ${revision} (${type} ${key})`;
  const prior = replay.get(key);
  before.set(revision, prior);
  if (object.metadata.resourceVersion !== String(revision)) {
    problems.add(`${at} carries resourceVersion ${object.metadata.resourceVersion}`);
  }
  if (type === 'ADDED') {
    if (prior !== undefined) problems.add(`${at} adds an object that exists`);
    else if (object.metadata.generation !== 1)
      problems.add(`${at} starts at generation ${object.metadata.generation}`);
  } else if (prior === undefined) {
    problems.add(`${at} changes an object that does not exist`);
  } else if (type === 'DELETED') {
    const expected = { ...prior, metadata: { ...prior.metadata, resourceVersion: String(revision) } };
    if (!canonicallyEqual(expected, object)) problems.add(`${at} does not show the object as it was`);
  } else {
    const m = object.metadata;
    const p = prior.metadata;
    const specChanged = !canonicallyEqual(prior.spec, object.spec);
    if (m.uid !== p.uid || m.creationTimestamp !== p.creationTimestamp) {
      problems.add(`${at} changes uid or creationTimestamp`);
    }
    if (m.generation !== p.generation + (specChanged ? 1 : 0)) {
      problems.add(`${at} moves generation ${p.generation} → ${m.generation} (spec changed: ${specChanged})`);
    }
    if (!canonicallyEqual(event.previousLabels ?? {}, p.labels ?? {})) {
      problems.add(`${at} reports previous labels that are not the object's`);
    }
  }
  if (type === 'DELETED') replay.delete(key);
  else replay.set(key, object);

  // (b): every version is whole and is one some client sent.
  const tracked = ledger.objects.get(key);
  if (tracked !== undefined || object.metadata.labels?.[CLIENT_LABEL] !== undefined) {
    const why = notAsSent(object);
    if (why !== undefined) problems.add(`${at} is half-written or invented: ${why}`);
    const spec = specCounterOf(object);
    const status = statusCounterOf(object);
    if (tracked === undefined) problems.add(`${at} is a crash object no client wrote`);
    else if (spec !== undefined && tracked.sent.get(spec) !== 'spec') {
      problems.add(`${at} shows spec write ${spec}, which its client never sent`);
    } else if (status !== undefined && tracked.sent.get(status) !== 'status') {
      problems.add(`${at} shows status write ${status}, which its client never sent`);
    }
  } else {
    const parsed = revalidate(object);
    if (!parsed.ok) problems.add(`${at} does not validate: ${JSON.stringify(parsed.issues)}`);
  }
}

/** Why an acknowledged write is not durable (undefined when it is). */
function ackProblem(
  ack: Ack,
  object: ObjectLedger,
  event: StoreEvent | undefined,
  stored: ApiObject | undefined,
): string | undefined {
  // The write itself: the version at the acknowledged revision is this object, showing this write.
  if (event === undefined) return 'has no event at that revision';
  if (keyOf(event.object) !== object.key)
    return `finds revision ${ack.revision} is about ${keyOf(event.object)}`;
  if (ack.part === 'delete') {
    if (event.type !== 'DELETED') return `finds a ${event.type} event at that revision`;
  } else if (event.type === 'DELETED') {
    return 'finds a DELETED event at that revision';
  } else if (ack.part === 'spec' && specCounterOf(event.object) !== ack.counter) {
    return `finds spec write ${specCounterOf(event.object)} at that revision`;
  } else if (ack.part === 'status' && statusCounterOf(event.object) !== ack.counter) {
    return `finds status write ${statusCounterOf(event.object)} at that revision`;
  }

  // The final state: at least as new as this write.
  const laterDelete = [...object.sent].some(([c, part]) => part === 'delete' && c > ack.counter);
  if (stored === undefined) {
    if (ack.part === 'delete' || laterDelete) return undefined;
    return 'but the object is gone';
  }
  if (Number(stored.metadata.resourceVersion) < ack.revision) {
    return `but the object is back at resourceVersion ${stored.metadata.resourceVersion}`;
  }
  const spec = specCounterOf(stored) ?? 0;
  if (ack.part === 'delete' && spec < ack.counter)
    return `but the object is still there at spec write ${spec}`;
  if (ack.part === 'spec' && spec < ack.counter) return `but the object is back at spec write ${spec}`;
  if (ack.part === 'status' && (statusCounterOf(stored) ?? 0) < ack.counter) {
    return `but the object is back at status write ${statusCounterOf(stored)}`;
  }
  return undefined;
}
