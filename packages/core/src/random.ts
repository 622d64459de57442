/**
 * Seeded pseudo-random numbers. Everything in aelab that shuffles, splits or generates
 * data draws from these, so the same seed gives the same bytes on every machine.
 */

/** A seeded generator of uniform floats in [0, 1) plus the few derived draws we need. */
export interface Rng {
  /** Uniform in [0, 1). */
  next(): number;
  /** Uniform integer in [0, n). */
  int(n: number): number;
  /** Uniform in [lo, hi). */
  uniform(lo: number, hi: number): number;
  /** Standard normal (Box-Muller; the spare value is cached). */
  normal(mean?: number, sd?: number): number;
  /** In-place Fisher-Yates shuffle (of an array or a typed array: the same order either way); returns it. */
  shuffle<A extends { length: number; [i: number]: unknown }>(items: A): A;
}

/**
 * mulberry32: a 32-bit state generator, tiny and fast, with good enough statistics for
 * shuffles and synthetic data (not for cryptography).
 */
export function mulberry32(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * Mixes an arbitrary number (or string) into a 32-bit seed, so seeds like 0, 1, 2 give
 * unrelated streams and string keys ("validation") can derive sub-seeds.
 */
export function deriveSeed(seed: number, salt: number | string = 0): number {
  let h = 0x811c9dc5 ^ (Math.floor(seed) >>> 0) ^ Math.floor(seed / 4294967296);
  const text = String(salt);
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  // murmur3 finaliser: spreads low-entropy inputs over all 32 bits
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/** A seeded {@link Rng}; `salt` derives an independent stream from the same seed. */
export function createRng(seed: number, salt: number | string = 0): Rng {
  const uniform01 = mulberry32(deriveSeed(seed, salt));
  let spare: number | undefined;
  const rng: Rng = {
    next: uniform01,
    int: (n) => Math.floor(uniform01() * n),
    uniform: (lo, hi) => lo + (hi - lo) * uniform01(),
    normal(mean = 0, sd = 1) {
      if (spare !== undefined) {
        const value = spare;
        spare = undefined;
        return mean + sd * value;
      }
      let u = 0;
      while (u === 0) u = uniform01();
      const v = uniform01();
      const radius = Math.sqrt(-2 * Math.log(u));
      spare = radius * Math.sin(2 * Math.PI * v);
      return mean + sd * radius * Math.cos(2 * Math.PI * v);
    },
    shuffle: (items) => shuffleInPlace(items, uniform01),
  };
  return rng;
}

/** Fisher-Yates shuffle of `items` in place, drawing from `next` (uniform in [0, 1)); returns `items`. */
export function shuffleInPlace<T extends { length: number; [i: number]: unknown }>(items: T, next: () => number): T {
  for (let i = items.length - 1; i > 0; i--) {
    const j = Math.floor(next() * (i + 1));
    const tmp = items[i];
    items[i] = items[j];
    items[j] = tmp;
  }
  return items;
}
