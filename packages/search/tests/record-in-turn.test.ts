import { InMemoryRunStore, type ArtifactData } from '@aelab/store';
import { describe, expect, it } from 'vitest';
import type { ProgressHandler, TrialExecutor } from '../src/executors/executor.js';
import { parseExperiment } from '../src/experiment.js';
import { runStudy } from '../src/study.js';
import { errorsBlob, float32Bytes, type TrialResult, type TrialTask } from '../src/trial-task.js';

/** Finishes every training at once, so that their results arrive together. */
class InstantExecutor implements TrialExecutor {
  readonly name = 'instant';
  readonly concurrency = 3;
  /** Each call of releaseWorkers() and of close(), with how many artifact writes the store had seen by then. */
  readonly released: number[] = [];
  readonly closed: number[] = [];

  constructor(private readonly store: SlowArtifactStore) {}

  async run(task: TrialTask, _onProgress: ProgressHandler): Promise<TrialResult> {
    if (this.released.length + this.closed.length > 0) throw new Error('run after releaseWorkers or close');
    const errors = float32Bytes(Float32Array.from([0.1, 0.2, 0.3, 0.9]));
    const y = [0, 0, 0, 1];
    return {
      history: [{ epoch: 1, loss: 1, valLoss: null, seconds: 0.01 }],
      bestEpoch: 1,
      stopReason: 'completed',
      parameterCount: 1,
      trainSeconds: 0.01,
      backend: { backend: 'instant', tfjsVersion: 'none' },
      dataFingerprint: 'f'.repeat(64),
      splits: { train: { rows: 4, y, labels: y.map(String) }, test: { rows: 4, y, labels: y.map(String) } },
      examples: {},
      modelInfo: {
        format: 'aelab-model',
        version: 1,
        spec: { kind: 'dense' },
        preparation: null,
        threshold: null,
        extra: { trialId: task.trialId },
        tfjsVersion: 'none',
      },
      blobs: {
        [errorsBlob('train', 'mse')]: errors,
        [errorsBlob('train', 'mae')]: errors,
        [errorsBlob('test', 'mse')]: errors,
        [errorsBlob('test', 'mae')]: errors,
        'model/weights.bin': new Uint8Array(4),
      },
    };
  }

  async releaseWorkers(): Promise<void> {
    this.released.push(this.store.writes.length);
  }

  async close(): Promise<void> {
    this.closed.push(this.store.writes.length);
  }
}

/** Logs which trial each artifact write is for, each write taking a few turns of the event loop. */
class SlowArtifactStore extends InMemoryRunStore {
  readonly writes: string[] = [];

  override async writeArtifact(studyId: string, trialId: string, name: string, data: ArtifactData): Promise<string> {
    this.writes.push(trialId);
    await new Promise((resolve) => setTimeout(resolve, 2));
    return super.writeArtifact(studyId, trialId, name, data);
  }
}

describe('recording results', () => {
  it('records one result at a time: results that arrive together are recorded one after the other', async () => {
    const experiment = parseExperiment({
      name: 'in-turn',
      seed: 1,
      data: { dataset: 'synthetic-ecg', options: { trainRows: 40, testRows: 40 } },
      model: { kind: 'dense', encoder: [16, 4], activation: 'relu', outputActivation: 'linear', dropout: 0, l2: 0 },
      training: { epochs: 1, batchSize: 32, learningRate: 0.001, loss: 'mse' },
      scoring: { errorMetric: 'mse', threshold: { rule: 'fixed', value: 0.5 } },
      space: {
        'model.encoder': {
          type: 'categorical',
          values: [
            [16, 4],
            [16, 8],
            [16, 2],
          ],
        },
      },
      selection: { metric: 'f1', direction: 'maximize', split: 'test', allowTest: true },
    });
    const store = new SlowArtifactStore();
    const executor = new InstantExecutor(store);
    const summary = await runStudy({ experiment, experimentPath: 'in-turn.json', store, executor });
    expect(summary.trained).toBe(3);
    // Each trial's writes are one run: no trial's recording began before the last one's ended.
    const runs = store.writes.filter((id, i) => id !== store.writes[i - 1]);
    expect(runs).toHaveLength(3);
    expect(new Set(runs).size).toBe(3);
    // Every training was back when the last was recorded: the executor's threads were let
    // go then, once, before the recordings ended; it was closed (which may delete what a
    // restarted coordinator needs) only once every result was recorded.
    expect(executor.released).toHaveLength(1);
    expect(executor.released[0]).toBeLessThan(store.writes.length);
    expect(executor.closed).toEqual([store.writes.length]);
  });
});
