import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { inspectDataset, loadDataset, loadFile, NAB_CORPUS, parseNabTimestamp, prepareData } from '../src/index.js';

const dataDir = process.env.AELAB_DATA_DIR;
const available = Boolean(dataDir && existsSync(join(dataDir, 'ecg5000')) && existsSync(join(dataDir, 'nab')));
if (!available)
  console.log(
    'real-dataset tests skipped: set AELAB_DATA_DIR to a datasets folder (as `aelab data fetch` lays it out)',
  );

const count = (labels: string[]) => labels.reduce<Record<string, number>>((m, l) => ((m[l] = (m[l] ?? 0) + 1), m), {});

describe.skipIf(!available)('real datasets under AELAB_DATA_DIR', () => {
  it('ECG5000_TRAIN .arff, .ts and .txt load to identical values and labels (500 x 140, 292/177/10/19/2)', async () => {
    const [arff, ts, txt] = await Promise.all(
      ['arff', 'ts', 'txt'].map((ext) => loadFile(join(dataDir!, 'ecg5000', `ECG5000_TRAIN.${ext}`))),
    );
    for (const d of [arff, ts, txt]) {
      expect([d.rows, d.features]).toEqual([500, 140]);
      expect(count(d.labels)).toEqual({ 1: 292, 2: 177, 3: 10, 4: 19, 5: 2 });
    }
    expect(Buffer.from(ts.values.buffer).equals(Buffer.from(arff.values.buffer))).toBe(true);
    expect(Buffer.from(txt.values.buffer).equals(Buffer.from(arff.values.buffer))).toBe(true);
    expect(ts.labels).toEqual(arff.labels);
    expect(txt.labels).toEqual(arff.labels);
  });

  it('ecg5000 by name says its TEST split is absent and refuses the predefined split with the reason', async () => {
    const d = await loadDataset('ecg5000', {}, { dataDir });
    expect(d.notes?.[0]).toMatch(/TEST split absent/);
    await expect(prepareData({ dataset: 'ecg5000' }, { dataDir })).rejects.toThrow(
      /no TEST rows in its predefined split/,
    );
    const prepared = await prepareData(
      { dataset: 'ecg5000', split: { kind: 'random', testFraction: 0.3, seed: 1, stratify: true } },
      { dataDir },
    );
    expect(prepared.train.labels.every((l) => l === '1')).toBe(true);
  });

  it('ecg.csv loads as 4,998 x 140 with 2,919 normal; its first 500 rows equal ECG5000_TRAIN', async () => {
    const ecg = await loadDataset('ecg', {}, { dataDir });
    expect([ecg.rows, ecg.features]).toEqual([4998, 140]);
    expect(count(ecg.labels)).toEqual({ '1.0': 2919, '0.0': 2079 });
    const train = await loadFile(join(dataDir!, 'ecg5000', 'ECG5000_TRAIN.arff'));
    // the values' bytes, not their whole buffer (a growable one may be larger)
    const bytes = (values: Float32Array, rows: number) => Buffer.from(values.buffer, values.byteOffset, rows * 140 * 4);
    expect(bytes(ecg.values, 500).equals(bytes(train.values, train.rows))).toBe(true);
    const ucrSplit = await prepareData(
      { dataset: 'ecg', split: { kind: 'rows', train: [0, 500], test: [500, null] }, validationFraction: 0 },
      { dataDir },
    );
    expect(ucrSplit.train.rows).toBe(292);
    expect(ucrSplit.test.rows).toBe(4498);
    // the tutorial split: train_test_split(test_size=0.2, random_state=21) -> 1000 test rows
    const tutorial = await prepareData({ dataset: 'ecg', scaler: 'minmax-global' }, { dataDir });
    expect(tutorial.test.rows).toBe(1000);
  });

  it('the credit-card sample loads (2,860 rows, 2 frauds)', async () => {
    const cc = await loadDataset('creditcard', {}, { dataDir });
    expect([cc.rows, cc.features]).toEqual([2860, 30]);
    expect(count(cc.labels)).toEqual({ 0: 2858, 1: 2 });
    expect(cc.featureNames[0]).toBe('Time');
    expect(cc.values[29]).toBeCloseTo(149.62, 4);
  });

  it('every NAB series loads; points inside label windows and window labels match the label file', async () => {
    expect(NAB_CORPUS).toHaveLength(58);
    for (const entry of NAB_CORPUS) {
      const d = await loadDataset(`nab/${entry.key}`, { windowSize: 32, stride: 8 }, { dataDir });
      const s = d.series!;
      expect(s.values.length, entry.key).toBe(entry.points);
      expect(s.anomalyWindows.length, entry.key).toBe(entry.windows);
      const inside = s.timestamps.filter((t) => s.anomalyWindows.some(([a, b]) => t >= a && t <= b)).length;
      expect(inside, entry.key).toBe(entry.pointsInWindows);
      // a window row is an anomaly exactly when one of its points lies in a labelled window
      d.labels.forEach((label, row) => {
        const start = s.windowStarts[row];
        const hit = s.timestamps
          .slice(start, start + 32)
          .some((t) => s.anomalyWindows.some(([a, b]) => t >= a && t <= b));
        if (hit !== (label === 'anomaly'))
          throw new Error(`${entry.key} row ${row}: label ${label}, window hit ${hit}`);
      });
      expect(d.rows).toBe(Math.floor((entry.points - 32) / 8) + 1);
    }
    expect(parseNabTimestamp('2014-04-10 07:15:00.000000')).toBe(Date.UTC(2014, 3, 10, 7, 15));
  });

  it('inspect reports shape, classes per split, missing cells and describe-style stats', async () => {
    const report = await inspectDataset('ecg', { dataDir });
    expect(report).toMatchObject({
      name: 'ecg',
      rows: 4998,
      features: 140,
      missingCells: 0,
      classes: { '0.0': 2079, '1.0': 2919 },
      normalClass: ['1.0'],
    });
    expect('error' in report.splits).toBe(false);
    const splits = report.splits as Exclude<typeof report.splits, { error: string }>;
    expect(splits.test.rows).toBe(1000);
    expect(Object.keys(splits.train.classes)).toEqual(['1.0']);
    expect(report.perFeature).toHaveLength(140);
    const first = report.perFeature[0];
    expect(first.count).toBe(4998);
    expect(first.min).toBeLessThanOrEqual(first.p25);
    expect(first.p75).toBeLessThanOrEqual(first.max);
    expect(report.summary.min).toBeCloseTo(-7.0903741, 5);
    expect(report.summary.max).toBeCloseTo(7.4021031, 5);
    expect(JSON.parse(JSON.stringify(report)).rows).toBe(4998);
  });
});

describe('inspect without files', () => {
  it('summarises synthetic-ecg with its predefined split', async () => {
    const report = await inspectDataset('synthetic-ecg', { maxFeatures: 3 });
    expect(report.rows).toBe(1500);
    expect(report.perFeature).toHaveLength(3);
    expect(report.splits).toMatchObject({ test: { rows: 1000 } });
    expect(report.droppedTrainingAnomalies).toBe(210);
  });
});
