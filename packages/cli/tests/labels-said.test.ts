import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { generateSyntheticEcg, isNormalLabel } from '@aelab/data';
import { renderReport } from '@aelab/reporting';
import { parseExperiment, runStudy } from '@aelab/search';
import { JsonFileRunStore } from '@aelab/store';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ProgressDisplay } from '../src/progress.js';
import { RowNormExecutor } from './row-norm-executor.js';

/*
 * synthetic-ecg's TRAIN rows hold anomalies (trainAnomalyFraction 0.42). With trainOn
 * "normal" and validationAnomalies "keep", a share of them is carved into validation and
 * the rest is left out: the sweep header and the study page must say both counts, and
 * the two must add up to every anomaly of the training split.
 */
const options = { trainRows: 200, testRows: 60 };
const experiment = parseExperiment({
  name: 'labels',
  seed: 1,
  data: { dataset: 'synthetic-ecg', options, validationFraction: 0.3, validationAnomalies: 'keep' },
  model: { kind: 'dense', encoder: [8, 4], activation: 'relu', outputActivation: 'linear', dropout: 0, l2: 0 },
  training: { epochs: 1, batchSize: 32, learningRate: 0.001, loss: 'mse' },
  scoring: { errorMetric: 'mse', threshold: { rule: 'percentile', percentile: 90, on: 'train' } },
  repeats: 1,
  selection: { metric: 'f1', direction: 'maximize', split: 'validation' },
});

describe('labels used fully, and said', () => {
  let dir: string;
  let studyId: string;
  let header = '';
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'aelab-labels-'));
    const store = await JsonFileRunStore.open(join(dir, 'runs'));
    const out = new Writable({ write: (chunk, _encoding, done) => ((header += String(chunk)), done()) });
    const progress = new ProgressDisplay(out as NodeJS.WriteStream, false);
    const summary = await runStudy({
      experiment,
      experimentPath: 'labels.json',
      store,
      executor: new RowNormExecutor(),
      onEvent: progress.handle,
    });
    studyId = summary.study.id;
    await store.close();
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it(
    'the sweep header says how many training anomalies went to validation and how many were dropped, ' + 'all of them',
    () => {
      const dataset = generateSyntheticEcg(options);
      const inTraining = (label: string, row: number) =>
        dataset.predefinedSplit![row] === 'train' && !isNormalLabel(label, ['normal']);
      const trainingAnomalies = dataset.labels.filter(inTraining).length;
      const match =
        /labels: validation holds (\d+) anomalies; (\d+) training anomalies dropped \(never trained on/.exec(header);
      expect(match, header).not.toBeNull();
      const [validation, dropped] = [Number(match![1]), Number(match![2])];
      expect(validation).toBeGreaterThan(0);
      expect(dropped).toBeGreaterThan(0);
      expect(validation + dropped).toBe(trainingAnomalies);
    },
  );

  it('the study page says it too', async () => {
    const store = await JsonFileRunStore.open(join(dir, 'runs'), { readonly: true });
    const study = (await store.getStudy(studyId))!;
    const report = await renderReport(store, { outDir: join(dir, 'report') });
    await store.close();
    const html = await readFile(report.studyPaths[studyId], 'utf8');
    const [use] = study.labelUse!;
    expect(html).toContain(
      `<strong>Labels:</strong> validation holds ${use.validationAnomalies} anomalies; ` +
        `${use.droppedTrainingAnomalies} training anomalies dropped`,
    );
  });
});
