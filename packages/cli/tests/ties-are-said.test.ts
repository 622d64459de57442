import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildLeaderboard, renderReport } from '@aelab/reporting';
import {
  errorsBlob,
  float32Bytes,
  parseExperiment,
  runStudy,
  type TrialExecutor,
  type TrialResult,
  type TrialTask,
} from '@aelab/search';
import { JsonFileRunStore } from '@aelab/store';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { createCli } from '../src/cli.js';

/*
 * Two encoders that reconstruct identically (scripted errors) x thresholds 0.5 and 1.5,
 * 2 repeats, selected on PR-AUC. PR-AUC does not depend on the threshold, so all four
 * configurations tie on it; the default tie-break, F1, prefers 1.5 (F1 0.889 against
 * 0.833 at 0.5, whose recall is the higher); the two encoders at 1.5 are then equal in
 * everything: a tie, which the CLI and the report must say instead of letting the config
 * hash decide in silence.
 */
const Y = [0, 0, 0, 0, 0, 1, 1, 1, 1, 1];
const TEST_ERRORS = [0.1, 0.1, 0.1, 1, 1, 2, 2, 2, 2, 1];

class ScriptedExecutor implements TrialExecutor {
  readonly name = 'scripted';
  readonly concurrency = 1;

  async run(task: TrialTask): Promise<TrialResult> {
    const record = { epoch: 1, loss: 1, valLoss: null, seconds: 0.01 };
    const test = Float32Array.from(TEST_ERRORS);
    const train = Float32Array.from([0.1, 0.1, 0.1, 0.1, 0.1]);
    void task;
    return {
      history: [record],
      bestEpoch: 1,
      stopReason: 'completed',
      parameterCount: 1,
      trainSeconds: 0.01,
      backend: { backend: 'scripted', tfjsVersion: 'none' },
      dataFingerprint: 'f'.repeat(64),
      splits: {
        train: { rows: 5, y: [0, 0, 0, 0, 0], labels: Array(5).fill('normal') },
        test: { rows: 10, y: Y, labels: Y.map((y) => (y ? 'anomaly' : 'normal')) },
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

const experiment = (tieBreak?: string[]) =>
  parseExperiment({
    name: 'ties',
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
    selection: {
      metric: 'prAuc',
      direction: 'maximize',
      split: 'test',
      allowTest: true,
      ...(tieBreak ? { tieBreak } : {}),
    },
  });

async function printed(args: string[]): Promise<string[]> {
  const lines: string[] = [];
  const log = vi.spyOn(console, 'log').mockImplementation((...a: unknown[]) => void lines.push(a.join(' ')));
  try {
    await createCli(args).exitProcess(false).parseAsync();
  } finally {
    log.mockRestore();
  }
  return lines;
}

describe('ties are said, tie-breaks honoured', () => {
  let dir: string;
  const studies: Record<string, string> = {};
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'aelab-ties-'));
    const store = await JsonFileRunStore.open(join(dir, 'runs'));
    for (const [name, tieBreak] of [
      ['f1', undefined],
      ['recall', ['recall']],
    ] as const) {
      const summary = await runStudy({
        experiment: experiment(tieBreak ? [...tieBreak] : undefined),
        experimentPath: `${name}.json`,
        store,
        executor: new ScriptedExecutor(),
      });
      studies[name] = summary.study.id;
    }
    await store.close();
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  async function board(name: string) {
    const store = await JsonFileRunStore.open(join(dir, 'runs'), { readonly: true });
    const study = (await store.getStudy(studies[name]))!;
    const result = buildLeaderboard(study, await store.listTrials(study.id), await store.listEvaluations(study.id));
    await store.close();
    return result;
  }

  it('ranks equal PR-AUCs by the tie-break metrics in order: F1 by default, recall when asked', async () => {
    const byF1 = await board('f1');
    expect(byF1.rows.map((r) => r.scoring['threshold.value'])).toEqual([1.5, 1.5, 0.5, 0.5]);
    expect(byF1.rows.map((r) => r.tiedWith.length)).toEqual([1, 1, 1, 1]);
    const byRecall = await board('recall');
    expect(byRecall.rows.map((r) => r.scoring['threshold.value'])).toEqual([0.5, 0.5, 1.5, 1.5]);
    // Every repeat scored the same PR-AUC: p is defined and said, not "< 0.001" or "–" by float noise.
    const equal = { pValue: 1, significant: false, noVariance: true };
    expect(byF1.rows.map((r) => r.versusWinner)).toEqual([
      { pValue: null, significant: null, noVariance: false },
      equal,
      equal,
      equal,
    ]);
  });

  it('runs best prints the tie and both configurations', async () => {
    const lines = await printed(['runs', 'best', studies.f1, '--store', join(dir, 'runs')]);
    const text = lines.join('\n');
    expect(text).toContain('tie: 2 configurations are equal under the rule, tie-breaks included');
    expect(text).toContain('model.encoder=[16,4]');
    expect(text).toContain('model.encoder=[16,8]');
    const table = await printed(['runs', 'show', studies.f1, '--store', join(dir, 'runs')]);
    expect(table.filter((l) => /^[12] tie\t/.test(l))).toHaveLength(2);
    expect(table.join('\n')).toContain('no variance: equal');
  });

  it('the study page renders the tie', async () => {
    const store = await JsonFileRunStore.open(join(dir, 'runs'), { readonly: true });
    const report = await renderReport(store, { outDir: join(dir, 'report') });
    await store.close();
    const html = await readFile(report.studyPaths[studies.f1], 'utf8');
    expect(html).toMatch(/<strong>Tie:<\/strong> dense [^<]*ties with dense/);
    expect(html).toContain('1 tie ★');
    expect(html).toContain('no variance: equal');
  });
});
