import type { ObjectInput, StringMap } from '../../src/model/object.js';
import type { MutationContext, TokenRecord } from '../../src/store/store.js';

/** Fluent ObjectInput fixtures with defaults, so a test states only what matters to it. */
export class InputBuilder {
  #kind: string;
  #name: string;
  #project: string | undefined;
  #tenant: string | undefined;
  #labels: Record<string, string> | undefined;
  #annotations: Record<string, string> | undefined;
  #resourceVersion: string | undefined;
  #spec: unknown = {};

  constructor(kind: string, name: string, project?: string) {
    this.#kind = kind;
    this.#name = name;
    this.#project = project;
  }

  tenant(tenant: string): this {
    this.#tenant = tenant;
    return this;
  }

  label(key: string, value: string): this {
    this.#labels = { ...this.#labels, [key]: value };
    return this;
  }

  labels(labels: StringMap): this {
    this.#labels = { ...labels };
    return this;
  }

  annotation(key: string, value: string): this {
    this.#annotations = { ...this.#annotations, [key]: value };
    return this;
  }

  spec(spec: unknown): this {
    this.#spec = spec;
    return this;
  }

  /** The precondition: write only if the stored object is at this version. */
  at(resourceVersion: string): this {
    this.#resourceVersion = resourceVersion;
    return this;
  }

  build(): ObjectInput {
    return {
      kind: this.#kind,
      metadata: {
        name: this.#name,
        ...(this.#project === undefined ? undefined : { project: this.#project }),
        ...(this.#tenant === undefined ? undefined : { tenant: this.#tenant }),
        ...(this.#labels === undefined ? undefined : { labels: this.#labels }),
        ...(this.#annotations === undefined ? undefined : { annotations: this.#annotations }),
        ...(this.#resourceVersion === undefined ? undefined : { resourceVersion: this.#resourceVersion }),
      },
      spec: this.#spec,
    };
  }
}

/** A cluster-path object. */
export function nodeInput(name: string): InputBuilder {
  return new InputBuilder('Node', name).spec({ gpus: 8 });
}

/** A project-scoped object. */
export function workloadInput(project: string, name: string): InputBuilder {
  return new InputBuilder('Workload', name, project).tenant('acme').spec({ gpus: 1 });
}

export function context(verb = 'apply', subject = 'alice', requestId = 'req-1'): MutationContext {
  return { requestId, subject: { name: subject }, verb };
}

export function tokenRecord(id: string, overrides: Partial<TokenRecord> = {}): TokenRecord {
  return {
    id,
    secretHash: `secret-hash-of-${id}`,
    subject: 'alice',
    createdAt: '2026-01-01T00:00:00.000Z',
    ...overrides,
  };
}
