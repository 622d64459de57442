import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadModel, reconstructionErrors, initBackend } from '@aelab/models';
import { InMemoryRunStore, JsonFileRunStore, type RunStore, type TrialRecord } from '@aelab/store';
import { prepareData } from '@aelab/data';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PopulationExecutor, populationGroupOf, populationPlan } from '../src/executors/population.js';
import { parseExperiment, type ExperimentInput } from '../src/experiment.js';
import { runStudy, type StudyEvent } from '../src/study.js';
import type { TrialTask } from '../src/trial-task.js';

// Real trainings in worker threads (which load the package build: nx builds before testing).
const sweep: ExperimentInput = {
  name: 'population-sweep',
  seed: 11,
  data: {
    dataset: 'synthetic-ecg',
    options: { trainRows: 160, testRows: 120 },
    scaler: 'standard',
    validationFraction: 0.2,
  },
  model: { kind: 'dense', encoder: [16, 4], activation: 'relu', outputActivation: 'linear', dropout: 0, l2: 0 },
  training: {
    epochs: 4,
    batchSize: 32,
    learningRate: 0.003,
    loss: 'mse',
    earlyStopping: { patience: 2, restoreBestWeights: true },
  },
  scoring: { errorMetric: 'mse', threshold: { rule: 'percentile', percentile: 95, on: 'train' } },
  space: {
    'model.dropout': { type: 'categorical', values: [0, 0.1] },
    'model.l2': { type: 'categorical', values: [0, 0.001] },
    'training.learningRate': { type: 'categorical', values: [0.003, 0.01] },
  },
  repeats: 2,
  selection: { metric: 'f1', direction: 'maximize', split: 'test', allowTest: true },
  executor: { backend: 'wasm' },
};

/** What identifies a trial and its training, and its history's losses. */
async function trialsOf(store: RunStore, studyId: string) {
  const trials = await store.listTrials(studyId);
  return trials.map((t: TrialRecord) => ({
    // Trial ids name their study (whose id holds its creation time): compare the trial's own part.
    identity: {
      id: t.id.slice(studyId.length),
      configHash: t.configHash,
      repeat: t.repeat,
      seed: t.seed,
      params: t.params,
      sampled: t.sampled,
      status: t.status,
      artifacts: Object.keys(t.artifacts).sort(),
    },
    losses: t.history.flatMap((h) => [h.loss, h.valLoss!]),
    trial: t,
  }));
}

describe('the population executor', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'aelab-population-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('records the same trials (ids, params, seeds) as the pool, each a complete single-training result', async () => {
    const experiment = parseExperiment(sweep);
    const pool = new InMemoryRunStore();
    const single = await runStudy({ experiment, experimentPath: 'sweep.json', store: pool, workers: 2 });
    const store = await JsonFileRunStore.open(join(dir, 'runs'));
    const events: StudyEvent[] = [];
    const executor = new PopulationExecutor({ backend: 'wasm', populations: 'always', populationSize: 16 });
    const together = await runStudy({
      experiment,
      experimentPath: 'sweep.json',
      store,
      executor,
      onEvent: (e) => events.push(e),
    });
    expect(single).toMatchObject({ trained: 16, failed: 0 });
    expect(together).toMatchObject({ trained: 16, failed: 0, evaluatedConfigurations: single.evaluatedConfigurations });
    const [a, b] = [await trialsOf(pool, single.study.id), await trialsOf(store, together.study.id)];
    expect(b.map((t) => t.identity)).toEqual(a.map((t) => t.identity));
    b.forEach((t, k) =>
      t.losses.forEach((loss, i) => expect(Math.abs(loss - a[k].losses[i]) / a[k].losses[i]).toBeLessThan(1e-4)),
    );
    // Trained in populations (the 16 share an architecture), not one by one.
    expect(executor.launched.reduce((a, b) => a + b, 0)).toBe(16);
    expect(Math.max(...executor.launched)).toBeGreaterThan(1);
    expect(events.find((e) => e.type === 'study')).toMatchObject({
      note: expect.stringContaining('populations of up to 16'),
    });
    // A member's saved model loads as `aelab score` loads it, and reproduces its recorded errors.
    const { trial } = b[5];
    const saved = await loadModel(join(store.root!, trial.artifacts['model']));
    const recorded = JSON.parse(Buffer.from(await store.readArtifact(trial.artifacts['errors.json'])).toString()) as {
      test: { mse: number[] };
    };
    await initBackend('wasm');
    const data = await prepareData(experiment.data, {});
    const { mse } = await reconstructionErrors(saved.model, data.test);
    mse.forEach((e, i) => expect(e).toBeCloseTo(recorded.test.mse[i], 5));
    saved.model.dispose();
    await store.close();
  }, 300_000);

  it('stops a running population when the sweep is interrupted: its trials are recorded interrupted', async () => {
    // Epochs enough to outlast the test's timeout: the worker must stop when its members are aborted.
    const experiment = parseExperiment({
      ...sweep,
      training: { ...sweep.training, epochs: 100_000, earlyStopping: null },
    });
    const store = new InMemoryRunStore();
    const controller = new AbortController();
    const executor = new PopulationExecutor({ backend: 'wasm', populations: 'always', populationSize: 16 });
    const summary = await runStudy({
      experiment,
      experimentPath: 'sweep.json',
      store,
      executor,
      signal: controller.signal,
      onEvent: (e) => e.type === 'trial-epoch' && e.record.epoch === 2 && controller.abort(),
    });
    expect(summary).toMatchObject({ interrupted: true, trained: 0 });
    const trials = await store.listTrials(summary.study.id);
    expect(trials.length).toBeGreaterThan(0);
    expect(trials.every((t) => t.status === 'interrupted')).toBe(true);
  }, 120_000);

  it('groups only trainings that can share a graph, and batches by default only where it was measured to pay', () => {
    const task = (model: Record<string, unknown>, training: Record<string, unknown> = {}): TrialTask => ({
      trialId: 't',
      seed: 1,
      backend: 'wasm',
      config: {
        data: { dataset: 'synthetic-ecg' },
        model: {
          kind: 'dense',
          encoder: [16, 4],
          activation: 'relu',
          outputActivation: 'linear',
          dropout: 0,
          l2: 0,
          ...model,
        },
        training: { epochs: 4, batchSize: 32, learningRate: 0.003, loss: 'mse', ...training },
      },
    });
    const same = populationGroupOf(task({}));
    expect(populationGroupOf(task({ dropout: [0.2, 0.1], l2: 0.01 }, { learningRate: 0.1, epochs: 9 }))).toBe(same);
    expect(populationGroupOf(task({ encoder: [16, 8] }))).not.toBe(same);
    expect(populationGroupOf(task({}, { batchSize: 16 }))).not.toBe(same);
    expect(populationGroupOf(task({ kind: 'lstm', units: [8], activation: 'tanh' }))).toBeNull();
    expect(populationPlan({ backend: 'wasm' })).toMatchObject({
      size: 1,
      note: expect.stringContaining('on backend wasm a population trains no more models per second'),
    });
    expect(populationPlan({ backend: 'cpu' }).size).toBe(1);
    expect(populationPlan({ backend: 'auto' }).note).toContain('backend auto');
    expect(populationPlan({ backend: 'wasm', populations: 'always', populationSize: 8 }).size).toBe(8);
    expect(() => populationPlan({ populationSize: 0 })).toThrow('populationSize must be a positive integer, got 0');
  });
});
