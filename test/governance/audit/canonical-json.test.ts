import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { canonicalJson, canonicallyEqual } from '../../../src/governance/audit/canonical-json.js';
import { objectDigest, sha256Hex } from '../../../src/governance/audit/digest.js';

describe('canonicalJson', () => {
  const cases: { rule: string; value: unknown; text: string }[] = [
    {
      rule: 'sorts keys at every depth',
      value: { b: 1, a: { d: [3, { z: 1, y: 2 }], c: null } },
      text: '{"a":{"c":null,"d":[3,{"y":2,"z":1}]},"b":1}',
    },
    {
      rule: 'sorts by UTF-16 code units, not locale',
      value: { é: 1, z: 2, Z: 3, '😀': 4, '\uffff': 5 },
      text: '{"Z":3,"z":2,"é":1,"😀":4,"\uffff":5}',
    },
    { rule: 'drops undefined members', value: { a: undefined, b: 1 }, text: '{"b":1}' },
    { rule: 'writes undefined array slots as null', value: [1, undefined, 2], text: '[1,null,2]' },
    {
      rule: 'writes numbers as JSON.stringify does',
      value: [1e21, 0.1, -0, 1.5e-7, 100],
      text: '[1e+21,0.1,0,1.5e-7,100]',
    },
    {
      rule: 'escapes strings as JSON.stringify does',
      value: 'a"b\\c\n\u0001',
      text: '"a\\"b\\\\c\\n\\u0001"',
    },
    {
      rule: 'writes no whitespace',
      value: { a: [true, false, null, 'x y'] },
      text: '{"a":[true,false,null,"x y"]}',
    },
  ];
  for (const { rule, value, text } of cases) {
    it(rule, () => {
      expect(canonicalJson(value)).toBe(text);
    });
  }

  it('is independent of key insertion order', () => {
    const a = {
      kind: 'Node',
      metadata: { name: 'n1', labels: { x: '1', y: '2' } },
      spec: { gpus: 8, model: 'H100' },
    };
    const b = {
      spec: { model: 'H100', gpus: 8 },
      metadata: { labels: { y: '2', x: '1' }, name: 'n1' },
      kind: 'Node',
    };
    expect(canonicalJson(a)).toBe(canonicalJson(b));
    expect(canonicallyEqual(a, b)).toBe(true);
    expect(objectDigest(a)).toBe(objectDigest(b));
    expect(canonicallyEqual(a, { ...b, kind: 'Site' })).toBe(false);
  });

  it('refuses what JSON cannot carry faithfully', () => {
    for (const bad of [Number.NaN, Number.POSITIVE_INFINITY, 1n, () => 1, Symbol('s')]) {
      expect(() => canonicalJson({ a: [bad] })).toThrow(TypeError);
    }
    expect(() => canonicalJson(undefined)).toThrow(TypeError);
  });
});

describe('canonicallyEqual', () => {
  /** The same JSON data with every object's keys inserted in reverse order. */
  function reversed(value: unknown): unknown {
    if (Array.isArray(value)) return value.map(reversed);
    if (typeof value !== 'object' || value === null) return value;
    return Object.fromEntries(
      Object.entries(value)
        .reverse()
        .map(([k, v]) => [k, reversed(v)]),
    );
  }

  it('agrees with comparing canonical texts', () => {
    fc.assert(
      fc.property(fc.jsonValue(), fc.jsonValue(), (a, b) => {
        expect(canonicallyEqual(a, b)).toBe(canonicalJson(a) === canonicalJson(b));
        expect(canonicallyEqual(a, reversed(a))).toBe(true);
      }),
    );
  });

  const cases: { rule: string; a: unknown; b: unknown; equal: boolean }[] = [
    { rule: 'an undefined member equals a missing one', a: { x: 1, y: undefined }, b: { x: 1 }, equal: true },
    { rule: 'an undefined array slot equals null', a: [undefined], b: [null], equal: true },
    { rule: 'an extra member differs', a: { x: 1 }, b: { x: 1, y: 2 }, equal: false },
    { rule: 'an array differs from an object with index keys', a: ['a'], b: { 0: 'a' }, equal: false },
    { rule: 'null differs from an empty object', a: null, b: {}, equal: false },
  ];
  for (const { rule, a, b, equal } of cases) {
    it(rule, () => {
      expect(canonicallyEqual(a, b)).toBe(equal);
      expect(canonicallyEqual(b, a)).toBe(equal);
    });
  }
});

describe('digests', () => {
  it('sha256Hex hashes UTF-8 text', () => {
    expect(sha256Hex('abc')).toBe('ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
  });
});
