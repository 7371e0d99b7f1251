import { canonicallyEqual } from '../../src/governance/audit/canonical-json.js';
import { findKind } from '../../src/model/kinds.js';
import { API_VERSION, type ApiObject } from '../../src/model/object.js';
import { type ParseResult, parseObject, parseStatus } from '../../src/model/parse-object.js';

/**
 * The documents the crash load writes. Every write carries its counter (one
 * per object, across spec, status and delete), in a label and inside the spec
 * or status, so a stored object tells which write it came from, and a torn
 * write (label of one write, spec of another) cannot pass for a whole one.
 */

export const WRITE_LABEL = 'crash.strata.dev/write';
export const CLIENT_LABEL = 'crash.strata.dev/client';

/** The shared parents every crash Node hangs off; created before the load and never touched again. */
export const PARENT_SITE = 'crash-site';
export const PARENT_CLUSTER = 'crash-cluster';

export type CrashKind = 'Site' | 'Node';

export function pluralOf(kind: string): string {
  return findKind(kind)!.plural;
}

export interface Document {
  readonly apiVersion: string;
  readonly kind: string;
  readonly metadata: { readonly name: string; readonly labels?: Record<string, string> };
  readonly spec: Record<string, unknown>;
}

export function parentDocuments(): readonly Document[] {
  return [
    {
      apiVersion: API_VERSION,
      kind: 'Site',
      metadata: { name: PARENT_SITE },
      spec: {
        region: 'crash',
        jurisdiction: { country: 'DE', regime: 'EU' },
        provider: 'on-prem',
        timeZone: 'Europe/Berlin',
        powerBudgetKW: 1000,
        tariff: { currency: 'EUR', pricePerKWh: 0.2 },
      },
    },
    {
      apiVersion: API_VERSION,
      kind: 'Cluster',
      metadata: { name: PARENT_CLUSTER },
      // Agent nodes: only the load's own status writes touch them (a simulated cluster's nodes are
      // reported Ready by the simulated provider, which the ledger would count as invented writes).
      spec: { site: PARENT_SITE, provider: 'agent' },
    },
  ];
}

/**
 * Written once the load has stopped, one per watched kind (Site, Node): a
 * watcher that has seen its marker has seen every change before it.
 */
export function markerDocuments(): readonly Document[] {
  const [site] = parentDocuments();
  return [
    { ...site!, spec: { ...site!.spec, description: 'crash run finished' } },
    {
      apiVersion: API_VERSION,
      kind: 'Node',
      metadata: { name: 'crash-marker' },
      spec: { cluster: PARENT_CLUSTER, cpu: { cores: 1 }, memory: '1Gi' },
    },
  ];
}

/** The spec write number `counter` of object `name` sends: sizes vary so writes differ in length. */
export function specDocument(kind: CrashKind, name: string, client: number, counter: number): Document {
  const metadata = { name, labels: { [CLIENT_LABEL]: String(client), [WRITE_LABEL]: String(counter) } };
  if (kind === 'Site') {
    return {
      apiVersion: API_VERSION,
      kind,
      metadata,
      spec: {
        region: `crash-${client}`,
        jurisdiction: { country: 'DE', regime: 'EU' },
        provider: 'on-prem',
        timeZone: 'Europe/Berlin',
        powerBudgetKW: 100 + counter,
        tariff: {
          currency: 'EUR',
          pricePerKWh: 0.1,
          periods: Array.from({ length: counter % 4 }, (_, i) => ({
            from: `0${i}:00`,
            to: `0${i + 1}:00`,
            pricePerKWh: counter / 1000,
          })),
        },
        description: `${name} write ${counter}`,
      },
    };
  }
  const gpus = 1 + (counter % 8);
  return {
    apiVersion: API_VERSION,
    kind,
    metadata,
    spec: {
      cluster: PARENT_CLUSTER,
      cpu: { cores: 8 + counter, numaNodes: 2, model: `${name} write ${counter}` },
      memory: '512Gi',
      acceleratorSlots: 8,
      accelerators: Array.from({ length: gpus }, (_, index) => ({
        index,
        model: 'H100-SXM-80GB',
        uuid: `GPU-${name}-${counter}-${index}`,
        numaNode: index < 4 ? 0 : 1,
      })),
    },
  };
}

/** The status write number `counter` sends (as the body of PUT …/status). */
export function statusBody(kind: CrashKind, name: string, counter: number): { status: unknown } {
  if (kind === 'Node') return { status: { state: 'Ready', message: `${name} write ${counter}` } };
  return { status: { crash: { object: name, write: counter } } };
}

/** The counter a stored spec write carries, from its label; undefined when it has none. */
export function specCounterOf(object: ApiObject): number | undefined {
  const label = object.metadata.labels?.[WRITE_LABEL];
  return label === undefined ? undefined : Number(label);
}

/** The counter of the status write a stored status came from; undefined when it has no status. */
export function statusCounterOf(object: ApiObject): number | undefined {
  const status = object.status as { message?: string; crash?: { write?: number } } | undefined;
  if (status === undefined) return undefined;
  if (object.kind === 'Node') {
    const match = / write (\d+)$/.exec(status.message ?? '');
    return match ? Number(match[1]) : Number.NaN;
  }
  return status.crash?.write ?? Number.NaN;
}

/** Validates the user-owned part of a stored object again, as the write that made it. */
export function revalidate(object: ApiObject): ParseResult {
  const { name, tenant, project, labels, annotations } = object.metadata;
  return parseObject({
    apiVersion: object.apiVersion,
    kind: object.kind,
    metadata: {
      name,
      ...(tenant !== undefined && { tenant }),
      ...(project !== undefined && { project }),
      ...(labels !== undefined && { labels }),
      ...(annotations !== undefined && { annotations }),
    },
    spec: object.spec,
  });
}

/**
 * Why a stored object is not exactly one a client sent (undefined when it is):
 * its user-owned part must parse and validate as a write, and equal, after the
 * schema's defaults, the document of the write its label names, status included.
 */
export function notAsSent(object: ApiObject): string | undefined {
  const { name, labels } = object.metadata;
  const parsed = revalidate(object);
  if (!parsed.ok)
    return `does not validate: ${parsed.issues.map((i) => `${i.field}: ${i.message}`).join('; ')}`;
  const counter = specCounterOf(object);
  const client = Number(labels?.[CLIENT_LABEL]);
  if (counter === undefined || !Number.isInteger(counter) || !Number.isInteger(client)) {
    return `has no ${WRITE_LABEL} or ${CLIENT_LABEL} label`;
  }
  const sent = parseObject(specDocument(object.kind as CrashKind, name, client, counter));
  if (!sent.ok) throw new Error(`the crash load's own document does not validate: ${JSON.stringify(sent)}`);
  if (
    !canonicallyEqual(sent.input.spec, object.spec) ||
    !canonicallyEqual(sent.input.metadata.labels, labels)
  ) {
    return `spec or labels differ from write ${counter}'s`;
  }
  if (object.status !== undefined) {
    const def = findKind(object.kind)!;
    const status = parseStatus(def, object.status);
    if (!status.ok) return `status does not validate: ${status.issues.map((i) => i.message).join('; ')}`;
    const statusCounter = statusCounterOf(object)!;
    const expected = parseStatus(def, statusBody(object.kind as CrashKind, name, statusCounter).status);
    if (!expected.ok || !canonicallyEqual(expected.status, object.status)) {
      return `status differs from status write ${statusCounter}'s`;
    }
  }
  return undefined;
}
