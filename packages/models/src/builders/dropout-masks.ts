/**
 * Dropout masks of a population step (or a lean step's, one member), drawn on the host in one buffer per layer. Member
 * k's
 * mask is bit for bit the one its single training draws in `SeededDropout`: `tf.dropout`
 * multiplies by floor(u + keep) / keep in float32, with u from `tf.randomUniform` seeded
 * by {@link dropoutCallSeed}, which draws from seedrandom's alea on the host. Drawing
 * them here costs one upload per layer and step instead of P random tensors.
 */
import { dropoutCallSeed } from './layers.js';

/** A member's dropout after one layer: its rate and base seed, or null for none. */
export type MemberDropout = { rate: number; seed: number } | null;

/**
 * The multipliers [members, rows, units] (row-major) of one layer at training call `call`
 * (1-based, as counted by the single trainer's layer): 1 for members without dropout there; written into `into`
 * when given.
 */
export function dropoutMasks(
  members: readonly MemberDropout[],
  rows: number,
  units: number,
  call: number,
  into?: Float32Array,
): Float32Array {
  const size = rows * units;
  const out = into ?? new Float32Array(members.length * size);
  members.forEach((dropout, k) => {
    const block = out.subarray(k * size, (k + 1) * size);
    if (dropout === null || dropout.rate === 0) {
      block.fill(1);
      return;
    }
    const { state, keep } = maskDraws(dropout, call);
    aleaMask(state, keep, block);
  });
  return out;
}

/**
 * What a mask of `dropout` at training call `call` is drawn from: the state of seedrandom's alea seeded as
 * `tf.randomUniform` seeds it there, and the keep probability in float32. `conv.wat`'s `dropout` draws the same
 * masks from them in wasm memory (the direct dense step's).
 */
export function maskDraws(dropout: { rate: number; seed: number }, call: number): { state: AleaState; keep: number } {
  return { state: aleaState(String(dropoutCallSeed(dropout.seed, call))), keep: Math.fround(1 - dropout.rate) };
}

/** 2^-32. */
const TWO_TO_MINUS_32 = 2.3283064365386963e-10;

/** seedrandom's Mash hash of `data` from hash state `n`: the next state (its value is `(n >>> 0) * 2^-32`). */
function mash(n: number, data: string): number {
  for (let i = 0; i < data.length; i++) {
    n += data.charCodeAt(i);
    let h = 0.02519603282416938 * n;
    n = h >>> 0;
    h -= n;
    h *= n;
    n = h >>> 0;
    h -= n;
    n += h * 0x100000000; // 2^32
  }
  return n;
}

/** Alea's seeding starts with three hashes of ' ' from Mash's initial state: the same for every seed. */
const SPACE_HASHED = (() => {
  const states = [mash(0xefc8249d, ' ')];
  for (let i = 1; i < 3; i++) states.push(mash(states[i - 1], ' '));
  return { n: states[2], s: states.map((n) => (n >>> 0) * TWO_TO_MINUS_32) };
})();

/**
 * The state `seedrandom.alea(seed, { state: true }).state()` returns, computed as it computes
 * it (Baagoe's seeding: the same double arithmetic, so the same bits) without building a
 * generator, its closures and a Mash per call: drawn per layer and step, that was ~3% of a
 * dense training's time with dropout.
 */
export function aleaState(seed: string): AleaState {
  let n = SPACE_HASHED.n;
  const s = [...SPACE_HASHED.s];
  for (let i = 0; i < 3; i++) {
    n = mash(n, seed);
    s[i] -= (n >>> 0) * TWO_TO_MINUS_32;
    if (s[i] < 0) s[i] += 1;
  }
  return { c: 1, s0: s[0], s1: s[1], s2: s[2] };
}

/**
 * `block[i]` = floor(u_i + keep) / keep in float32 for alea's draws u_i from `state`: its generator written out
 * with the state in locals (the same double arithmetic, so the same draws), ~4x faster than calling it per value.
 */
function aleaMask(state: AleaState, keep: number, block: Float32Array): void {
  let { c, s0, s1, s2 } = state;
  // tf.randomUniform stores alea's doubles in a Float32Array; add, floor and divide are float32 ops:
  // floor(u + keep) is 0 or 1, so each value is 0 or 1 / keep.
  const kept = 1 / keep;
  for (let i = 0; i < block.length; i++) {
    // t = a + c·2^-32 with c·2^-32 < 2^-11: its integer part is a's unless a's fraction is that close to 1, so
    // the next draw need not wait for this one's (the same doubles, ~2x faster)
    const a = 2091639 * s0;
    const whole = Math.floor(a);
    const t = a + c * 2.3283064365386963e-10; // 2^-32
    c = a - whole < 0.999 ? whole : t | 0;
    s0 = s1;
    s1 = s2;
    s2 = t - c;
    block[i] = Math.floor(Math.fround(Math.fround(s2) + keep)) === 0 ? 0 : kept;
  }
}

/** seedrandom's alea state. */
export interface AleaState {
  c: number;
  s0: number;
  s1: number;
  s2: number;
}
