/** The API group and version every Strata kind is served under. */
export const GROUP = 'strata.dev';
export const VERSION = 'v1alpha1';
export const API_VERSION = `${GROUP}/${VERSION}`;

/** Labels and annotations: string to string, validated at the edge. */
export type StringMap = Readonly<Record<string, string>>;

/**
 * Metadata as stored and served. The server owns uid, resourceVersion,
 * generation and creationTimestamp; clients may echo them back (the
 * resourceVersion then acts as a precondition) but never set them.
 */
export interface ObjectMeta {
  readonly name: string;
  /** Owning tenant, for kinds that belong to one; derived from the project for project-scoped kinds. */
  readonly tenant?: string;
  /** The project (namespace) of project-scoped kinds. */
  readonly project?: string;
  readonly labels?: StringMap;
  readonly annotations?: StringMap;
  readonly uid: string;
  readonly resourceVersion: string;
  readonly generation: number;
  readonly creationTimestamp: string;
}

/** Every stored object: apiVersion, kind, metadata, spec, status. */
export interface ApiObject<Spec = unknown, Status = unknown> {
  readonly apiVersion: typeof API_VERSION;
  readonly kind: string;
  readonly metadata: ObjectMeta;
  readonly spec: Spec;
  readonly status?: Status;
}

/** What a writer hands the store: the user-owned part of an object, already validated. */
export interface ObjectInput<Spec = unknown> {
  readonly kind: string;
  readonly metadata: {
    readonly name: string;
    readonly tenant?: string;
    readonly project?: string;
    readonly labels?: StringMap;
    readonly annotations?: StringMap;
    /** When present, the write succeeds only if the stored object still has this version. */
    readonly resourceVersion?: string;
  };
  readonly spec: Spec;
}

/** Identifies one object: cluster-path kinds have no project. */
export interface ObjectKey {
  readonly kind: string;
  readonly project?: string;
  readonly name: string;
}

export function keyOf(object: { kind: string; metadata: { name: string; project?: string } }): ObjectKey {
  return object.metadata.project === undefined
    ? { kind: object.kind, name: object.metadata.name }
    : { kind: object.kind, project: object.metadata.project, name: object.metadata.name };
}

export function describeKey(key: ObjectKey): string {
  return key.project === undefined ? `${key.kind} ${key.name}` : `${key.kind} ${key.project}/${key.name}`;
}
