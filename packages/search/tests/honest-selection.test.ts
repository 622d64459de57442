import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ARTIFACT, MODEL_FILES, mulberry32 } from '@aelab/core';
import { averagePrecision, rocAuc } from '@aelab/models/evaluation';
import { InMemoryRunStore, type RunStore } from '@aelab/store';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ExperimentError, parseExperiment, type ExperimentInput } from '../src/experiment.js';
import { runStudy } from '../src/study.js';

/*
 * Honest by default: no test label may touch selection, thresholds, samplers or pruners.
 * The data is a CSV whose test rows can be relabelled: two copies that differ only in the
 * test labels must give the same trials, the same decisions and the same saved thresholds.
 */
const ROWS = 200;
const TRAIN_ROWS = 120;
const FEATURES = 12;

/** Rows of a sine with noise; every fifth row is an anomaly (a spike). `flipTest` relabels every test row. */
function csvText(flipTest: boolean): string {
  const rng = mulberry32(11);
  const lines = [[...Array.from({ length: FEATURES }, (_, j) => `f${j}`), 'label'].join(',')];
  for (let i = 0; i < ROWS; i++) {
    const anomaly = i % 5 === 0;
    const values = Array.from(
      { length: FEATURES },
      (_, j) => Math.sin(j / 2 + i / 7) + 0.1 * (rng() - 0.5) + (anomaly && j % 4 === 0 ? 1.5 : 0),
    );
    const label = flipTest && i >= TRAIN_ROWS ? Number(!anomaly) : Number(anomaly);
    lines.push([...values.map((v) => v.toFixed(6)), label].join(','));
  }
  return `${lines.join('\n')}\n`;
}

function experiment(file: string, overrides: Partial<ExperimentInput> = {}): ExperimentInput {
  return {
    name: 'honest',
    seed: 5,
    data: {
      dataset: file,
      normalClass: '0',
      split: { kind: 'rows', train: [0, TRAIN_ROWS], test: [TRAIN_ROWS, null] },
      scaler: 'standard',
      trainOn: 'normal',
      validationFraction: 0.3,
      validationAnomalies: 'keep',
    },
    model: { kind: 'dense', encoder: [8, 2], activation: 'relu', outputActivation: 'linear', dropout: 0, l2: 0 },
    training: { epochs: 3, batchSize: 16, learningRate: 0.01, loss: 'mse' },
    scoring: { errorMetric: 'mse', threshold: { rule: 'percentile', percentile: 95, on: 'train' } },
    space: {
      'model.encoder': {
        type: 'categorical',
        values: [
          [8, 2],
          [8, 4],
          [6, 3],
        ],
      },
      'training.learningRate': { type: 'float', low: 0.001, high: 0.03, log: true },
      'threshold.on': { type: 'categorical', values: ['train', 'validation'] },
      'threshold.percentile': { type: 'categorical', values: [90, 99] },
    },
    sampler: { type: 'tpe', trials: 5, startupTrials: 2 },
    pruner: { type: 'asha', minEpochs: 1, reductionFactor: 2 },
    selection: { metric: 'f1', direction: 'maximize', split: 'validation' },
    executor: { backend: 'wasm' },
    ...overrides,
  } as ExperimentInput;
}

async function savedThresholds(store: RunStore, studyId: string): Promise<(number | null)[]> {
  const out: (number | null)[] = [];
  for (const trial of await store.listTrials(studyId)) {
    const folder = trial.artifacts[ARTIFACT.model];
    if (!folder) continue;
    const info = JSON.parse(Buffer.from(await store.readArtifact(`${folder}/${MODEL_FILES.info}`)).toString());
    out.push(info.threshold);
  }
  return out;
}

describe('honest selection', () => {
  let dir: string;
  let real: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'aelab-honest-'));
    real = join(dir, 'real.csv');
    await writeFile(real, csvText(false));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('refuses to select on test without the explicit opt-in, naming the field and the way out', () => {
    const leaky = experiment(real, { selection: { metric: 'f1', direction: 'maximize', split: 'test' } });
    expect(() => parseExperiment(leaky)).toThrow(
      /selection\.split: selecting on "test" lets test labels choose the winner.*"allowTest": true/s,
    );
    expect(() => parseExperiment({ ...leaky, selection: { ...leaky.selection, allowTest: true } })).not.toThrow();
  });

  it('fails before training when selection or a bestF1 threshold needs validation labels that are absent', async () => {
    const noLabels = (overrides: Partial<ExperimentInput>) => {
      const e = experiment(real, overrides);
      return parseExperiment({ ...e, data: { ...e.data, validationAnomalies: 'drop' } });
    };
    for (const exp of [
      noLabels({}),
      noLabels({
        selection: { metric: 'mse', direction: 'minimize', split: 'validation' },
        scoring: { errorMetric: 'mse', threshold: { rule: 'bestF1' } },
      }),
    ]) {
      const store = new InMemoryRunStore();
      const run = runStudy({ experiment: exp, experimentPath: 'honest.json', store, workers: 1 });
      await expect(run).rejects.toBeInstanceOf(ExperimentError);
      await expect(run).rejects.toThrow(
        new RegExp(
          /needs labelled validation rows, but the validation split of .* has 0 anomalies/.source +
            /.*validationAnomalies to "keep"/.source,
          's',
        ),
      );
      expect(await store.listStudies()).toEqual([]);
    }
  });

  it('refuses a bestF1 threshold fit on test labels without the opt-in, before training', async () => {
    const exp = parseExperiment(
      experiment(real, {
        scoring: { errorMetric: 'mse', threshold: { rule: 'bestF1', on: 'test' } },
        space: { 'model.encoder': { type: 'categorical', values: [[8, 2]] } },
      }),
    );
    const store = new InMemoryRunStore();
    await expect(runStudy({ experiment: exp, experimentPath: 'honest.json', store, workers: 1 })).rejects.toThrow(
      /threshold\.on "test": a bestF1 threshold fit on test labels makes every test score optimistic/,
    );
    expect(await store.listStudies()).toEqual([]);
  });

  it(
    'gives the same trials, pruning decisions, winner and ' + 'saved thresholds when every test label is flipped',
    async () => {
      // One path for both runs (the path is part of every config hash, hence of every seed).
      const file = join(dir, 'relabelled.csv');
      const run = async (flipTest: boolean) => {
        await writeFile(file, csvText(flipTest));
        const store = new InMemoryRunStore();
        const summary = await runStudy({
          experiment: parseExperiment(experiment(file)),
          experimentPath: 'honest.json',
          store,
          workers: 1,
        });
        const trials = await store.listTrials(summary.study.id);
        const evaluations = await store.listEvaluations(summary.study.id);
        return { store, summary, trials, evaluations, thresholds: await savedThresholds(store, summary.study.id) };
      };
      const a = await run(false);
      const b = await run(true);
      expect(b.trials[0].dataFingerprint).not.toBe(a.trials[0].dataFingerprint);
      const decisions = (r: typeof a) => r.trials.map((t) => [t.params, t.seed, t.status, t.history.length, t.reason]);
      expect(decisions(b)).toEqual(decisions(a));
      expect(a.trials.some((t) => t.status === 'pruned')).toBe(true);
      expect(b.evaluations.map((e) => [e.configHash, e.threshold, e.metrics.validation])).toEqual(
        a.evaluations.map((e) => [e.configHash, e.threshold, e.metrics.validation]),
      );
      expect(b.thresholds).toEqual(a.thresholds);
      expect(a.thresholds.length).toBeGreaterThan(0);
      // The relabelling did reach the test metrics: only they may change.
      expect(b.evaluations.map((e) => e.metrics.test?.f1)).not.toEqual(a.evaluations.map((e) => e.metrics.test?.f1));
    },
  );

  it('stores errors from which ROC-AUC and PR-AUC recompute to the recorded values (1e-12)', async () => {
    const store = new InMemoryRunStore();
    const summary = await runStudy({
      experiment: parseExperiment(experiment(real, { pruner: undefined })),
      experimentPath: 'honest.json',
      store,
      workers: 1,
    });
    const trials = new Map((await store.listTrials(summary.study.id)).map((t) => [t.id, t]));
    let checked = 0;
    for (const e of await store.listEvaluations(summary.study.id)) {
      const trial = trials.get(e.trialId)!;
      const errors = JSON.parse(Buffer.from(await store.readArtifact(trial.artifacts[ARTIFACT.errors])).toString());
      for (const split of ['validation', 'test'] as const) {
        const { y, mse } = errors[split];
        expect(Math.abs(rocAuc(y, mse)! - e.metrics[split]!.rocAuc!)).toBeLessThanOrEqual(1e-12);
        expect(Math.abs(averagePrecision(y, mse)! - e.metrics[split]!.prAuc!)).toBeLessThanOrEqual(1e-12);
        checked++;
      }
    }
    expect(checked).toBeGreaterThan(0);
  });
});
