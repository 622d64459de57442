import { availableParallelism } from 'node:os';
import { InMemoryRunStore } from '@aelab/store';
import { describe, expect, it } from 'vitest';
import { parseExperiment, type ExperimentInput } from '../src/experiment.js';
import { runStudy, type StudyEvent } from '../src/study.js';
import { concurrencyOf, localWorkerLimit } from '../src/study-setup.js';

/** A grid of two one-epoch trainings on tiny data. */
const twoTrainings: ExperimentInput = {
  name: 'worker-cap',
  seed: 4,
  data: { dataset: 'synthetic-ecg', options: { trainRows: 60, testRows: 40 }, validationAnomalies: 'keep' },
  model: { kind: 'dense', encoder: [16, 4], activation: 'relu', outputActivation: 'linear', dropout: 0, l2: 0 },
  training: { epochs: 1, batchSize: 32, learningRate: 0.003, loss: 'mse' },
  scoring: { errorMetric: 'mse', threshold: { rule: 'percentile', percentile: 95, on: 'train' } },
  space: {
    'model.encoder': {
      type: 'categorical',
      values: [
        [16, 2],
        [16, 4],
      ],
    },
  },
  selection: { metric: 'f1', direction: 'maximize', split: 'validation' },
  executor: { backend: 'wasm' },
};

/** Runs the study, returning its header event (workers = the threads its pool starts) and summary. */
async function sweep(input: ExperimentInput, workers: number | undefined, store = new InMemoryRunStore()) {
  const events: StudyEvent[] = [];
  const experiment = parseExperiment(input);
  const onEvent = (e: StudyEvent) => events.push(e);
  const summary = await runStudy({ experiment, experimentPath: 'cap.json', store, workers, onEvent });
  const header = events.find((e) => e.type === 'study');
  if (header?.type !== 'study') throw new Error('no study event');
  return { header, summary, store };
}

describe('the number of workers', () => {
  // The pool starts exactly `workers` threads (Piscina's min and max): the header's count is what was spawned.
  it('--workers 1000 on a 2-training grid starts 2 workers, and says why', async () => {
    const { header, summary, store } = await sweep(twoTrainings, 1000);
    expect(header.workers).toBe(2);
    expect(header.note).toBe('workers 1000 capped at 2: 2 trainings left to run');
    expect(summary.completedTrainings).toBe(2);

    // Resumed with nothing left: one worker, not a thousand.
    const again = await sweep(twoTrainings, 1000, store);
    expect(again.header.workers).toBe(1);
    expect(again.header.note).toBe('workers 1000 capped at 1: no trainings left to run');
  }, 120_000);

  it('"workers": 1000 in the file, with the population executor, starts 2 workers, and says why', async () => {
    const inFile = { ...twoTrainings, executor: { backend: 'wasm', kind: 'population', workers: 1000 } };
    const { header, summary } = await sweep(inFile, undefined);
    expect(header.workers).toBe(2);
    expect(header.note).toMatch(/^workers 1000 capped at 2: 2 trainings left to run; populations off/);
    expect(summary.completedTrainings).toBe(2);
  }, 120_000);

  it('is at most two per CPU when the sampler has more to run, or cannot say how many', () => {
    const experiment = parseExperiment(twoTrainings);
    const limit = localWorkerLimit();
    expect(limit).toBe(2 * availableParallelism());
    expect(concurrencyOf(experiment, 'wasm', 1000, { pending: null })).toEqual({
      workers: limit,
      note: `workers 1000 capped at ${limit}: at most 2 per CPU (${limit / 2} CPUs here)`,
    });
    expect(concurrencyOf(experiment, 'wasm', 1000, { pending: 5000 }).workers).toBe(limit);
    // A choice within both bounds is kept as it is, without a note.
    expect(concurrencyOf(experiment, 'wasm', 2, { pending: 2 })).toEqual({ workers: 2 });
    // An executor given by the caller runs what it runs.
    expect(concurrencyOf(experiment, 'wasm', 1000)).toEqual({ workers: 1000 });
  });

  it('refuses a count that is not a positive integer before anything starts', async () => {
    const experiment = parseExperiment(twoTrainings);
    for (const bad of [0, -3, 1.5, Number.NaN]) {
      const message = `workers must be a positive integer, got ${bad}`;
      expect(() => concurrencyOf(experiment, 'wasm', bad, { pending: 2 })).toThrow(message);
    }
    const store = new InMemoryRunStore();
    await expect(sweep(twoTrainings, 0, store)).rejects.toThrow('workers must be a positive integer, got 0');
    expect(await store.listStudies()).toEqual([]);
  });
});
