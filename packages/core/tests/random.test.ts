import { describe, expect, it } from 'vitest';
import { createRng, deriveSeed, sha256Hex, stableStringify } from '../src/index.js';

describe('the seeded RNG', () => {
  it('gives the same stream for the same seed and salt, another for another', () => {
    const draw = (seed: number, salt?: string) =>
      Array.from(
        { length: 5 },
        (
          (rng) => () =>
            rng.next()
        )(createRng(seed, salt)),
      );
    expect(draw(1)).toEqual(draw(1));
    expect(draw(1)).not.toEqual(draw(2));
    expect(draw(1, 'a')).not.toEqual(draw(1, 'b'));
    expect(deriveSeed(0)).not.toBe(deriveSeed(1));
  });
});

describe('canonical hashing', () => {
  it('ignores key order and undefined members, and refuses non-finite numbers', () => {
    expect(stableStringify({ b: 1, a: { d: [1, 2], c: undefined } })).toBe('{"a":{"d":[1,2]},"b":1}');
    expect(sha256Hex(stableStringify({ x: 1, y: 2 }))).toBe(sha256Hex(stableStringify({ y: 2, x: 1 })));
    expect(() => stableStringify({ a: Infinity })).toThrow(/non-finite/);
  });
});
