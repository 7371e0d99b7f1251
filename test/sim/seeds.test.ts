import { describe, expect, it } from 'vitest';
import { formatSeedList, MAX_SEEDS, parseSeedList, SeedListError } from '../../src/sim/seeds.js';

describe('parseSeedList', () => {
  it.each([
    { input: '42-51', seeds: [42, 43, 44, 45, 46, 47, 48, 49, 50, 51] },
    { input: '42,43', seeds: [42, 43] },
    { input: '7', seeds: [7] },
    { input: '0', seeds: [0] },
    { input: ' 1-3 , 10 ', seeds: [1, 2, 3, 10] },
    { input: '5-5', seeds: [5] },
    { input: '3,1,3,2', seeds: [3, 1, 2] },
  ])('$input reads as $seeds', ({ input, seeds }) => {
    expect(parseSeedList(input)).toEqual(seeds);
  });

  it.each([
    { input: '', reason: 'no seed given' },
    { input: 'abc', reason: "'abc' is not a non-negative integer" },
    { input: '-3', reason: "'' is not a non-negative integer" },
    { input: '1.5', reason: "'1.5' is not a non-negative integer" },
    { input: '51-42', reason: 'range 51-42 runs backwards' },
    { input: '42,,43', reason: 'empty item in the list' },
    { input: '1-2-3', reason: "'2-3' is not a non-negative integer" },
    { input: '99999999999999999999', reason: "'99999999999999999999' is too large" },
    { input: `0-${MAX_SEEDS}`, reason: `more than ${MAX_SEEDS} seeds` },
  ])('rejects "$input": $reason', ({ input, reason }) => {
    expect(() => parseSeedList(input)).toThrow(SeedListError);
    expect(() => parseSeedList(input)).toThrow(reason);
  });
});

describe('formatSeedList', () => {
  it.each([
    { seeds: [42, 43, 44, 45, 46, 47, 48, 49, 50, 51], text: '42-51' },
    { seeds: [7], text: '7' },
    { seeds: [42, 43], text: '42,43' },
    { seeds: [1, 2, 3, 10, 20, 21, 22], text: '1-3,10,20-22' },
  ])('$seeds is written $text and reads back the same', ({ seeds, text }) => {
    expect(formatSeedList(seeds)).toBe(text);
    expect(parseSeedList(text)).toEqual(seeds);
  });
});
