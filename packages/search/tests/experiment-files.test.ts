import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { InMemoryRunStore } from '@aelab/store';
import { describe, expect, it } from 'vitest';
import { parseExperiment } from '../src/experiment.js';
import { runStudy } from '../src/study.js';

// Every shipped experiment file runs, 1 epoch and 1 repeat each, so none can rot.
// Files on real data need AELAB_DATA_DIR (the shared public datasets).
const dir = new URL('../../../experiments/', import.meta.url);
const files = readdirSync(dir).filter((f) => f.endsWith('.json') && f !== 'schema.json');
const dataDir = process.env.AELAB_DATA_DIR;
const haveData = Boolean(dataDir && existsSync(dataDir));
if (!haveData)
  console.warn('experiment-files.test: AELAB_DATA_DIR is not set or missing; experiments on real data are skipped');

describe('shipped experiment files', () => {
  it('there are experiment files for the default and the seed studies', () => {
    expect(files).toEqual(
      expect.arrayContaining([
        'default.json',
        'ecg5000-dense.json',
        'ecg-tf-tutorial.json',
        'nab-nine-models.json',
        'creditcard-lstm-rnn.json',
      ]),
    );
  });

  for (const file of files) {
    const raw = JSON.parse(readFileSync(new URL(file, dir), 'utf8'));
    const embedded = raw.data.dataset === 'synthetic-ecg';
    it.skipIf(!embedded && !haveData)(
      `${file} runs end to end with 1 epoch`,
      async () => {
        const experiment = parseExperiment({ ...raw, training: { ...raw.training, epochs: 1 }, repeats: 1 }, file);
        const store = new InMemoryRunStore();
        const summary = await runStudy({
          experiment,
          experimentPath: `experiments/${file}`,
          store,
          workers: 2,
          dataDir: embedded ? undefined : dataDir,
          backend: 'wasm',
        });
        const trials = await store.listTrials(summary.study.id);
        expect(trials.filter((t) => t.status !== 'complete').map((t) => `${t.id}: ${t.reason}`)).toEqual([]);
        expect(summary.completedTrainings).toBeGreaterThan(0);
        expect(summary.evaluatedConfigurations).toBeGreaterThanOrEqual(summary.completedTrainings);
      },
      300_000,
    );
  }
});
