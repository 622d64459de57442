import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { renderReport } from '@aelab/reporting';
import { parseExperiment, runStudy } from '@aelab/search';
import { JsonFileRunStore } from '@aelab/store';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { createCli } from '../src/cli.js';

/*
 * A small real sweep (dense autoencoders trained in the pool, three baselines fitted) and
 * the one sentence that compares the winner with the best baseline: `runs best` prints it
 * and the study page shows it, word for word the same (one implementation).
 */
describe('the winner against the best baseline', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'aelab-baselines-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it(
    'is one sentence in `runs best` and on the study page, naming the best baseline, ' +
      'the difference and its interval',
    async () => {
      const experiment = parseExperiment({
        name: 'baseline-sentence',
        seed: 3,
        data: {
          dataset: 'synthetic-ecg',
          options: { trainRows: 160, testRows: 120 },
          scaler: 'standard',
          validationFraction: 0.25,
          validationAnomalies: 'keep',
        },
        model: { kind: 'dense', encoder: [16, 4], activation: 'relu', outputActivation: 'linear', dropout: 0, l2: 0 },
        baselines: [
          { kind: 'pca', components: 3 },
          { kind: 'isolation-forest', trees: 50, sampleSize: 64 },
          { kind: 'knn', k: 5, aggregate: 'kth' },
        ],
        training: { epochs: 3, batchSize: 32, learningRate: 0.003, loss: 'mse' },
        scoring: { errorMetric: 'mse', threshold: { rule: 'percentile', percentile: 95, on: 'train' } },
        space: {
          'model.encoder': {
            type: 'categorical',
            values: [
              [16, 4],
              [16, 8],
            ],
          },
        },
        selection: { metric: 'prAuc', direction: 'maximize', split: 'validation' },
        executor: { backend: 'wasm' },
      });
      const store = await JsonFileRunStore.open(join(dir, 'runs'));
      const summary = await runStudy({ experiment, experimentPath: 'baseline-sentence.json', store, workers: 1 });
      expect(summary.completedTrainings).toBe(5);

      const lines: string[] = [];
      const log = vi.spyOn(console, 'log').mockImplementation((...args: unknown[]) => void lines.push(args.join(' ')));
      try {
        await createCli(['runs', 'best', '--store', join(dir, 'runs')])
          .exitProcess(false)
          .parseAsync();
      } finally {
        log.mockRestore();
      }
      expect(lines[0]).toMatch(/^best \(.*\): dense /);
      const sentence = lines.find((l) => l.includes('the best baseline'))?.trim();
      expect(sentence).toMatch(
        new RegExp(
          /^the best autoencoder \(dense · p95 \(train\), model\.encoder=\[16,(4|8)\]\) /.source +
            /(beats|does not beat|is beaten by) the best baseline /.source +
            /\((pca components = 3|isolation-forest sampleSize = 64, trees = 50|knn aggregate = kth, k = 5)/.source +
            / · p95 \(train\)\) on validation PR-AUC: difference -?\d\.\d{3}, 95% CI \[-?\d\.\d{3}, -?\d\.\d{3}\] /
              .source +
            /\(paired bootstrap over the \d+ validation rows, 2000 draws\)$/.source,
        ),
      );

      const report = await renderReport(store, { outDir: join(dir, 'report') });
      const page = await readFile(report.studyPaths[summary.study.id], 'utf8');
      const text = page.replace(/&#x3D;/g, '=');
      expect(text).toContain(`<strong>Against the baselines:</strong> ${sentence}.`);
      // The baselines are on the same leaderboard, marked, while the winner is the autoencoder.
      expect(page).toMatch(/>pca [^<]* \(baseline\)</);
      await store.close();
    },
    300_000,
  );
});
