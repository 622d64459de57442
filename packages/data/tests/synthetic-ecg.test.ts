import { describe, expect, it } from 'vitest';
import { sha256Hex } from '@aelab/core';
import { generateSyntheticEcg, syntheticEcgClassCounts, SYNTHETIC_ECG_ANOMALY_MIX } from '../src/index.js';

const bytesOf = (values: Float32Array) => new Uint8Array(values.buffer, values.byteOffset, values.byteLength);

function countLabels(labels: string[]): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const label of labels) counts[label] = (counts[label] ?? 0) + 1;
  return counts;
}

/** ROC-AUC by the rank-sum formula (ties count half). */
function rocAuc(scores: number[], positive: boolean[]): number {
  const order = scores.map((s, i) => [s, i] as const).sort((a, b) => a[0] - b[0]);
  let pos = 0;
  let neg = 0;
  let rankSum = 0;
  for (let i = 0; i < order.length;) {
    let j = i;
    while (j < order.length && order[j][0] === order[i][0]) j++;
    const rank = (i + j + 1) / 2;
    for (let k = i; k < j; k++) if (positive[order[k][1]]) rankSum += rank;
    i = j;
  }
  for (const p of positive)
    if (p) pos++;
    else neg++;
  return (rankSum - (pos * (pos + 1)) / 2) / (pos * neg);
}

/**
 * A linear autoencoder (PCA, k components by power iteration) as a stand-in for the dense
 * autoencoders the models package trains: the data package must not import tfjs.
 */
function pcaReconstructionErrors(train: number[][], test: number[][], k: number): number[] {
  const d = train[0].length;
  const mean = new Array(d).fill(0);
  for (const row of train) for (let j = 0; j < d; j++) mean[j] += row[j] / train.length;
  const cov = Array.from({ length: d }, () => new Array(d).fill(0));
  for (const row of train)
    for (let a = 0; a < d; a++)
      for (let b = 0; b < d; b++) cov[a][b] += ((row[a] - mean[a]) * (row[b] - mean[b])) / train.length;
  const components: number[][] = [];
  for (let c = 0; c < k; c++) {
    let v = Array.from({ length: d }, (_, i) => Math.sin(i + c + 1));
    for (let iter = 0; iter < 200; iter++) {
      const w = cov.map((row) => row.reduce((s, x, j) => s + x * v[j], 0));
      for (const u of components) {
        const dot = w.reduce((s, x, j) => s + x * u[j], 0);
        for (let j = 0; j < d; j++) w[j] -= dot * u[j];
      }
      const norm = Math.hypot(...w);
      v = w.map((x) => x / norm);
    }
    components.push(v);
  }
  return test.map((row) => {
    const centred = row.map((x, j) => x - mean[j]);
    const recon = new Array(d).fill(0);
    for (const u of components) {
      const dot = centred.reduce((s, x, j) => s + x * u[j], 0);
      for (let j = 0; j < d; j++) recon[j] += dot * u[j];
    }
    return centred.reduce((s, x, j) => s + (x - recon[j]) ** 2, 0);
  });
}

describe('synthetic-ecg', () => {
  it('gives identical bytes for the same seed and different bytes for another seed', () => {
    const a = generateSyntheticEcg({ seed: 7 });
    const b = generateSyntheticEcg({ seed: 7 });
    const c = generateSyntheticEcg({ seed: 8 });
    expect(sha256Hex(bytesOf(a.values))).toBe(sha256Hex(bytesOf(b.values)));
    expect(a.labels).toEqual(b.labels);
    expect(a.source.sha256).toBe(b.source.sha256);
    expect(sha256Hex(bytesOf(a.values))).not.toBe(sha256Hex(bytesOf(c.values)));
  });

  it('has ECG5000-like shape and the documented class mix per split', () => {
    const data = generateSyntheticEcg();
    expect(data.rows).toBe(1500);
    expect(data.features).toBe(140);
    expect(data.values.length).toBe(1500 * 140);
    const train = data.labels.filter((_, i) => data.predefinedSplit![i] === 'train');
    const test = data.labels.filter((_, i) => data.predefinedSplit![i] === 'test');
    expect(train.length).toBe(500);
    expect(countLabels(train)).toEqual(syntheticEcgClassCounts(500, 0.42));
    expect(countLabels(train).normal).toBe(290);
    expect(countLabels(test)).toEqual({
      normal: 600,
      premature: 100,
      'wide-qrs': 80,
      'st-elevation': 60,
      'st-depression': 60,
      'missing-p': 60,
      'noise-burst': 40,
    });
    expect(Object.values(SYNTHETIC_ECG_ANOMALY_MIX).reduce((a, b) => a + b, 0)).toBeCloseTo(1, 12);
    expect(data.values.every(Number.isFinite)).toBe(true);
  });

  it('honours row counts, anomaly fraction and rejects bad options', () => {
    const data = generateSyntheticEcg({ trainRows: 10, testRows: 20, anomalyFraction: 0.5, seed: 3 });
    expect(data.rows).toBe(30);
    expect(data.labels.slice(10).filter((l) => l !== 'normal').length).toBe(10);
    expect(() => generateSyntheticEcg({ trainRows: -1 })).toThrow(/trainRows must be a non-negative integer, got -1/);
    expect(() => generateSyntheticEcg({ anomalyFraction: 2 })).toThrow(/anomalyFraction must be in \[0, 1\], got 2/);
  });

  it('is detectable by a linear autoencoder but not trivially (ROC-AUC between 0.85 and 0.995)', () => {
    const data = generateSyntheticEcg({ seed: 11 });
    const rowsOf = (keep: (i: number) => boolean) => {
      const out: number[][] = [];
      for (let i = 0; i < data.rows; i++)
        if (keep(i)) out.push(Array.from(data.values.subarray(i * 140, (i + 1) * 140)));
      return out;
    };
    const train = rowsOf((i) => data.predefinedSplit![i] === 'train' && data.labels[i] === 'normal');
    const testIdx = [...data.labels.keys()].filter((i) => data.predefinedSplit![i] === 'test');
    const errors = pcaReconstructionErrors(
      train,
      rowsOf((i) => data.predefinedSplit![i] === 'test'),
      8,
    );
    const auc = rocAuc(
      errors,
      testIdx.map((i) => data.labels[i] !== 'normal'),
    );
    console.log(`synthetic-ecg seed 11: PCA(8) reconstruction ROC-AUC = ${auc.toFixed(4)}`);
    expect(auc).toBeGreaterThan(0.85);
    expect(auc).toBeLessThan(0.995);
  });
});
