import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createRng } from '@aelab/core';
import { InMemoryRunStore } from '@aelab/store';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseExperiment, type ExperimentInput } from '../src/experiment.js';
import { runStudy } from '../src/study.js';

/**
 * Rows 0-199 train, 200-299 test: noisy sine beats labelled 1 (normal), some spiked ones
 * labelled 0. `flipTest` swaps the label of every third test row: same signals, other labels.
 */
function beatsCsv(flipTest: boolean): string {
  const rng = createRng(11);
  const lines: string[] = [];
  for (let row = 0; row < 300; row++) {
    const anomalous = row % 5 === 0;
    const values = Array.from(
      { length: 24 },
      (_, t) => Math.sin(t / 3 + rng.next() * 0.3) + (anomalous && t % 6 === 0 ? 2 : 0) + rng.normal(0, 0.1),
    );
    let label = anomalous ? '0' : '1';
    if (flipTest && row >= 200 && row % 3 === 0) label = label === '0' ? '1' : '0';
    lines.push([...values.map((v) => v.toFixed(5)), label].join(','));
  }
  return `${lines.join('\n')}\n`;
}

const experiment = (file: string): ExperimentInput => ({
  name: 'unseen-test',
  seed: 3,
  data: {
    dataset: file,
    normalClass: '1',
    split: { kind: 'rows', train: [0, 200], test: [200, null] },
    scaler: 'standard',
    trainOn: 'normal',
    validationFraction: 0.25,
  },
  model: { kind: 'dense', encoder: [12, 4], activation: 'relu', outputActivation: 'linear', dropout: 0, l2: 0 },
  training: { epochs: 8, batchSize: 32, learningRate: 0.003, loss: 'mse' },
  scoring: { errorMetric: 'mse', threshold: { rule: 'percentile', percentile: 95, on: 'train' } },
  space: {
    'training.learningRate': { type: 'categorical', values: [0.0003, 0.003, 0.03] },
    'model.encoder': {
      type: 'categorical',
      values: [
        [12, 4],
        [16, 8],
        [8, 2],
      ],
    },
    'model.dropout': { type: 'categorical', values: [0, 0.2] },
  },
  // 7 of 18 configurations: after 2 random ones, which TPE proposes depends on the objectives.
  sampler: { type: 'tpe', trials: 7, startupTrials: 2, seed: 5 },
  pruner: { type: 'asha', minEpochs: 2, reductionFactor: 2 },
  selection: { metric: 'mse', direction: 'minimize', split: 'validation' },
  executor: { backend: 'wasm' },
});

/** Runs the study on the file as it is now; returns what samplers and pruners decided, and the test metrics. */
async function decisions(file: string) {
  const store = new InMemoryRunStore();
  const summary = await runStudy({
    experiment: parseExperiment(experiment(file)),
    experimentPath: 'unseen.json',
    store,
    workers: 1,
  });
  const trials = (await store.listTrials(summary.study.id)).sort((a, b) => a.number - b.number);
  const evaluations = await store.listEvaluations(summary.study.id);
  return {
    sequence: trials.map((t) => ({
      sampled: t.sampled,
      status: t.status,
      curve: t.history.map((e) => [e.loss, e.valLoss]),
    })),
    validation: evaluations.map((e) => e.metrics.validation),
    test: evaluations.map((e) => e.metrics.test),
  };
}

describe('the test split is never seen by samplers or pruners', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'aelab-unseen-'));
  });
  afterAll(() => rm(dir, { recursive: true, force: true }));

  it('a TPE + ASHA study selecting on validation runs the same trials when the test labels change', async () => {
    // The same path both times, so the configurations (and their trial seeds) hash the same.
    const file = join(dir, 'beats.csv');
    await writeFile(file, beatsCsv(false));
    const original = await decisions(file);
    await writeFile(file, beatsCsv(true));
    const perturbed = await decisions(file);

    expect(original.sequence.some((t) => t.status === 'pruned')).toBe(true);
    // (Selecting on test f1 instead, the same flip changes which configurations TPE proposes.)
    expect(perturbed.sequence).toEqual(original.sequence);
    expect(perturbed.validation).toEqual(original.validation);
    // The perturbation reached the test metrics: only they differ.
    expect(perturbed.test).not.toEqual(original.test);
    expect(perturbed.test.map((m) => m?.positives)).not.toEqual(original.test.map((m) => m?.positives));
  }, 120_000);
});
