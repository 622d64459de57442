import { isBaselineParams, rankConfigurations, winnerOf, bestBaselineOf, type ErrorsArtifact } from '@aelab/core';
import { InMemoryRunStore } from '@aelab/store';
import { describe, expect, it } from 'vitest';
import { ExperimentError, parseExperiment, type ExperimentInput } from '../src/experiment.js';
import { runStudy, type StudyEvent } from '../src/study.js';

// Real trainings and fits in the Piscina pool (workers load the package build).
const withBaselines: ExperimentInput = {
  name: 'baselines',
  seed: 11,
  data: {
    dataset: 'synthetic-ecg',
    options: { trainRows: 160, testRows: 120 },
    scaler: 'standard',
    validationFraction: 0.2,
    validationAnomalies: 'keep',
  },
  model: { kind: 'dense', encoder: [16, 4], activation: 'relu', outputActivation: 'linear', dropout: 0, l2: 0 },
  baselines: [
    { kind: 'pca', components: 2 },
    { kind: 'isolation-forest', trees: 20, sampleSize: 64 },
    { kind: 'knn', k: 3, aggregate: 'kth' },
  ],
  training: {
    epochs: 2,
    batchSize: 32,
    learningRate: 0.003,
    loss: 'mse',
    earlyStopping: { patience: 1, restoreBestWeights: true },
  },
  scoring: { errorMetric: 'mse', threshold: { rule: 'percentile', percentile: 95, on: 'train' } },
  space: { 'threshold.percentile': { type: 'categorical', values: [90, 99] } },
  repeats: 2,
  selection: { metric: 'prAuc', direction: 'maximize', split: 'validation' },
  executor: { backend: 'wasm' },
};

describe('baseline detectors in a sweep', () => {
  it(
    'are fitted in the local pool on normal rows, recorded as trials without a loss curve, ' +
      'scored by every rule, never the winner',
    async () => {
      const store = new InMemoryRunStore();
      const events: StudyEvent[] = [];
      const experiment = parseExperiment(withBaselines);
      const summary = await runStudy({
        experiment,
        experimentPath: 'baselines.json',
        store,
        workers: 1,
        onEvent: (e) => events.push(e),
      });
      expect(summary).toMatchObject({ trained: 8, failed: 0, completedTrainings: 8, evaluatedConfigurations: 8 });
      const start = events.find((e) => e.type === 'trial-start');
      expect(start).toMatchObject({ total: 8 });

      const trials = await store.listTrials(summary.study.id);
      const baselines = trials.filter((t) => isBaselineParams(t.params));
      expect(baselines.map((t) => t.params['model.kind'])).toEqual([
        'pca',
        'pca',
        'isolation-forest',
        'isolation-forest',
        'knn',
        'knn',
      ]);
      for (const t of baselines) {
        expect(t).toMatchObject({ status: 'complete', history: [], bestEpoch: null, reason: null });
        expect(t.environment).toMatchObject({ backend: 'js', trainingStep: 'fitted', versions: { tfjs: 'none' } });
        expect(t.configHash).toMatch(/^[0-9a-f]{64}$/);
        expect(t.dataFingerprint).toBe(trials[0].dataFingerprint);
        expect(t.sampled).toEqual(
          expect.objectContaining({ 'model.kind': t.params['model.kind'], 'model.baseline': true }),
        );
      }
      // Seeded per repeat: the forest differs between repeats, PCA (no randomness) does not.
      const errors = async (i: number) =>
        JSON.parse(
          Buffer.from(await store.readArtifact(baselines[i].artifacts['errors.json'])).toString(),
        ) as ErrorsArtifact;
      expect((await errors(0)).test!.mse).toEqual((await errors(1)).test!.mse);
      expect((await errors(2)).test!.mse).not.toEqual((await errors(3)).test!.mse);

      const evaluations = await store.listEvaluations(summary.study.id);
      const byId = new Map(trials.map((t) => [t.id, t]));
      const inputs = evaluations.map((e) => ({
        ...e,
        trainingHash: byId.get(e.trialId)!.configHash,
        baseline: isBaselineParams(byId.get(e.trialId)!.params),
      }));
      expect(inputs.filter((e) => e.baseline)).toHaveLength(6 * 2);
      const ranked = rankConfigurations(experiment.selection, inputs);
      const winner = winnerOf(ranked)!;
      expect(winner.baseline).toBe(false);
      expect(bestBaselineOf(ranked)?.baseline).toBe(true);
      // The progress line's best is the same autoencoder, whichever baseline ranks above it.
      const last = events.filter((e) => e.type === 'trial-end').at(-1);
      expect(last).toMatchObject({ best: { configHash: winner.configHash } });
    },
    240_000,
  );

  it(
    'are refused where they are not baselines, ' +
      'and a baseline that is not a detector or is listed twice is refused',
    () => {
      const problems = (input: ExperimentInput) => {
        try {
          parseExperiment(input, 'x.json');
          return [];
        } catch (err) {
          return (err as ExperimentError).problems.map((p) => `${p.path}: ${p.message}`);
        }
      };
      expect(problems({ ...withBaselines, model: { kind: 'pca', components: 3 } })).toContain(
        'model.kind: "pca" is a baseline detector: list it under "baselines", where it is compared with the winner',
      );
      const dense = {
        kind: 'dense' as const,
        encoder: [4],
        activation: 'relu' as const,
        outputActivation: 'linear' as const,
        dropout: 0,
        l2: 0,
      };
      expect(problems({ ...withBaselines, baselines: [dense] })).toContain(
        'baselines[0].kind: a baseline is a detector (pca, isolation-forest, knn), got "dense"',
      );
      const pca = { kind: 'pca', components: 2 } as const;
      expect(problems({ ...withBaselines, baselines: [pca, pca] })).toContain(
        'baselines[1]: the same baseline twice (it would be fitted twice)',
      );
    },
  );

  it('are checked before anything trains: more PCA components than values per row is one clear error', async () => {
    const experiment = parseExperiment({ ...withBaselines, baselines: [{ kind: 'pca', components: 500 }] });
    const store = new InMemoryRunStore();
    await expect(runStudy({ experiment, experimentPath: 'baselines.json', store, workers: 1 })).rejects.toThrow(
      /components: 500 is more than the \d+ values of a row/,
    );
    expect(await store.listStudies()).toHaveLength(0);
  }, 60_000);
});
