import { posix } from 'node:path';
import { InMemoryRunStore } from '@aelab/store';
import { describe, expect, it } from 'vitest';
import { parseExperiment } from '../src/experiment.js';
import { ObjectiveBoard } from '../src/objective-board.js';
import { evaluationHash, TrialRecorder } from '../src/recorder.js';
import { resolveScoringVariants } from '../src/resolve.js';
import { errorsBlob, float32Bytes, type TrialResult } from '../src/trial-task.js';

const experiment = parseExperiment({
  name: 'saved-model',
  seed: 1,
  data: { dataset: 'synthetic-ecg', options: { trainRows: 40, testRows: 40 } },
  model: { kind: 'dense', encoder: [16, 4], activation: 'relu', outputActivation: 'linear', dropout: 0, l2: 0 },
  training: { epochs: 1, batchSize: 32, learningRate: 0.001, loss: 'mse' },
  scoring: { errorMetric: 'mse', threshold: { rule: 'fixed', value: 0.5 } },
  space: { 'threshold.value': { type: 'categorical', values: [0.5, 1.5] } },
  selection: { metric: 'f1', direction: 'maximize', split: 'test', allowTest: true },
});
const variants = resolveScoringVariants(experiment, [{ 'threshold.value': 0.5 }, { 'threshold.value': 1.5 }]);
const environment = { backend: 'cpu', versions: {}, gitCommit: null };

/** A result whose errors flag the one anomaly at a threshold of 0.5 (F1 1) but not at 1.5 (F1 0). */
function result(): TrialResult {
  const errors = float32Bytes(Float32Array.from([0.1, 0.2, 0.3, 0.9]));
  const y = [0, 0, 0, 1];
  const labels = y.map(String);
  const blobs: Record<string, Uint8Array> = { 'model/weights.bin': new Uint8Array(4) };
  for (const split of ['train', 'test'] as const) {
    for (const metric of ['mse', 'mae'] as const) blobs[errorsBlob(split, metric)] = errors;
  }
  return {
    history: [{ epoch: 1, loss: 1, valLoss: null, seconds: 0.01 }],
    bestEpoch: 1,
    stopReason: 'completed',
    parameterCount: 1,
    trainSeconds: 0.01,
    backend: { backend: 'cpu', tfjsVersion: 'none' },
    dataFingerprint: 'f'.repeat(64),
    splits: { train: { rows: 4, y, labels }, test: { rows: 4, y, labels } },
    examples: {},
    modelInfo: {
      format: 'aelab-model',
      version: 1,
      spec: { kind: 'dense' },
      preparation: null,
      threshold: null,
      extra: {},
      tfjsVersion: 'none',
    },
    blobs,
  };
}

/**
 * A study resumed with one repeat recorded by an earlier run (its saved model's
 * `aelab-model.json` as `storedInfo`, where the 1.5 variant led), then a repeat that makes
 * the 0.5 variant lead: the recorder saves the earlier repeat's model again, reading it back.
 */
async function resumeWith(storedInfo: string): Promise<{ recording: Promise<unknown> }> {
  const store = new InMemoryRunStore();
  const study = await store.createStudy({
    name: 'saved-model',
    experimentPath: 'saved-model.json',
    experiment: {},
    experimentHash: 'saved-model',
    gitCommit: null,
    dataset: 'synthetic-ecg',
    selection: experiment.selection,
  });
  const newTrial = (repeat: number) =>
    store.startTrial(study.id, {
      configHash: 'training',
      params: {},
      repeat,
      seed: repeat,
      environment,
      dataFingerprint: null,
    });
  const earlier = await newTrial(0);
  const path = await store.writeArtifact(study.id, earlier.id, 'model/aelab-model.json', storedInfo);
  const evaluations = variants.map(({ sampled, scoring, flat }, i) => ({
    configHash: evaluationHash('training', scoring),
    scoring: flat,
    sampled,
    threshold: scoring.threshold.rule === 'fixed' ? scoring.threshold.value : 0,
    usesLabels: false,
    metrics: { test: { rows: 4, positives: 1, f1: i === 0 ? 0 : 0.6 } },
  }));
  await store.finishTrial(earlier.id, { status: 'complete', artifacts: { model: posix.dirname(path) }, evaluations });
  const board = new ObjectiveBoard(experiment.selection);
  board.add((await store.listEvaluations(study.id)).map((e) => ({ ...e, trainingHash: 'training' })));
  const context = { store, study, experiment, scoringVariants: variants, board, environment: () => environment };
  const recorder = new TrialRecorder(context);
  return { recording: recorder.complete(await newTrial(1), result()) };
}

describe("saving an earlier run's model again", () => {
  it('refuses an aelab-model.json that is not JSON, naming the file', async () => {
    const { recording } = await resumeWith('{"format": "aelab-model",');
    await expect(recording).rejects.toThrow(/model\/aelab-model\.json is not valid JSON/);
  });

  it("refuses one that score's schema refuses, naming the file and the field", async () => {
    const info = { format: 'aelab-model', version: 1, spec: { kind: 'dense' }, preparation: null, threshold: 'x' };
    const { recording } = await resumeWith(JSON.stringify(info));
    await expect(recording).rejects.toThrow(/aelab-model\.json: .*threshold must be a finite number or null, got "x"/);
  });
});
