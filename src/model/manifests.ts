import YAML from 'yaml';
import { findKind, KINDS } from './kinds.js';

/** One document of a manifest, with where it came from for error messages. */
export interface ManifestDocument {
  readonly source: string;
  /** 1-based position of the document in its file. */
  readonly index: number;
  readonly value: unknown;
}

export interface ManifestError {
  readonly source: string;
  readonly index: number;
  readonly message: string;
}

/**
 * Splits multi-document YAML (or JSON) into documents. A malformed document is
 * reported on its own; the others are still returned, so each succeeds or
 * fails by itself.
 */
export function parseManifest(
  text: string,
  source: string,
): { documents: ManifestDocument[]; errors: ManifestError[] } {
  const documents: ManifestDocument[] = [];
  const errors: ManifestError[] = [];
  const docs = YAML.parseAllDocuments(text, { prettyErrors: true });
  const all = Array.isArray(docs) ? docs : [docs];
  all.forEach((doc, i) => {
    const index = i + 1;
    const error = doc.errors[0];
    if (error) {
      const line = error.linePos?.[0]?.line;
      errors.push({
        source,
        index,
        message: `malformed YAML${line ? ` at line ${line}` : ''}: ${error.message.split('\n')[0]}`,
      });
      return;
    }
    let value: unknown;
    try {
      value = doc.toJS({ maxAliasCount: 100 });
    } catch (e) {
      errors.push({ source, index, message: `malformed YAML: ${(e as Error).message}` });
      return;
    }
    if (value === null || value === undefined) return;
    if (Array.isArray(value) || typeof value !== 'object') {
      errors.push({
        source,
        index,
        message: 'a document must be a mapping with apiVersion, kind, metadata and spec',
      });
      return;
    }
    // A Kubernetes-style List expands into its items.
    const list = value as { kind?: unknown; items?: unknown };
    if (typeof list.kind === 'string' && list.kind.endsWith('List') && Array.isArray(list.items)) {
      for (const item of list.items) documents.push({ source, index, value: item });
      return;
    }
    documents.push({ source, index, value });
  });
  return { documents, errors };
}

/** Orders documents so referenced kinds come first (sites before clusters before nodes …); stable otherwise. */
export function sortForApply(documents: readonly ManifestDocument[]): ManifestDocument[] {
  const rank = (doc: ManifestDocument) => {
    const kind = (doc.value as { kind?: unknown }).kind;
    const def = typeof kind === 'string' ? findKind(kind) : undefined;
    return def ? KINDS.indexOf(def) : KINDS.length;
  };
  return documents
    .map((doc, position) => ({ doc, position, rank: rank(doc) }))
    .sort((a, b) => a.rank - b.rank || a.position - b.position)
    .map((entry) => entry.doc);
}
