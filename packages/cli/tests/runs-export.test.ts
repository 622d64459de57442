import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'csv-parse/sync';
import type { StudyEvent } from '@aelab/search';
import { JsonFileRunStore, readLiveProgress, type StudyRecord } from '@aelab/store';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { createCli } from '../src/cli.js';
import { LiveProgressRecorder } from '../src/live-progress.js';

const experiment = {
  name: 'export-tiny',
  seed: 3,
  data: { dataset: 'synthetic-ecg', options: { trainRows: 120, testRows: 80 }, validationAnomalies: 'keep' },
  model: { kind: 'dense', encoder: [16, 4], activation: 'relu', outputActivation: 'linear', dropout: 0, l2: 0 },
  training: { epochs: 2, batchSize: 32, learningRate: 0.003, loss: 'mse' },
  scoring: { errorMetric: 'mse', threshold: { rule: 'percentile', percentile: 95, on: 'train' } },
  space: {
    'model.encoder': {
      type: 'categorical',
      values: [
        [16, 4],
        [16, 8],
      ],
    },
    'threshold.percentile': { type: 'categorical', values: [90, 99] },
  },
  repeats: 2,
  selection: { metric: 'f1', direction: 'maximize', split: 'validation' },
  executor: { backend: 'wasm' },
};

/** Runs the command line in-process; returns what it wrote to standard output. */
async function run(argv: string[]): Promise<string> {
  const out: string[] = [];
  const log = vi.spyOn(console, 'log').mockImplementation(() => undefined);
  const error = vi.spyOn(console, 'error').mockImplementation(() => undefined);
  const stdout = vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
    out.push(String(chunk));
    return true;
  });
  const stderr = vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
  try {
    await createCli(argv).exitProcess(false).parseAsync();
  } finally {
    for (const spy of [log, error, stdout, stderr]) spy.mockRestore();
  }
  return out.join('');
}

describe('aelab runs export', () => {
  let dir: string;
  let store: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'aelab-export-'));
    store = join(dir, 'runs');
    await writeFile(join(dir, 'exp.json'), JSON.stringify(experiment));
    await run(['search', 'grid', '-e', join(dir, 'exp.json'), '--store', store, '--workers', '1', '--no-report']);
  }, 300_000);
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
    process.exitCode = undefined;
  });

  it(
    '--format csv round-trips through a CSV parser: one ' + 'row per evaluation, every metric named with its split',
    async () => {
      const file = join(dir, 'export.csv');
      await run(['runs', 'export', '--store', store, '--format', 'csv', '--out', file]);
      const reader = await JsonFileRunStore.open(store, { readonly: true });
      const [study] = await reader.listStudies();
      const evaluations = await reader.listEvaluations(study.id);
      // 2 trainings x 2 repeats, each scored at 2 percentiles.
      expect(evaluations).toHaveLength(8);
      const rows = parse(await readFile(file, 'utf8'), { columns: true }) as Record<string, string>[];
      expect(rows).toHaveLength(evaluations.length);
      const header = Object.keys(rows[0]);
      for (const column of [
        'validation.f1',
        'test.f1',
        'test.rocAuc',
        'train.mse',
        'params.model.encoder',
        'scoring.threshold.percentile',
      ]) {
        expect(header).toContain(column);
      }
      for (const e of evaluations) {
        const row = rows.find((r) => r.trial === e.trialId && r.config_hash === e.configHash)!;
        expect(Number(row['validation.f1'])).toBe(e.metrics.validation!.f1);
        expect(Number(row['test.prAuc'])).toBe(e.metrics.test!.prAuc);
      }
      expect(new Set(rows.map((r) => r.repeat))).toEqual(new Set(['0', '1']));
    },
  );

  it('--format json writes the same rows to standard output', async () => {
    const text = await run(['runs', 'export', '--store', store, '--format', 'json']);
    const data = JSON.parse(text) as { rows: Record<string, unknown>[]; columns: string[]; study: { name: string } };
    expect(data.study.name).toBe('export-tiny');
    expect(data.rows).toHaveLength(8);
    expect(data.columns).toContain('validation.f1');
  });

  it("the sweep's live progress says, once it has ended, that nothing is running", async () => {
    const reader = await JsonFileRunStore.open(store, { readonly: true });
    const [study] = await reader.listStudies();
    const live = await readLiveProgress(store, study.id);
    expect(live).toMatchObject({ sweeping: false, trials: {} });
  });
});

describe('LiveProgressRecorder', () => {
  it("keeps each running trial's epochs until the trial ends, in the store's live progress file", async () => {
    const root = await mkdtemp(join(tmpdir(), 'aelab-live-'));
    try {
      const studyId = 's-20260101-000000-abcd';
      const warnings: string[] = [];
      const recorder = new LiveProgressRecorder(root, (m) => warnings.push(m));
      const trialId = `${studyId}.t000000`;
      const epoch = (n: number) => ({ epoch: n, loss: 1 / n, valLoss: 2 / n, seconds: 0.01 });
      const events: StudyEvent[] = [
        {
          type: 'study',
          study: { id: studyId } as StudyRecord,
          resumed: false,
          requeued: 0,
          workers: 1,
          backend: 'wasm',
          warnings: [],
          labelUse: [],
        },
        { type: 'trial-start', trialId, number: 0, params: {}, repeat: 0, total: 1 },
        { type: 'trial-epoch', trialId, record: epoch(1), epochs: 5 },
        { type: 'trial-epoch', trialId, record: epoch(2), epochs: 5 },
      ];
      for (const event of events) recorder.handle(event);
      await recorder.flush();
      const running = await readLiveProgress(root, studyId);
      expect(running?.sweeping).toBe(true);
      expect(running?.trials[trialId]).toEqual({ epochs: 5, history: [epoch(1), epoch(2)] });
      recorder.handle({ type: 'trial-end', trial: { id: trialId } as never });
      await recorder.flush();
      expect((await readLiveProgress(root, studyId))?.trials).toEqual({});
      await recorder.close();
      expect((await readLiveProgress(root, studyId))?.sweeping).toBe(false);
      expect(warnings).toEqual([]);
    } finally {
      await rm(root, { recursive: true, force: true });
    }
  });
});
