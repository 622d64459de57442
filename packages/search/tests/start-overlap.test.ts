import { InMemoryRunStore, type NewTrial, type StartTrialOptions, type TrialRecord } from '@aelab/store';
import { describe, expect, it } from 'vitest';
import type { ProgressHandler, TrialExecutor } from '../src/executors/executor.js';
import { parseExperiment } from '../src/experiment.js';
import { runStudy, type StudyEvent } from '../src/study.js';
import type { TrialResult, TrialTask } from '../src/trial-task.js';

/** Notes, where a trial's record would be made durable, whether its training was already handed over. */
class WatchedStore extends InMemoryRunStore {
  readonly handedOverFirst: boolean[] = [];

  constructor(private readonly handedOver: ReadonlySet<string>) {
    super();
  }

  override async startTrial(studyId: string, input: NewTrial, options?: StartTrialOptions): Promise<TrialRecord> {
    const trial = await super.startTrial(studyId, input, options);
    this.handedOverFirst.push(this.handedOver.has(trial.id));
    return trial;
  }
}

/** Hands the new trial over (onCreated), then fails to write its record, as a full disk would. */
class FailingStartStore extends InMemoryRunStore {
  override async startTrial(studyId: string, input: NewTrial, options?: StartTrialOptions): Promise<TrialRecord> {
    await super.startTrial(studyId, input, options);
    throw new Error('ENOSPC: no space left on device, write trials-0000.json');
  }
}

/** A store that knows nothing of `onCreated` (a wrapper written before it). */
class PlainStore extends InMemoryRunStore {
  override startTrial(studyId: string, input: NewTrial): Promise<TrialRecord> {
    return super.startTrial(studyId, input);
  }
}

/** Never finishes a training by itself: it ends when the study aborts it, noting that it was. */
class AbortableExecutor implements TrialExecutor {
  readonly name = 'abortable';
  readonly concurrency = 1;
  readonly aborted: unknown[] = [];

  run(_task: TrialTask, _onProgress: ProgressHandler, signal?: AbortSignal): Promise<TrialResult> {
    return new Promise((_resolve, reject) =>
      signal?.addEventListener('abort', () => (this.aborted.push(signal.reason), reject(signal.reason))),
    );
  }

  async close(): Promise<void> {}
}

/** Reports one epoch at once (before the record is durable, where the study allows it), then is pruned there. */
class OneEpochExecutor implements TrialExecutor {
  readonly name = 'one-epoch';
  readonly concurrency = 1;
  readonly handedOver = new Set<string>();
  readonly verdicts: unknown[] = [];

  async run(task: TrialTask, onProgress: ProgressHandler): Promise<TrialResult> {
    this.handedOver.add(task.trialId);
    const record = { epoch: 1, loss: 1, valLoss: 1, valError: 1, seconds: 0.01 };
    this.verdicts.push(await onProgress({ type: 'epoch', trialId: task.trialId, record, epochs: 3 }));
    return {
      history: [record],
      bestEpoch: 1,
      stopReason: 'pruned',
      parameterCount: 1,
      trainSeconds: 0.01,
      backend: { backend: 'instant', tfjsVersion: 'none' },
      dataFingerprint: 'f'.repeat(64),
      splits: {},
      examples: {},
      blobs: {},
    };
  }

  async close(): Promise<void> {}
}

const experiment = () =>
  parseExperiment({
    name: 'start-overlap',
    seed: 1,
    data: { dataset: 'synthetic-ecg', options: { trainRows: 40, testRows: 40 } },
    model: { kind: 'dense', encoder: [16, 4], activation: 'relu', outputActivation: 'linear', dropout: 0, l2: 0 },
    training: { epochs: 3, batchSize: 32, learningRate: 0.001, loss: 'mse' },
    scoring: { errorMetric: 'mse', threshold: { rule: 'fixed', value: 0.5 } },
    space: { 'training.learningRate': { type: 'categorical', values: [0.001, 0.003] } },
    pruner: { type: 'asha', minEpochs: 1, reductionFactor: 2 },
    selection: { metric: 'f1', direction: 'maximize', split: 'test', allowTest: true },
  });

describe("a trial's start record", () => {
  it('that cannot be written stops the training already handed over, and the sweep fails with the error', async () => {
    const executor = new AbortableExecutor();
    const store = new FailingStartStore();
    await expect(
      runStudy({ experiment: experiment(), experimentPath: 'start-overlap.json', store, executor }),
    ).rejects.toThrow('ENOSPC: no space left on device, write trials-0000.json');
    expect(executor.aborted).toHaveLength(1);
    expect(String(executor.aborted[0])).toContain('ENOSPC');
  });

  it('is written while its training already runs, and its progress is shown after it', async () => {
    const executor = new OneEpochExecutor();
    const store = new WatchedStore(executor.handedOver);
    const events: StudyEvent['type'][] = [];
    const summary = await runStudy({
      experiment: experiment(),
      experimentPath: 'start-overlap.json',
      store,
      executor,
      onEvent: (e) => events.push(e.type),
    });
    expect(summary.pruned).toBe(2);
    expect(store.handedOverFirst).toEqual([true, true]);
    // Each epoch reached the pruner (a verdict) and the display after its trial's start.
    expect(executor.verdicts).toHaveLength(2);
    expect(executor.verdicts.every((v) => v === 'continue' || v === 'prune')).toBe(true);
    expect(events).toEqual([
      'study',
      ...['trial-start', 'trial-epoch', 'trial-end'],
      ...['trial-start', 'trial-epoch', 'trial-end'],
      'done',
    ]);
  });

  it('of a store that does not call onCreated is written first, and the training handed over after', async () => {
    const executor = new OneEpochExecutor();
    const store = new PlainStore();
    const summary = await runStudy({ experiment: experiment(), experimentPath: 'start-overlap.json', store, executor });
    expect(summary.pruned).toBe(2);
    expect(executor.verdicts).toHaveLength(2);
  });
});
