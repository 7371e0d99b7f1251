/**
 * Canonical JSON in the style of RFC 8785 (JCS) for plain JSON data: object
 * keys sorted by UTF-16 code units (what `Array.prototype.sort` does by
 * default), no whitespace, members whose value is undefined dropped, strings
 * and numbers written exactly as `JSON.stringify` writes them (JCS adopts the
 * ECMAScript number and string serialisation, so the two agree).
 *
 * Two values that are equal as JSON data always give the same text, whatever
 * the order their keys were inserted in; that is what digests and the audit
 * chain hash.
 *
 * Throws TypeError for what JSON cannot represent faithfully: non-finite
 * numbers (JSON.stringify would silently write null), bigints, functions,
 * symbols, and an undefined top-level value.
 */
export function canonicalJson(value: unknown): string {
  const text = encode(value);
  if (text === undefined) throw new TypeError('canonical JSON cannot encode undefined');
  return text;
}

/**
 * True exactly when `canonicalJson(a) === canonicalJson(b)`, compared in place
 * without building either text: the store asks this of every spec it is
 * handed, and most of them are unchanged.
 */
export function canonicallyEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false;
  if (Array.isArray(a) || Array.isArray(b)) {
    if (!Array.isArray(a) || !Array.isArray(b) || a.length !== b.length) return false;
    // An undefined slot is written as null.
    for (let i = 0; i < a.length; i++) if (!canonicallyEqual(a[i] ?? null, b[i] ?? null)) return false;
    return true;
  }
  const x = a as Record<string, unknown>;
  const y = b as Record<string, unknown>;
  let members = 0;
  for (const key in x) {
    if (!Object.hasOwn(x, key) || x[key] === undefined) continue;
    if (!Object.hasOwn(y, key) || !canonicallyEqual(x[key], y[key])) return false;
    members++;
  }
  // Every defined member of x matched one of y; y is equal if it has no others.
  for (const key in y) if (Object.hasOwn(y, key) && y[key] !== undefined) members--;
  return members === 0;
}

/** Returns undefined for undefined so that object members and array slots can treat it as JSON.stringify does. */
function encode(value: unknown): string | undefined {
  switch (typeof value) {
    case 'string':
      return JSON.stringify(value);
    case 'number':
      if (!Number.isFinite(value)) throw new TypeError(`canonical JSON cannot encode the number ${value}`);
      return JSON.stringify(value);
    case 'boolean':
      return value ? 'true' : 'false';
    case 'undefined':
      return undefined;
    case 'object':
      if (value === null) return 'null';
      return Array.isArray(value) ? encodeArray(value) : encodeObject(value as Record<string, unknown>);
    default:
      throw new TypeError(`canonical JSON cannot encode a ${typeof value}`);
  }
}

function encodeArray(values: readonly unknown[]): string {
  let text = '[';
  for (let i = 0; i < values.length; i++) {
    if (i > 0) text += ',';
    // As in JSON.stringify, an undefined slot keeps its position as null.
    text += encode(values[i]) ?? 'null';
  }
  return `${text}]`;
}

function encodeObject(object: Record<string, unknown>): string {
  const keys = Object.keys(object).sort();
  let text = '{';
  let first = true;
  for (const key of keys) {
    const member = encode(object[key]);
    if (member === undefined) continue;
    if (!first) text += ',';
    text += `${JSON.stringify(key)}:${member}`;
    first = false;
  }
  return `${text}}`;
}
