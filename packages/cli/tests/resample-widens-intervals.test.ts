import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildLeaderboard } from '@aelab/reporting';
import { parseExperiment, runStudy } from '@aelab/search';
import { JsonFileRunStore } from '@aelab/store';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { createCli } from '../src/cli.js';
import { RowNormExecutor } from './row-norm-executor.js';

const experiment = (resample?: 'validation') =>
  parseExperiment({
    name: `resample-${resample ?? 'none'}`,
    seed: 1,
    data: {
      dataset: 'synthetic-ecg',
      options: { trainRows: 200, testRows: 60 },
      validationFraction: 0.3,
      validationAnomalies: 'keep',
    },
    model: { kind: 'dense', encoder: [8, 4], activation: 'relu', outputActivation: 'linear', dropout: 0, l2: 0 },
    training: { epochs: 1, batchSize: 32, learningRate: 0.001, loss: 'mse' },
    scoring: { errorMetric: 'mse', threshold: { rule: 'percentile', percentile: 90, on: 'train' } },
    repeats: 4,
    ...(resample ? { resample } : {}),
    selection: { metric: 'f1', direction: 'maximize', split: 'validation' },
  });

describe('resample: repeats that re-draw the validation carve', () => {
  let dir: string;
  const runs: Record<string, { studyId: string; executor: RowNormExecutor }> = {};
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'aelab-resample-'));
    const store = await JsonFileRunStore.open(join(dir, 'runs'));
    for (const resample of [undefined, 'validation'] as const) {
      const executor = new RowNormExecutor();
      const summary = await runStudy({
        experiment: experiment(resample),
        experimentPath: 'resample.json',
        store,
        executor,
      });
      runs[resample ?? 'none'] = { studyId: summary.study.id, executor };
    }
    await store.close();
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  async function board(name: string) {
    const store = await JsonFileRunStore.open(join(dir, 'runs'), { readonly: true });
    const study = (await store.getStudy(runs[name].studyId))!;
    const trials = await store.listTrials(study.id);
    const result = { board: buildLeaderboard(study, trials, await store.listEvaluations(study.id)), trials };
    await store.close();
    return result;
  }

  it("gives each repeat its own validation rows, and records each repeat's data fingerprint", async () => {
    const [plain, drawn] = [runs.none.executor.validationRows, runs.validation.executor.validationRows];
    expect(new Set(plain.map((rows) => JSON.stringify(rows))).size).toBe(1);
    expect(new Set(drawn.map((rows) => JSON.stringify(rows))).size).toBe(4);
    expect(drawn[0]).toEqual(plain[0]); // repeat 0 is the experiment's own carve
    const { trials } = await board('validation');
    expect(new Set(trials.map((t) => t.dataFingerprint)).size).toBe(4);
    expect(new Set(trials.map((t) => t.configHash)).size).toBe(1); // still one configuration over 4 repeats
  });

  it('widens the interval over repeats, and says which variance it includes', async () => {
    const plain = (await board('none')).board;
    const drawn = (await board('validation')).board;
    const width = (b: typeof plain) => b.winner!.scoreInterval!.high - b.winner!.scoreInterval!.low;
    expect(plain.winner!.score!.std).toBe(0);
    expect(width(plain)).toBe(0);
    expect(width(drawn)).toBeGreaterThan(0);
    expect(plain.intervalVariance).toMatch(/^training only/);
    expect(drawn.intervalVariance).toMatch(/^training \+ validation carve/);
    const lines: string[] = [];
    const log = vi.spyOn(console, 'log').mockImplementation((...a: unknown[]) => void lines.push(a.join(' ')));
    try {
      await createCli(['runs', 'best', runs.validation.studyId, '--store', join(dir, 'runs')])
        .exitProcess(false)
        .parseAsync();
    } finally {
      log.mockRestore();
    }
    expect(lines.join('\n')).toContain('variance in the intervals: training + validation carve');
  });

  it(
    'refuses a data.resample written by hand, and a draw ' + 'of a split that is not random before any training',
    async () => {
      expect(() =>
        parseExperiment({
          ...experiment('validation'),
          data: { dataset: 'synthetic-ecg', resample: { scope: 'all', draw: 1 } },
        }),
      ).toThrow(/data\.resample: is set per repeat by the experiment's "resample"; use "resample" instead/);
      const base = experiment('validation');
      const rows = {
        ...base,
        resample: 'all' as const,
        data: {
          ...base.data,
          split: { kind: 'rows' as const, train: [0, 150] as [number, number], test: [150, null] as [number, null] },
        },
      };
      const executor = new RowNormExecutor();
      const store = await JsonFileRunStore.open(join(dir, 'refused'));
      try {
        await expect(runStudy({ experiment: rows, experimentPath: 'rows.json', store, executor })).rejects.toThrow(
          new RegExp(
            /rows\.json: invalid experiment[\s\S]*/.source +
              /resample "all" draws a new train\/test split, which needs split kind "random"/.source,
          ),
        );
      } finally {
        await store.close();
      }
      expect(executor.validationRows).toEqual([]);
    },
  );
});
