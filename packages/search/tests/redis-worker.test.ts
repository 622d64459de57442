import { mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { confinedData, parseJob } from '../src/executors/redis-worker.js';
import { decodeResult, encodeResult, PROTOCOL, type RedisJobData } from '../src/executors/redis.js';
import { trainingHash } from '../src/study-setup.js';
import type { TrialResult } from '../src/trial-task.js';

// What a worker does with a job before training it: the job is untrusted input.
const config = {
  data: { dataset: 'synthetic-ecg', options: { trainRows: 100 } },
  model: { kind: 'dense', encoder: [8, 2], activation: 'relu', outputActivation: 'linear', dropout: 0, l2: 0 },
  training: { epochs: 2, batchSize: 16, learningRate: 0.003, loss: 'mse' as const },
};
const job = (overrides: Partial<RedisJobData> = {}, task: Record<string, unknown> = {}): unknown => ({
  protocol: PROTOCOL,
  studyId: 's-20261123-083306-7f3a',
  configHash: trainingHash(config as never),
  repeat: 0,
  codeVersion: 'abc',
  dataFingerprint: null,
  task: { trialId: 's-20261123-083306-7f3a.t000001', config, seed: 1, backend: 'wasm', ...task },
  ...overrides,
});

describe('a worker validates each job', () => {
  it('accepts a job as the coordinator writes it', () => {
    expect(parseJob(job()).task.trialId).toBe('s-20261123-083306-7f3a.t000001');
  });

  it('refuses a forged or damaged job, saying which field is wrong', () => {
    expect(() => parseJob(job({}, { dataDir: '/etc' }))).toThrow(/invalid job: .*dataDir/);
    expect(() => parseJob(job({}, { backend: 'gpu-of-doom' }))).toThrow(/invalid job: task\.backend/);
    expect(() => parseJob(job({ configHash: '0'.repeat(64) }))).toThrow(/configHash: does not match the task config/);
    expect(() => parseJob(job({ studyId: 's-20990101-000000-beef' }))).toThrow(/trialId: not a trial of study/);
    expect(() => parseJob(job({ protocol: 2 as never }))).toThrow(/invalid job: protocol/);
    expect(() => parseJob({ ...(job() as object), extra: 1 })).toThrow(/invalid job/);
  });

  it('takes the epochs a trial waits for a verdict at, and refuses a list that is not epochs', () => {
    expect(parseJob(job({}, { pruning: true, verdictEpochs: [6, 18, 54] })).task.verdictEpochs).toEqual([6, 18, 54]);
    for (const bad of [[0], [1.5], ['6'], 6, [100_001]])
      expect(() => parseJob(job({}, { pruning: true, verdictEpochs: bad }))).toThrow(
        /invalid job: task\.verdictEpochs/,
      );
  });
});

describe('a worker reads datasets from its own data folder only', () => {
  let root: string;
  let dataDir: string;
  beforeAll(async () => {
    root = await mkdtemp(join(tmpdir(), 'aelab-confine-'));
    dataDir = join(root, 'data');
    await mkdir(join(dataDir, 'sets'), { recursive: true });
    await writeFile(join(dataDir, 'sets', 'mine.csv'), 'a,label\n1,0\n');
    await writeFile(join(root, 'secret.csv'), 'a,label\n1,0\n');
    await symlink(join(root, 'secret.csv'), join(dataDir, 'link.csv'));
  });
  afterAll(() => rm(root, { recursive: true, force: true }));

  it('keeps registered datasets and resolves a relative file inside the folder', () => {
    expect(confinedData({ dataset: 'synthetic-ecg' }, dataDir).dataset).toBe('synthetic-ecg');
    expect(confinedData({ dataset: 'sets/mine.csv' }, dataDir).dataset).toMatch(/data\/sets\/mine\.csv$/);
  });

  it('refuses absolute paths, escapes with .. and symbolic links that lead outside', () => {
    expect(() => confinedData({ dataset: join(root, 'secret.csv') }, dataDir)).toThrow(/relative to its data folder/);
    expect(() => confinedData({ dataset: '../secret.csv' }, dataDir)).toThrow(/outside this worker's data folder/);
    expect(() => confinedData({ dataset: 'link.csv' }, dataDir)).toThrow(/outside this worker's data folder/);
    expect(() => confinedData({ dataset: 'nab/../../../etc/passwd' }, dataDir)).toThrow(/no such file|outside/);
  });
});

describe('a result crosses Redis as one binary value', () => {
  it('keeps the blobs byte for byte and NaN losses as NaN', () => {
    const result = {
      history: [{ epoch: 1, loss: Number.NaN, valLoss: Number.POSITIVE_INFINITY, seconds: 0.1 }],
      bestEpoch: null,
      stopReason: 'completed',
      // The rest of a result, as a worker sends it (decoding checks each field).
      parameterCount: 10,
      trainSeconds: 0.1,
      backend: { backend: 'wasm', tfjsVersion: '4.22.0' },
      dataFingerprint: 'f'.repeat(64),
      splits: {},
      examples: {},
      modelInfo: { extra: {} },
      blobs: { 'errors/test/mse': new Uint8Array([1, 2, 3, 4]), 'model/weights.bin': new Uint8Array([9, 8, 7]) },
    } as unknown as TrialResult;
    const back = decodeResult(encodeResult(result));
    expect(back.history[0].loss).toBeNaN();
    expect(back.history[0].valLoss).toBe(Number.POSITIVE_INFINITY);
    expect(Object.fromEntries(Object.entries(back.blobs).map(([k, v]) => [k, [...v]]))).toEqual({
      'errors/test/mse': [1, 2, 3, 4],
      'model/weights.bin': [9, 8, 7],
    });
  });
});
