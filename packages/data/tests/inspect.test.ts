import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { inspectDataset } from '../src/index.js';
import { syntheticEcgRowPlan } from '../src/synthetic.js';

const dir = mkdtempSync(join(tmpdir(), 'aelab-data-inspect-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('inspectDataset on very wide files', () => {
  it('summarises a 200,000-column CSV without overflowing the stack', async () => {
    const columns = 200_000;
    const path = join(dir, 'wide.csv');
    const rows = [0, 1, 2, 3].map((r) => {
      const cells = new Array<string>(columns);
      for (let j = 0; j < columns; j++) cells[j] = String((j % 1000) + r);
      return `${cells.join(',')},${r === 3 ? 1 : 0}`;
    });
    writeFileSync(path, `${rows.join('\n')}\n`);
    const report = await inspectDataset({ dataset: path, normalClass: '0' }, { maxFeatures: 3 });
    expect(report.features).toBe(columns);
    expect(report.rows).toBe(4);
    expect(report.perFeature).toHaveLength(3);
    expect(report.summary.min).toBe(0);
    expect(report.summary.max).toBe(999 + 3);
    expect(report.summary.minMean).toBe(1.5);
    expect(report.summary.maxMean).toBe(999 + 1.5);
    expect(report.summary.minStd).toBeCloseTo(Math.sqrt(5 / 3), 12);
    expect(report.summary.maxStd).toBeCloseTo(Math.sqrt(5 / 3), 12);
  });

  it('keeps the summary of an ordinary dataset', async () => {
    const report = await inspectDataset('synthetic-ecg', { maxFeatures: 2 });
    const all = await inspectDataset('synthetic-ecg');
    expect(report.summary).toEqual(all.summary);
    expect(report.summary.min).toBe(Math.min(...all.perFeature.map((f) => f.min)));
    expect(report.summary.maxStd).toBe(Math.max(...all.perFeature.map((f) => f.std)));
  });
});

describe('inspectDataset and the normal class', () => {
  it('reports a normal class that matches no row instead of splits', async () => {
    const report = await inspectDataset({
      dataset: 'synthetic-ecg',
      options: { trainRows: 20, testRows: 20 },
      normalClass: 'norml',
    });
    expect(report.normalClass).toEqual(['norml']);
    expect(report.splits).toEqual({
      error: expect.stringMatching(
        /^normal class \["norml"\] matches no row of 'synthetic-ecg'; labels seen: .*normal/,
      ),
    });
  });
});

describe('synthetic-ecg with many rows', () => {
  it('lays out 200,000 training labels without spreading them into push', () => {
    const plan = syntheticEcgRowPlan({
      seed: 1,
      trainRows: 200_000,
      testRows: 10,
      anomalyFraction: 0.4,
      trainAnomalyFraction: 0.42,
    });
    expect(plan.labels).toHaveLength(200_010);
    expect(plan.predefinedSplit.filter((s) => s === 'train')).toHaveLength(200_000);
    expect(plan.labels.filter((l) => l === 'normal')).toHaveLength(116_000 + 6);
  });
});
