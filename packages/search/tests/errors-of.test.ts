import { ERROR_METRICS } from '@aelab/core';
import type { PreparedData, PreparedSplit } from '@aelab/data';
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

function result(withLabels: boolean): TrialResult {
  const blobs: Record<string, Uint8Array> = {};
  const splits: TrialResult['splits'] = {};
  for (const [name, rows] of [['train', 3], ['test', 4]] as const) {
    for (const metric of ERROR_METRICS) blobs[errorsBlob(name, metric)] = float32Bytes(Float32Array.from({ length: rows }, (_, i) => i / 10));
    const s = split(rows);
    splits[name] = withLabels ? { rows, y: Array.from(s.y), labels: s.labels } : { rows };
  }
  return { splits, blobs, dataFingerprint: 'f' } as unknown as TrialResult;
}

describe('errorsOf', () => {
  const data = { fingerprint: 'f', train: split(3), validation: split(0), test: split(4) } as unknown as PreparedData;

  it('takes the labels a result carries (a remote worker prepared its own data)', () => {
    const errors = errorsOf(result(true));
    expect(Array.from(errors.test.y)).toEqual([0, 1, 0, 1]);
    expect(errors.test.labels).toEqual(['normal', 'anomaly', 'normal', 'anomaly']);
  });

  it("takes the coordinator's labels where a local worker left them out", () => {
    const errors = errorsOf(result(false), data);
    expect(Array.from(errors.train.y)).toEqual([0, 1, 0]);
    expect(errors.test.labels).toHaveLength(4);
    expect(Array.from(errors.test.mae)).toEqual(Array.from(Float32Array.from([0, 0.1, 0.2, 0.3])));
  });

  it('says what is missing when neither has them', () => {
    expect(() => errorsOf(result(false))).toThrow(/the train split's labels are missing/);
    const other = { ...data, test: split(5) } as PreparedData;
    expect(() => errorsOf(result(false), other)).toThrow(/test split's labels are missing .*4 rows/);
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
