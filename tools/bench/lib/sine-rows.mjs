// The training data of the model benches, one definition for all of them.
import { mulberry32 } from '@aelab/core';

/**
 * `rows` seeded sine-like rows of `features` values (ECG5000-shaped: a random phase, two
 * periods per row, 10% noise), all normal, as a prepared split.
 */
export function sineRows(rows, features, seed) {
  const rng = mulberry32(seed);
  const x = new Float32Array(rows * features);
  for (let r = 0; r < rows; r++) {
    const phase = rng() * Math.PI * 2;
    for (let f = 0; f < features; f++)
      x[r * features + f] = Math.sin(phase + (f / features) * 4 * Math.PI) + 0.1 * (rng() - 0.5);
  }
  return {
    x,
    rows,
    features,
    y: new Uint8Array(rows),
    labels: new Array(rows).fill('1'),
    index: [...Array(rows).keys()],
  };
}
