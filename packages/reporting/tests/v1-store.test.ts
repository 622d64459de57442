import { mkdtemp, readdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { JsonFileRunStore } from '@aelab/store';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildLeaderboard, fileSlug, renderReport } from '../src/index.js';

/** A store written by the previous version (format 1): no `sampled`, no `distributions`. */
const V1_STORE = fileURLToPath(new URL('../../../fixtures/stores/v1', import.meta.url));

describe('a version 1 run store', () => {
  let store: JsonFileRunStore;

  beforeAll(async () => {
    store = await JsonFileRunStore.open(V1_STORE, { readonly: true });
  });
  afterAll(async () => {
    await store?.close();
  });

  async function board() {
    const [study] = await store.listStudies();
    return buildLeaderboard(study, await store.listTrials(study.id), await store.listEvaluations(study.id));
  }

  it('ranks as the previous version did: the dense [16,4] model at p99 wins with mean test F1 0.8427', async () => {
    const lb = await board();
    expect(lb.winner).not.toBeNull();
    expect(lb.winner!.rank).toBe(1);
    expect(lb.winner!.family).toBe('dense');
    expect(lb.winner!.params['model.encoder']).toEqual([16, 4]);
    expect(lb.winner!.scoring['threshold.percentile']).toBe(99);
    expect(lb.winner!.metrics.f1!.mean).toBeCloseTo(0.8427, 4);
    expect(lb.winner!.score).toEqual(lb.winner!.metrics.f1);
    expect(lb.ruleText).toBe('highest mean F1 on the test split over repeats');
  });

  it('falls back to diffing for the swept parameters, which it did not record', async () => {
    const lb = await board();
    expect(lb.trials.every((t) => t.sampled === null && t.distributions === null)).toBe(true);
    expect(lb.sweptParams).toEqual(['model.encoder']);
    expect(lb.sweptScoring).toEqual(['threshold.percentile']);
  });

  it('renders every page', async () => {
    const outDir = await mkdtemp(join(tmpdir(), 'aelab-report-v1-'));
    const report = await renderReport(store, { outDir });
    const [study] = await store.listStudies();
    const trials = await store.listTrials(study.id);
    const dir = fileSlug(study.id);
    const written = (await readdir(outDir, { recursive: true, withFileTypes: true }))
      .filter((e) => e.isFile())
      .map((e) => relative(outDir, join(e.parentPath, e.name)))
      .sort();
    expect(written).toEqual(
      [
        'index.html',
        'report.css',
        `${dir}/compare.html`,
        `${dir}/index.html`,
        ...trials.map((t) => `${dir}/trials/${fileSlug(t.id)}.html`),
      ].sort(),
    );
    expect(report.studyPaths).toEqual({ [study.id]: join(outDir, dir, 'index.html') });
  });
});
