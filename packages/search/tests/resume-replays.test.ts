import { rankConfigurations } from '@aelab/core';
import { InMemoryRunStore, type RunStore } from '@aelab/store';
import { afterAll, describe, expect, it } from 'vitest';
import type { TrialExecutor } from '../src/executors/executor.js';
import { createExecutor } from '../src/executors/index.js';
import { parseExperiment, type ExperimentInput } from '../src/experiment.js';
import { runStudy, type StudyEvent, type StudyOptions } from '../src/study.js';

/*
 * The sampler contract (samplers/sampler.ts) promises replay: a study stopped after any
 * recorded result and resumed decides exactly as one that never stopped. Real trainings
 * in one pool thread kept warm across the invocations (each invocation would otherwise
 * start its own), on a tiny dataset.
 */
const base: ExperimentInput = {
  name: 'resume-replays',
  seed: 11,
  data: {
    dataset: 'synthetic-ecg',
    options: { trainRows: 80, testRows: 60 },
    validationFraction: 0.25,
    validationAnomalies: 'keep',
  },
  model: { kind: 'dense', encoder: [16, 4], activation: 'relu', outputActivation: 'linear', dropout: 0, l2: 0 },
  training: { epochs: 4, batchSize: 32, learningRate: 0.003, loss: 'mse' },
  scoring: { errorMetric: 'mse', threshold: { rule: 'percentile', percentile: 95, on: 'train' } },
  space: {
    'model.encoder': {
      type: 'categorical',
      values: [
        [16, 2],
        [16, 8],
      ],
    },
    'training.learningRate': { type: 'categorical', values: [1e-5, 0.003, 0.03] },
  },
  selection: { metric: 'f1', direction: 'maximize', split: 'validation' },
  executor: { backend: 'wasm' },
};
const SAMPLERS = {
  // Two startup draws, then the model: its decisions depend on what had finished when it was asked.
  tpe: { type: 'tpe', trials: 5, startupTrials: 2, seed: 3 },
  random: { type: 'random', trials: 5, seed: 3 },
  grid: { type: 'grid' },
} as const;
const PRUNERS = { none: { type: 'none' }, asha: { type: 'asha', minEpochs: 1, reductionFactor: 2 } } as const;

const pool = createExecutor(undefined, { workers: 1 });
afterAll(() => pool.close());

/** The shared pool, which a study may close: the next invocation uses it again. */
const warmPool: TrialExecutor = {
  name: pool.name,
  concurrency: 1,
  run: (...args) => pool.run(...args),
  close: async () => {},
};

/** Everything the study decided, trial by trial, and its winner. */
async function decisions(store: RunStore) {
  const [study] = await store.listStudies();
  const trials = await store.listTrials(study.id);
  const trainingOf = new Map(trials.map((t) => [t.id, t.configHash]));
  const evaluations = (await store.listEvaluations(study.id)).map((e) => ({
    ...e,
    trainingHash: trainingOf.get(e.trialId)!,
  }));
  return {
    // A stop can catch the next trial training (it starts while the last result is written):
    // it is kept as interrupted and trained again once the study resumes: not one of its decisions.
    trials: trials
      .filter((t) => t.status !== 'interrupted')
      .map((t) => ({
        configHash: t.configHash,
        sampled: t.sampled,
        repeat: t.repeat,
        status: t.status,
        epochs: t.history.length,
      })),
    winner: rankConfigurations(study.selection, evaluations)[0]?.configHash,
  };
}

describe.each(Object.entries(SAMPLERS))('a %s study', (samplerName, sampler) => {
  const title = 'with pruner %s, stopped after each result and resumed, equals the uninterrupted one-worker run';
  it.each(Object.keys(PRUNERS))(
    title,
    async (prunerName) => {
      const pruner = PRUNERS[prunerName as keyof typeof PRUNERS];
      const experiment = parseExperiment({ ...base, sampler, pruner } as ExperimentInput);
      const options = (store: RunStore): StudyOptions => ({
        experiment,
        experimentPath: `${samplerName}.json`,
        store,
        executor: warmPool,
      });

      const whole = new InMemoryRunStore();
      await runStudy(options(whole));
      const uninterrupted = await decisions(whole);
      expect(uninterrupted.trials.length).toBeGreaterThanOrEqual(5);
      if (prunerName === 'asha') expect(uninterrupted.trials.map((t) => t.status)).toContain('pruned');

      // Each invocation stops right after its first recorded result; the next one resumes.
      const stopped = new InMemoryRunStore();
      let invocations = 0;
      for (let interrupted = true; interrupted; invocations++) {
        const why = 'more invocations than trials: a resumed study did not go on';
        expect(invocations, why).toBeLessThanOrEqual(uninterrupted.trials.length);
        const stop = new AbortController();
        const onEvent = (e: StudyEvent) => e.type === 'trial-end' && stop.abort();
        const summary = await runStudy({ ...options(stopped), signal: stop.signal, onEvent });
        interrupted = summary.interrupted;
      }
      expect(invocations).toBe(uninterrupted.trials.length + 1);
      expect(await decisions(stopped)).toEqual(uninterrupted);
    },
    120_000,
  );
});
