import { mkdtemp, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { renderReport } from '../src/index.js';
import { fileSlug } from '../src/paths.js';
import { newStore, writeSyntheticStudy, type SyntheticStudyOptions } from './synthetic-study.js';

/** Renders a one-training study (one repeat) and returns its only trial's page. */
async function trialPage(options: SyntheticStudyOptions): Promise<string> {
  const store = newStore();
  const id = await writeSyntheticStudy(store, {
    families: ['dense'],
    versions: ['base'],
    learningRates: [0.001],
    repeats: 1,
    ...options,
  });
  const outDir = await mkdtemp(join(tmpdir(), 'aelab-report-trial-text-'));
  await renderReport(store, { outDir });
  const [trial] = await store.listTrials(id);
  return readFile(join(outDir, fileSlug(id), 'trials', `${fileSlug(trial.id)}.html`), 'utf8');
}

const evaluationsTable = (html: string) =>
  html.slice(html.indexOf('id="evaluations"'), html.indexOf('</table>', html.indexOf('id="evaluations"')));

describe('the trial page says', () => {
  it('which thresholds are fit on training errors and which on validation errors', async () => {
    const html = await trialPage({ percentiles: [85, 90, 95], thresholdOn: ['train', 'validation'] });
    const scorings = [...evaluationsTable(html).matchAll(/<tr[^>]*><td>([^<]*)<\/td>/g)].map((m) =>
      m[1].replace(' ★', ''),
    );
    expect(scorings.sort()).toEqual([
      'p85 (train)',
      'p85 (validation)',
      'p90 (train)',
      'p90 (validation)',
      'p95 (train)',
      'p95 (validation)',
    ]);
    // The threshold lines of the error histograms carry the same labels.
    expect(html).toContain('p95 (validation)');
    expect(html).not.toMatch(/>p95<|"p95"/);
  });

  it('that a training without early stopping kept its last epoch, not the epoch of the lowest loss', async () => {
    const html = await trialPage({ epochs: 12, bestEpoch: 7 });
    expect(html).toContain(
      '<dd>from epoch 12, the last (no early stopping); the lowest monitored loss was at epoch 7</dd>',
    );
    expect(html).not.toContain('kept from epoch');
    expect(html).not.toMatch(/from epoch 7\b/);
  });

  it('that early stopping without restoring kept the last epoch too', async () => {
    const html = await trialPage({
      epochs: 12,
      bestEpoch: 7,
      trainingParams: { 'training.earlyStopping.patience': 3 },
    });
    expect(html).toContain(
      '<dd>from epoch 12, the last (best weights not restored); the lowest monitored loss was at epoch 7</dd>',
    );
  });

  it('the restored epoch when early stopping restored the best weights', async () => {
    const html = await trialPage({
      epochs: 12,
      bestEpoch: 7,
      trainingParams: { 'training.earlyStopping.patience': 3, 'training.earlyStopping.restoreBestWeights': true },
    });
    expect(html).toContain('<dd>from epoch 7, the lowest monitored loss (early stopping restored it)</dd>');
  });
});
