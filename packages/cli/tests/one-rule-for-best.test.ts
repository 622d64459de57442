import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ARTIFACT, MODEL_FILES, type SavedModelInfo } from '@aelab/core';
import { buildLeaderboard, renderReport } from '@aelab/reporting';
import {
  errorsBlob,
  float32Bytes,
  parseExperiment,
  runStudy,
  type BestSoFar,
  type ProgressHandler,
  type TrialExecutor,
  type TrialResult,
  type TrialTask,
} from '@aelab/search';
import { JsonFileRunStore, type TrialRecord } from '@aelab/store';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { createCli } from '../src/cli.js';

/*
 * Two training configurations x 2 repeats x 2 fixed thresholds, with errors written so
 * that the two "best" rules disagree: A = encoder [16,4] scores F1 1.0 then 0.33 (best
 * max, mean 0.67); B = encoder [16,8] scores 0.8 twice (mean 0.8). Under the study's one
 * rule (mean over repeats) B with threshold 0.5 wins, and every place that names a best
 * must say so.
 */
const A = JSON.stringify([16, 4]);
const B = JSON.stringify([16, 8]);
const N = [0, 0, 0, 0, 0];
const P = [1, 1, 1, 1, 1];
const TEST_ERRORS: Record<string, number[][]> = {
  // rows 0-4 normal, 5-9 anomalous
  [A]: [
    [0.1, 0.1, 0.1, 0.1, 0.1, 2, 2, 2, 2, 2],
    [0.1, 0.1, 0.1, 0.1, 0.1, 2, 0.2, 0.2, 0.2, 0.2],
  ],
  // Alone, B's first repeat does best at 1.5 (F1 0.889 vs 0.833): its model is saved with
  // 1.5 first, then saved again with 0.5 once the second repeat makes 0.5 the better mean.
  [B]: [
    [0.1, 0.1, 0.1, 1, 1, 2, 2, 2, 2, 1],
    [0.1, 0.1, 0.1, 0.1, 0.1, 1, 1, 1, 1, 0.2],
  ],
};

/** An executor that returns scripted errors instead of training (the TrialExecutor seam). */
class ScriptedExecutor implements TrialExecutor {
  readonly name = 'scripted';
  readonly concurrency = 1;
  private readonly repeats = new Map<string, number>();

  async run(task: TrialTask, onProgress: ProgressHandler): Promise<TrialResult> {
    const key = JSON.stringify(task.config.model.encoder);
    const repeat = this.repeats.get(key) ?? 0;
    this.repeats.set(key, repeat + 1);
    const record = { epoch: 1, loss: 1, valLoss: null, seconds: 0.01 };
    onProgress({ type: 'epoch', trialId: task.trialId, record, epochs: 1 });
    const test = Float32Array.from(TEST_ERRORS[key][repeat]);
    const train = Float32Array.from([0.1, 0.1, 0.1, 0.1, 0.1]);
    return {
      history: [record],
      bestEpoch: 1,
      stopReason: 'completed',
      parameterCount: 1,
      trainSeconds: 0.01,
      backend: { backend: 'scripted', tfjsVersion: 'none' },
      dataFingerprint: 'f'.repeat(64),
      splits: {
        train: { rows: 5, y: N, labels: N.map(() => 'normal') },
        test: { rows: 10, y: [...N, ...P], labels: [...N.map(() => 'normal'), ...P.map(() => 'anomaly')] },
      },
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
      blobs: {
        [errorsBlob('train', 'mse')]: float32Bytes(train),
        [errorsBlob('train', 'mae')]: float32Bytes(train),
        [errorsBlob('test', 'mse')]: float32Bytes(test),
        [errorsBlob('test', 'mae')]: float32Bytes(test),
        'model/model.json': new TextEncoder().encode('{}'),
        'model/weights.bin': new Uint8Array(4),
      },
    };
  }

  async close(): Promise<void> {}
}

const experiment = parseExperiment({
  name: 'one-rule',
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
      ],
    },
    'threshold.value': { type: 'categorical', values: [0.5, 1.5] },
  },
  repeats: 2,
  selection: { metric: 'f1', direction: 'maximize', split: 'test', allowTest: true },
});

/** The threshold cell of the featured (★) row of a trial page's evaluations table. */
function featuredThreshold(html: string): number {
  const table = html.slice(html.indexOf('id="evaluations"'));
  const row = /<tr class="winner">(.*?)<\/tr>/s.exec(table)?.[1];
  const cells = [...(row ?? '').matchAll(/<td(?: data-value="([^"]*)")?[^>]*>/g)].map((m) => m[1]);
  return Number(cells[1]);
}

describe('one rule for "best"', () => {
  let dir: string;
  let best: BestSoFar | undefined;
  let trials: TrialRecord[];
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'aelab-best-'));
    const store = await JsonFileRunStore.open(join(dir, 'runs'));
    const summary = await runStudy({
      experiment,
      experimentPath: 'one-rule.json',
      store,
      executor: new ScriptedExecutor(),
      onEvent: (e) => {
        if (e.type === 'trial-end' && e.best) best = e.best;
      },
    });
    trials = await store.listTrials(summary.study.id);
    await store.close();
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('the max over repeats would name the other configuration (the test has teeth)', async () => {
    const store = await JsonFileRunStore.open(join(dir, 'runs'), { readonly: true });
    const evaluations = await store.listEvaluations(trials[0].studyId);
    await store.close();
    const f1 = (e: (typeof evaluations)[number]) => e.metrics.test?.f1 ?? -1;
    const byMax = [...evaluations].sort((a, b) => f1(b) - f1(a))[0];
    expect(trials.find((t) => t.id === byMax.trialId)!.params['model.encoder']).toEqual([16, 4]);
    expect(f1(byMax)).toBe(1);
  });

  it('the progress line, runs best, the leaderboard, the trial pages and the saved models agree', async () => {
    const store = await JsonFileRunStore.open(join(dir, 'runs'), { readonly: true });
    const studyId = trials[0].studyId;
    const board = buildLeaderboard((await store.getStudy(studyId))!, trials, await store.listEvaluations(studyId));
    const winner = board.rows[0];
    expect(winner.params['model.encoder']).toEqual([16, 8]);
    expect(winner.scoring['threshold.value']).toBe(0.5);
    expect(winner.score?.mean).toBeCloseTo((10 / 12 + 16 / 18) / 2, 10);

    expect(best).toEqual({ metric: 'test f1', value: winner.score!.mean, configHash: winner.configHash });

    const lines: string[] = [];
    const log = vi.spyOn(console, 'log').mockImplementation((...args: unknown[]) => void lines.push(args.join(' ')));
    try {
      await createCli(['runs', 'best', '--store', join(dir, 'runs')])
        .exitProcess(false)
        .parseAsync();
    } finally {
      log.mockRestore();
    }
    expect(lines[0]).toBe('warning: selected on test data: optimistic (selection.split is "test")');
    expect(lines[1]).toContain('model.encoder=[16,8]');
    expect(lines[1]).toContain('threshold.value=0.5');
    expect(lines.join('\n')).toContain('F1 0.8611');

    const report = await renderReport(store, { outDir: join(dir, 'report') });
    const reportDir = join(report.studyPaths[studyId], '..');
    for (const trial of winner.trials) {
      const html = await readFile(join(reportDir, 'trials', `${trial.id}.html`), 'utf8');
      expect(featuredThreshold(html)).toBe(0.5);
      const info = JSON.parse(
        await readFile(join(dir, 'runs', trial.artifacts[ARTIFACT.model], MODEL_FILES.info), 'utf8'),
      ) as SavedModelInfo;
      expect(info.threshold).toBe(0.5);
    }
    // The other configuration's models carry the threshold of its own best-ranked variant.
    const other = board.rows.find((r) => r.params['model.encoder'] && JSON.stringify(r.params['model.encoder']) === A)!;
    for (const trial of other.trials) {
      const info = JSON.parse(
        await readFile(join(dir, 'runs', trial.artifacts[ARTIFACT.model], MODEL_FILES.info), 'utf8'),
      ) as SavedModelInfo;
      expect(info.threshold).toBe(other.scoring['threshold.value']);
    }
    await store.close();
  });
});
