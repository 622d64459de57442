import type { PreparedSplit } from '@aelab/data';
import { mulberry32 } from '@aelab/core';

/**
 * Uniform floats in [0, 1) from a seed: models' former createRng, kept so the test data
 * (and so the numbers some tests were written against) stay the same.
 */
export function seededUniform(seed: number): () => number {
  return mulberry32((Math.trunc(seed) ^ 0x9e3779b9) >>> 0);
}

/** Smooth seeded sine-like rows (an easy target to reconstruct), labels all normal. */
export function sineSplit(rows: number, features: number, seed = 1): PreparedSplit {
  const rng = seededUniform(seed);
  const x = new Float32Array(rows * features);
  for (let r = 0; r < rows; r++) {
    const phase = rng() * Math.PI * 2;
    const amp = 0.5 + rng();
    for (let f = 0; f < features; f++)
      x[r * features + f] = amp * Math.sin(phase + (f / features) * Math.PI * 4) + 0.05 * (rng() - 0.5);
  }
  return {
    x,
    rows,
    features,
    y: new Uint8Array(rows),
    labels: Array.from({ length: rows }, () => '1'),
    index: Array.from({ length: rows }, (_, i) => i),
  };
}
