import { InMemoryRunStore, type NewEvaluation, type TrialOutcome } from '@aelab/store';
import { describe, expect, it } from 'vitest';
import type { ProgressHandler, TrialExecutor } from '../src/executors/executor.js';
import { parseExperiment } from '../src/experiment.js';
import { runStudy } from '../src/study.js';
import { errorsBlob, float32Bytes, type TrialResult, type TrialTask } from '../src/trial-task.js';

/** Returns at once a result whose errors flag the one anomaly at a threshold of 0.5 but not at 1.5. */
class InstantExecutor implements TrialExecutor {
  readonly name = 'instant';
  readonly concurrency = 1;

  async run(task: TrialTask, _onProgress: ProgressHandler): Promise<TrialResult> {
    const errors = float32Bytes(Float32Array.from([0.1, 0.2, 0.3, 0.9]));
    const y = [0, 0, 0, 1];
    const labels = y.map(String);
    return {
      history: [{ epoch: 1, loss: 1, valLoss: null, seconds: 0.01 }],
      bestEpoch: 1,
      stopReason: 'completed',
      parameterCount: 1,
      trainSeconds: 0.01,
      backend: { backend: 'instant', tfjsVersion: 'none' },
      dataFingerprint: 'f'.repeat(64),
      splits: { train: { rows: 4, y, labels }, test: { rows: 4, y, labels } },
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
      blobs: Object.fromEntries([
        ...(['train', 'test'] as const).flatMap((split) =>
          (['mse', 'mae'] as const).map((metric) => [errorsBlob(split, metric), errors]),
        ),
        ['model/weights.bin', new Uint8Array(4)],
      ]),
    };
  }

  async close(): Promise<void> {}
}

/** Counts the store's record writes (each one durable write of a shard) and its artifact reads. */
class CountingStore extends InMemoryRunStore {
  readonly calls: string[] = [];

  override async startTrial(...args: Parameters<InMemoryRunStore['startTrial']>) {
    this.calls.push('startTrial');
    return super.startTrial(...args);
  }
  override async addEvaluations(trialId: string, evaluations: NewEvaluation[]) {
    this.calls.push('addEvaluations');
    return super.addEvaluations(trialId, evaluations);
  }
  override async finishTrial(trialId: string, outcome: TrialOutcome) {
    this.calls.push('finishTrial');
    return super.finishTrial(trialId, outcome);
  }
  override async readArtifact(path: string) {
    this.calls.push('readArtifact');
    return super.readArtifact(path);
  }
}

/** One training configuration in two repeats (two trials), scored with two thresholds. */
const twoTrials = () =>
  parseExperiment({
    name: 'round-trips',
    seed: 1,
    repeats: 2,
    data: { dataset: 'synthetic-ecg', options: { trainRows: 40, testRows: 40 } },
    model: { kind: 'dense', encoder: [16, 4], activation: 'relu', outputActivation: 'linear', dropout: 0, l2: 0 },
    training: { epochs: 1, batchSize: 32, learningRate: 0.001, loss: 'mse' },
    scoring: { errorMetric: 'mse', threshold: { rule: 'fixed', value: 0.5 } },
    space: { 'threshold.value': { type: 'categorical', values: [0.5, 1.5] } },
    selection: { metric: 'f1', direction: 'maximize', split: 'test', allowTest: true },
  });

describe('recording a trial', () => {
  it('takes two record writes per trial (start; outcome with its evaluations) and reads nothing back', async () => {
    const experiment = twoTrials();
    const store = new CountingStore();
    const executor = new InstantExecutor();
    const summary = await runStudy({ experiment, experimentPath: 'round-trips.json', store, executor });
    expect(summary.trained).toBe(2);
    // The second trial may start while the first's outcome is written (see StudyRun's slots): counted, not ordered.
    expect([...store.calls].sort()).toEqual(['finishTrial', 'finishTrial', 'startTrial', 'startTrial']);
    const [study] = await store.listStudies();
    const evaluations = await store.listEvaluations(study.id);
    expect(evaluations).toHaveLength(4);
    // Each saved model points at the evaluation whose threshold it carries: the variant that wins (0.5, F1 1).
    for (const trial of await store.listTrials(study.id)) {
      const file = `${trial.artifacts.model}/aelab-model.json`;
      const info = JSON.parse(new TextDecoder().decode(await store.readArtifact(file))) as {
        threshold: number;
        extra: { evaluation: string };
      };
      const pointed = evaluations.find((e) => e.trialId === trial.id && e.configHash === info.extra.evaluation);
      expect(pointed?.threshold).toBe(0.5);
      expect(info.threshold).toBe(pointed?.threshold);
    }
  });
});

/** Holds the first trial's outcome write until the executor has been given the second trial. */
class HeldFinishStore extends InMemoryRunStore {
  readonly order: string[] = [];
  private release!: () => void;
  private readonly released = new Promise<void>((resolve) => (this.release = resolve));

  secondHandedOver(): void {
    this.release();
  }

  override async finishTrial(trialId: string, outcome: TrialOutcome) {
    if (this.order.length === 0) await this.released;
    this.order.push(`finish ${trialId.slice(-1)}`);
    return super.finishTrial(trialId, outcome);
  }
}

describe('a trial scored', () => {
  it('leaves its worker to the next trial while its outcome is written', async () => {
    const experiment = twoTrials();
    const store = new HeldFinishStore();
    const instant = new InstantExecutor();
    const given: string[] = [];
    // One worker: without the overlap the second trial waits for the first's write, which waits for it.
    const executor: TrialExecutor = {
      name: 'instant',
      concurrency: 1,
      run: (task, onProgress) => {
        given.push(task.trialId.slice(-1));
        if (given.length === 2) store.secondHandedOver();
        return instant.run(task, onProgress);
      },
      close: async () => undefined,
    };
    const summary = await runStudy({ experiment, experimentPath: 'overlap.json', store, executor });
    expect(given).toEqual(['0', '1']);
    expect(store.order).toEqual(['finish 0', 'finish 1']);
    expect(summary.trained).toBe(2);
  }, 30_000);
});
