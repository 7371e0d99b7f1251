/**
 * Seed lists for the simulator's `--seeds` flag: a range (`42-51`), a comma list (`42,43`), a
 * single seed (`7`), or a comma list of ranges (`1-3,10`). Seeds are non-negative safe integers;
 * duplicates are dropped and the first-seen order kept, so a list reads back as written.
 */

export class SeedListError extends Error {
  constructor(
    readonly input: string,
    readonly reason: string,
  ) {
    super(`'${input}': ${reason}`);
    this.name = 'SeedListError';
  }
}

/** Larger lists are almost certainly a typo (`42-5100`), and would run for hours. */
export const MAX_SEEDS = 1000;

const SEED = /^\d+$/;

function seedOf(input: string, text: string): number {
  if (!SEED.test(text)) throw new SeedListError(input, `'${text}' is not a non-negative integer`);
  const n = Number(text);
  if (!Number.isSafeInteger(n)) throw new SeedListError(input, `'${text}' is too large`);
  return n;
}

export function parseSeedList(input: string): number[] {
  const trimmed = input.trim();
  if (trimmed === '') throw new SeedListError(input, 'no seed given');
  const seeds: number[] = [];
  const seen = new Set<number>();
  const add = (seed: number): void => {
    if (seen.has(seed)) return;
    seen.add(seed);
    seeds.push(seed);
    if (seeds.length > MAX_SEEDS) throw new SeedListError(input, `more than ${MAX_SEEDS} seeds`);
  };
  for (const raw of trimmed.split(',')) {
    const part = raw.trim();
    if (part === '') throw new SeedListError(input, 'empty item in the list');
    const dash = part.indexOf('-');
    if (dash < 0) {
      add(seedOf(input, part));
      continue;
    }
    const from = seedOf(input, part.slice(0, dash).trim());
    const to = seedOf(input, part.slice(dash + 1).trim());
    if (to < from) throw new SeedListError(input, `range ${part} runs backwards`);
    if (to - from >= MAX_SEEDS) throw new SeedListError(input, `more than ${MAX_SEEDS} seeds`);
    for (let s = from; s <= to; s++) add(s);
  }
  return seeds;
}

/** The shortest text that parses back to the same list: `42-51`, `7`, `1,3,5`. */
export function formatSeedList(seeds: readonly number[]): string {
  const parts: string[] = [];
  let i = 0;
  while (i < seeds.length) {
    let j = i;
    while (j + 1 < seeds.length && seeds[j + 1] === seeds[j]! + 1) j++;
    parts.push(j - i >= 2 ? `${seeds[i]}-${seeds[j]}` : seeds.slice(i, j + 1).join(','));
    i = j + 1;
  }
  return parts.join(',');
}
