/**
 * Dropout masks of a population step (or a lean step's, one member), drawn on the host in one buffer per layer. Member
 * k's
 * mask is bit for bit the one its single training draws in `SeededDropout`: `tf.dropout`
 * multiplies by floor(u + keep) / keep in float32, with u from `tf.randomUniform` seeded
 * by {@link dropoutCallSeed}, which draws from seedrandom's alea on the host. Drawing
 * them here costs one upload per layer and step instead of P random tensors.
 */
import seedrandom from 'seedrandom';
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
  const generator = seedrandom.alea(String(dropoutCallSeed(dropout.seed, call)), { state: true });
  return { state: (generator as unknown as { state(): AleaState }).state(), keep: Math.fround(1 - dropout.rate) };
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
