import { rankConfigurations, winnerOf } from '@aelab/core';
import { InMemoryRunStore } from '@aelab/store';
import { describe, expect, it } from 'vitest';
import type { TrialExecutor } from '../src/executors/executor.js';
import { createExecutor } from '../src/executors/index.js';
import { parseExperiment, type ExperimentInput } from '../src/experiment.js';
import { runStudy } from '../src/study.js';

// Real trainings in the Piscina pool (worker threads load the package build: nx runs
// `build` before `test`), as in sweep.test.ts.
const tiny: ExperimentInput = {
  name: 'tiny-asha',
  seed: 7,
  data: {
    dataset: 'synthetic-ecg',
    options: { trainRows: 160, testRows: 120 },
    scaler: 'standard',
    validationFraction: 0.2,
  },
  model: { kind: 'dense', encoder: [16, 4], activation: 'relu', outputActivation: 'linear', dropout: 0, l2: 0 },
  training: { epochs: 20, batchSize: 32, learningRate: 0.003, loss: 'mse' },
  scoring: { errorMetric: 'mse', threshold: { rule: 'percentile', percentile: 95, on: 'train' } },
  // Six configurations, the best neither first nor last: slow learners fall behind at the rungs.
  space: { 'training.learningRate': { type: 'categorical', values: [1e-4, 0.003, 1e-6, 0.01, 1e-5, 0.001] } },
  pruner: { type: 'asha', minEpochs: 2, reductionFactor: 2 },
  selection: { metric: 'f1', direction: 'maximize', split: 'test', allowTest: true },
  executor: { backend: 'wasm' },
};
const RUNGS = [2, 4, 8, 16];

/** The local pool, noting the epoch at which the study's pruner first answered 'prune' for each trial. */
function observingPool(verdicts: Map<string, number>): TrialExecutor {
  const pool = createExecutor(undefined, { workers: 1 });
  return {
    name: pool.name,
    concurrency: pool.concurrency,
    run: (task, onProgress, signal) =>
      pool.run(
        task,
        (progress) => {
          const directive = onProgress(progress);
          if (directive === 'prune' && progress.type === 'epoch' && !verdicts.has(task.trialId))
            verdicts.set(task.trialId, progress.record.epoch);
          return directive;
        },
        signal,
      ),
    close: () => pool.close(),
  };
}

describe('a sweep with the ASHA pruner', () => {
  it(
    'stops trials at rung epochs only, never trains them ' + 'again, and its best configuration trained to the end',
    async () => {
      const experiment = parseExperiment(tiny);
      const store = new InMemoryRunStore();
      const verdicts = new Map<string, number>();
      const summary = await runStudy({
        experiment,
        experimentPath: 'tiny-asha.json',
        store,
        executor: observingPool(verdicts),
      });
      expect(summary.failed).toBe(0);
      expect(summary.trained + summary.pruned).toBe(6);
      expect(summary.pruned).toBeGreaterThan(0);
      expect(summary.trained).toBeGreaterThan(0);

      const trials = await store.listTrials(summary.study.id);
      const pruned = trials.filter((t) => t.status === 'pruned');
      expect(pruned).toHaveLength(summary.pruned);
      expect([...verdicts.keys()].sort()).toEqual(pruned.map((t) => t.id).sort());
      for (const t of pruned) {
        const verdict = verdicts.get(t.id)!;
        expect(RUNGS).toContain(verdict);
        // The trial waits for each epoch's verdict: it stops exactly at the rung.
        expect(t.history.length).toBe(verdict);
        expect(t.reason).toBe(`pruned by the asha pruner after epoch ${t.history.length}`);
      }
      for (const t of trials.filter((t) => t.status === 'complete')) expect(t.history).toHaveLength(20);

      const trainingOf = new Map(trials.map((t) => [t.id, t.configHash]));
      const evaluations = (await store.listEvaluations(summary.study.id)).map((e) => ({
        ...e,
        trainingHash: trainingOf.get(e.trialId)!,
      }));
      const winner = winnerOf(rankConfigurations(summary.study.selection, evaluations));
      const winning = trials.find((t) => t.id === winner?.evaluations[0].trialId);
      expect(winning?.status).toBe('complete');
      expect(winning?.history).toHaveLength(20);

      // Resuming replays nothing: complete and pruned trainings are not run again.
      const again = await runStudy({ experiment, experimentPath: 'tiny-asha.json', store, workers: 1 });
      expect(again).toMatchObject({ trained: 0, pruned: 0, skipped: 6 });
    },
  );
});
