import { mulberry32 } from '@aelab/core';
import { describe, expect, it } from 'vitest';
import { medianRow } from '../src/trial-runner.js';

/** The examples' pick as it was: an array of the rows, sorted by error (stable), its middle. */
function reference(errors: Float32Array, y: Uint8Array, label: number): number | undefined {
  const rows = [...y.keys()].filter((i) => y[i] === label);
  if (rows.length === 0) return undefined;
  return [...rows].sort((a, b) => errors[a] - errors[b])[Math.floor(rows.length / 2)];
}

describe('medianRow (the examples artifact picks its rows with it)', () => {
  it('picks the row an array sort picked, ties (many here) in row order', () => {
    const random = mulberry32(3);
    for (const rows of [1, 2, 7, 1_000, 20_001]) {
      const errors = Float32Array.from({ length: rows }, () => Math.round(random() * 20) / 4);
      const y = Uint8Array.from({ length: rows }, () => (random() < 0.2 ? 1 : 0));
      for (const label of [0, 1]) expect(medianRow(errors, y, label)).toBe(reference(errors, y, label));
    }
    expect(medianRow(Float32Array.of(0.5, 0.2), Uint8Array.of(0, 0), 1)).toBeUndefined();
  });
});
