import type { StringMap } from './object.js';

/**
 * Kubernetes label selectors: `a=b`, `a==b`, `a!=b`, `a in (x,y)`, `a notin (x)`, `a`, `!a`,
 * joined by commas (all must hold).
 */
export type Requirement =
  | { readonly key: string; readonly op: 'in'; readonly values: readonly string[] }
  | { readonly key: string; readonly op: 'notin'; readonly values: readonly string[] }
  | { readonly key: string; readonly op: 'exists' }
  | { readonly key: string; readonly op: 'doesnotexist' };

export type LabelSelector = readonly Requirement[];

export class SelectorSyntaxError extends Error {
  override readonly name = 'SelectorSyntaxError';
}

const KEY = /^([a-z0-9]([-a-z0-9.]*[a-z0-9])?\/)?[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$/;
const VALUE = /^([A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?)?$/;

function splitTopLevel(text: string): string[] {
  const parts: string[] = [];
  let depth = 0;
  let current = '';
  for (const ch of text) {
    if (ch === '(') depth++;
    if (ch === ')') depth--;
    if (depth < 0) throw new SelectorSyntaxError(`unbalanced ")" in "${text}"`);
    if (ch === ',' && depth === 0) {
      parts.push(current);
      current = '';
    } else {
      current += ch;
    }
  }
  if (depth !== 0) throw new SelectorSyntaxError(`unbalanced "(" in "${text}"`);
  parts.push(current);
  return parts.map((p) => p.trim()).filter((p) => p.length > 0);
}

function checkKey(key: string): string {
  if (!KEY.test(key) || key.length > 317) throw new SelectorSyntaxError(`"${key}" is not a valid label key`);
  return key;
}

function checkValue(value: string): string {
  if (!VALUE.test(value) || value.length > 63) {
    throw new SelectorSyntaxError(`"${value}" is not a valid label value`);
  }
  return value;
}

function parseRequirement(term: string): Requirement {
  const set = /^(\S+)\s+(in|notin)\s*\(([^)]*)\)$/.exec(term);
  if (set) {
    const values = set[3]!
      .split(',')
      .map((v) => v.trim())
      .filter((v) => v.length > 0)
      .map(checkValue);
    if (values.length === 0) throw new SelectorSyntaxError(`"${term}" lists no values`);
    return { key: checkKey(set[1]!), op: set[2] as 'in' | 'notin', values };
  }
  const inequality = /^([^=!\s]+)\s*!=\s*(\S*)$/.exec(term);
  if (inequality) return { key: checkKey(inequality[1]!), op: 'notin', values: [checkValue(inequality[2]!)] };
  const equality = /^([^=!\s]+)\s*==?\s*(\S*)$/.exec(term);
  if (equality) return { key: checkKey(equality[1]!), op: 'in', values: [checkValue(equality[2]!)] };
  const absent = /^!\s*(\S+)$/.exec(term);
  if (absent) return { key: checkKey(absent[1]!), op: 'doesnotexist' };
  if (/^\S+$/.test(term)) return { key: checkKey(term), op: 'exists' };
  throw new SelectorSyntaxError(`cannot parse "${term}"`);
}

export function parseLabelSelector(text: string): LabelSelector {
  return splitTopLevel(text).map(parseRequirement);
}

function matches(req: Requirement, value: string | undefined): boolean {
  switch (req.op) {
    case 'in':
      return value !== undefined && req.values.includes(value);
    case 'notin':
      return value === undefined || !req.values.includes(value);
    case 'exists':
      return value !== undefined;
    case 'doesnotexist':
      return value === undefined;
  }
}

export function matchesSelector(selector: LabelSelector, labels: StringMap | undefined): boolean {
  return selector.every((req) => matches(req, labels?.[req.key]));
}
