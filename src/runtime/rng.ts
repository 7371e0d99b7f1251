/**
 * mulberry32: a small, fast seeded generator. Benchmarks, the crash harness and
 * the simulator take a seed so that a run's plan (request order, kill moments,
 * sampled pods) is reproducible; it is not for anything secret.
 */
export class Rng {
  #state: number;

  constructor(seed: number) {
    this.#state = seed >>> 0;
  }

  /** Uniform in [0, 1). */
  next(): number {
    this.#state = (this.#state + 0x6d2b79f5) >>> 0;
    let t = this.#state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }

  /** Uniform integer in [min, max]. */
  int(min: number, max: number): number {
    return min + Math.floor(this.next() * (max - min + 1));
  }

  chance(p: number): boolean {
    return this.next() < p;
  }

  pick<T>(items: readonly T[]): T {
    return items[Math.floor(this.next() * items.length)]!;
  }

  /** An independent generator derived from this one (one per client, so clients do not share a stream). */
  fork(): Rng {
    return new Rng(Math.floor(this.next() * 4294967296));
  }
}
