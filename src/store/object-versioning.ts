import { canonicallyEqual } from '../governance/audit/canonical-json.js';
import {
  API_VERSION,
  type ApiObject,
  type ObjectInput,
  type ObjectKey,
  type ObjectMeta,
  type StringMap,
} from '../model/object.js';
import { StaleVersionError } from './errors.js';

/**
 * The pure rules of how a stored object moves from one version to the next;
 * the SQL store only decides when to call them and writes what they return.
 */

type ServerFields = Pick<ObjectMeta, 'uid' | 'resourceVersion' | 'generation' | 'creationTimestamp'>;

/** Throws StaleVersionError when the writer named a resourceVersion other than the stored one. */
export function checkPrecondition(key: ObjectKey, stored: ApiObject, expected: string | undefined): void {
  if (expected !== undefined && expected !== stored.metadata.resourceVersion) {
    throw new StaleVersionError(key, expected, stored.metadata.resourceVersion);
  }
}

export function createdObject(input: ObjectInput, uid: string, revision: number, now: string): ApiObject {
  return {
    apiVersion: API_VERSION,
    kind: input.kind,
    metadata: metadata(input.metadata, {
      uid,
      resourceVersion: String(revision),
      generation: 1,
      creationTimestamp: now,
    }),
    spec: input.spec,
  };
}

/** What replacing `stored` with `input` would change; neither means the write is a no-op. */
export interface ContentChange {
  readonly spec: boolean;
  /** Labels, annotations or tenant. */
  readonly metadata: boolean;
}

export function contentChange(stored: ApiObject, input: ObjectInput): ContentChange {
  const a = stored.metadata;
  const b = input.metadata;
  return {
    spec: !canonicallyEqual(stored.spec, input.spec),
    metadata:
      a.tenant !== b.tenant ||
      !canonicallyEqual(nonEmpty(a.labels), nonEmpty(b.labels)) ||
      !canonicallyEqual(nonEmpty(a.annotations), nonEmpty(b.annotations)),
  };
}

/**
 * Labels, annotations, tenant and spec from `input`; uid, creationTimestamp
 * and status kept. Generation counts spec changes only, so a controller can
 * tell "the user asked for something new" from "someone relabelled it".
 */
export function replacedObject(
  stored: ApiObject,
  input: ObjectInput,
  revision: number,
  specChanged: boolean,
): ApiObject {
  const m = stored.metadata;
  return withStatusOf(stored, {
    apiVersion: API_VERSION,
    kind: stored.kind,
    metadata: metadata(
      { ...input.metadata, name: m.name, project: m.project },
      {
        uid: m.uid,
        resourceVersion: String(revision),
        generation: specChanged ? m.generation + 1 : m.generation,
        creationTimestamp: m.creationTimestamp,
      },
    ),
    spec: input.spec,
  });
}

/** `stored` with its status replaced (undefined removes it); generation unchanged. */
export function statusReplaced(stored: ApiObject, status: unknown, revision: number): ApiObject {
  const { status: _old, ...rest } = stored;
  const next: ApiObject = { ...rest, metadata: { ...stored.metadata, resourceVersion: String(revision) } };
  return status === undefined ? next : { ...next, status };
}

/** `stored` stamped with `revision`: how a DELETED event shows the object. */
export function atRevision(stored: ApiObject, revision: number): ApiObject {
  return { ...stored, metadata: { ...stored.metadata, resourceVersion: String(revision) } };
}

function withStatusOf(stored: ApiObject, next: ApiObject): ApiObject {
  return stored.status === undefined ? next : { ...next, status: stored.status };
}

/** Built member by member so stored JSON reads in a fixed, human order and holds no undefined members. */
function metadata(input: ObjectInput['metadata'], server: ServerFields): ObjectMeta {
  const labels = nonEmpty(input.labels);
  const annotations = nonEmpty(input.annotations);
  return {
    name: input.name,
    ...(input.tenant === undefined ? undefined : { tenant: input.tenant }),
    ...(input.project === undefined ? undefined : { project: input.project }),
    ...(labels === undefined ? undefined : { labels }),
    ...(annotations === undefined ? undefined : { annotations }),
    uid: server.uid,
    resourceVersion: server.resourceVersion,
    generation: server.generation,
    creationTimestamp: server.creationTimestamp,
  };
}

/** An empty map is stored as no map, so `labels: {}` and no labels are the same object. */
function nonEmpty(map: StringMap | undefined): StringMap | undefined {
  return map === undefined || Object.keys(map).length === 0 ? undefined : map;
}
