import { ERROR_METRICS } from '@aelab/core';
import type { PreparedSplit } from '@aelab/data';
import { describe, expect, it } from 'vitest';
import { errorsOf } from '../src/scoring.js';
import { errorsBlob, float32Blob, float32Bytes, float32FromBytes, type TrialResult } from '../src/trial-task.js';

const split = (rows: number): PreparedSplit => ({
  x: new Float32Array(rows),
  rows,
  features: 1,
  y: Uint8Array.from({ length: rows }, (_, i) => i % 2),
  labels: Array.from({ length: rows }, (_, i) => (i % 2 ? 'anomaly' : 'normal')),
  index: Array.from({ length: rows }, (_, i) => i),
});

type Labels = 'json' | 'shared' | 'none';

/** A result whose labels are JSON arrays (a remote worker), the coordinator's shared arrays (a local one), or none. */
function result(labels: Labels, data?: Record<'train' | 'test', PreparedSplit>): TrialResult {
  const blobs: Record<string, Uint8Array> = {};
  const splits: Record<string, unknown> = {};
  for (const [name, rows] of [
    ['train', 3],
    ['test', 4],
  ] as const) {
    for (const metric of ERROR_METRICS)
      blobs[errorsBlob(name, metric)] = float32Bytes(Float32Array.from({ length: rows }, (_, i) => i / 10));
    const s = data?.[name] ?? split(rows);
    const codes = Uint32Array.from(s.labels, (label) => (label === 'anomaly' ? 1 : 0));
    splits[name] =
      labels === 'json'
        ? { rows, y: Array.from(s.y), labels: s.labels }
        : labels === 'shared'
          ? { rows, y: s.y, labels: { classes: ['normal', 'anomaly'], codes } }
          : { rows };
  }
  return { splits, blobs, dataFingerprint: 'f' } as unknown as TrialResult;
}

describe('errorsOf', () => {
  it('takes the labels a result carries (a remote worker prepared its own data)', () => {
    const errors = errorsOf(result('json'));
    expect(Array.from(errors.test.y)).toEqual([0, 1, 0, 1]);
    expect(errors.test.labels).toEqual(['normal', 'anomaly', 'normal', 'anomaly']);
  });

  it("reads in place the coordinator's shared label arrays a local worker's result refers to", () => {
    const data = { train: split(3), test: split(4) };
    const errors = errorsOf(result('shared', data));
    expect(errors.train.y).toBe(data.train.y);
    expect(Array.from(errors.train.y)).toEqual([0, 1, 0]);
    expect(errors.test.labels).toEqual({ classes: ['normal', 'anomaly'], codes: Uint32Array.from([0, 1, 0, 1]) });
    expect(Array.from(errors.test.mae)).toEqual(Array.from(Float32Array.from([0, 0.1, 0.2, 0.3])));
  });

  it('refuses a result whose split carries no labels, or not one per row, naming the split', () => {
    const missing = /the train split of 3 rows does not carry a 0\/1 label and a class label per row/;
    expect(() => errorsOf(result('none'))).toThrow(missing);
    const short = result('json');
    short.splits.test = { ...short.splits.test!, labels: ['normal'] };
    expect(() => errorsOf(short)).toThrow(/the test split of 4 rows does not carry/);
  });
});

describe('float32 blobs', () => {
  it('hand over errors without a copy on a little-endian machine, and read back as the same values', () => {
    const values = Float32Array.from([0.1, -2.5, NaN, 3e-30]);
    const blob = float32Blob(values);
    expect(Array.from(blob)).toEqual(Array.from(float32Bytes(values)));
    expect(blob.buffer).toBe(values.buffer);
    expect(float32FromBytes(blob)).toEqual(values);
    // Unaligned bytes are copied out, still little-endian.
    const shifted = new Uint8Array(blob.byteLength + 1);
    shifted.set(blob, 1);
    expect(float32FromBytes(shifted.subarray(1))).toEqual(values);
  });
});
