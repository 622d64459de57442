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
 * (1-based, as counted by the single trainer's layer): 1 for members without dropout there.
 */
export function dropoutMasks(
  members: readonly MemberDropout[],
  rows: number,
  units: number,
  call: number,
): Float32Array {
  const size = rows * units;
  const out = new Float32Array(members.length * size);
  members.forEach((dropout, k) => {
    const block = out.subarray(k * size, (k + 1) * size);
    if (dropout === null || dropout.rate === 0) {
      block.fill(1);
      return;
    }
    const keep = Math.fround(1 - dropout.rate);
    // tf.randomUniform stores alea's doubles in a Float32Array; add, floor and divide are float32 ops.
    const uniform = seedrandom.alea(String(dropoutCallSeed(dropout.seed, call)));
    for (let i = 0; i < size; i++) block[i] = Math.floor(Math.fround(Math.fround(uniform()) + keep)) / keep;
  });
  return out;
}
