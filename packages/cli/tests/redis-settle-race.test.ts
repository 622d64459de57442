import {
  connectRedis,
  encodeResult,
  jobIdOf,
  queueName,
  RedisExecutor,
  resultKey,
  sha256Of,
  type TrialResult,
  type TrialTask,
} from '@aelab/search';
import { Queue, Worker, type Job } from 'bullmq';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hasRedisServer, startRedis, type RedisServer } from './redis-server.js';

/*
 * The coordinator looks at a job it waits for and, when it has finished, takes its result.
 * A job read while it still ran has no return value; the coordinator once read the job,
 * then its state: a job finishing between the two reads looked completed without a
 * result, and its trial failed ("Cannot destructure property 'key' of 'job.returnvalue'").
 * Here the job finishes exactly between the coordinator's two reads, every time.
 */
const result: TrialResult = {
  history: [{ epoch: 1, loss: 1, valLoss: null, seconds: 0.01 }],
  bestEpoch: 1,
  stopReason: 'completed',
  parameterCount: 1,
  trainSeconds: 0.01,
  backend: { backend: 'wasm', tfjsVersion: 'test' },
  dataFingerprint: 'f'.repeat(64),
  splits: {},
  examples: {},
  modelInfo: {
    format: 'aelab-model',
    version: 1,
    spec: { kind: 'dense' },
    preparation: null,
    threshold: null,
    extra: {},
    tfjsVersion: 'test',
  },
  blobs: { 'model/weights.bin': new Uint8Array([1, 2, 3, 4]) },
};

describe.skipIf(!hasRedisServer)('the redis executor, a job finishing while the coordinator looks at it', () => {
  let redis: RedisServer;
  beforeAll(async () => {
    redis = await startRedis();
  });
  afterAll(() => redis?.stop());

  it('takes the result: it reads the state before the job, never a finished state with an unfinished job', async () => {
    const training = { studyId: 's-20260101-000000-race', configHash: 'a'.repeat(64), repeat: 0 };
    const name = queueName(training.studyId);
    const jobId = jobIdOf(training);
    const connection = connectRedis(redis.url);
    const workerConnection = connection.duplicate();
    // A worker that holds the job until told to finish it.
    let finish!: () => void;
    const finishing = new Promise<void>((resolve) => (finish = resolve));
    const worker = new Worker(
      name,
      async (job: Job) => {
        await finishing;
        const payload = encodeResult(result);
        const key = resultKey(name, job.id!, 'attempt');
        await connection.set(key, payload);
        return { key, bytes: payload.length, sha256: sha256Of(payload) };
      },
      { connection: workerConnection },
    );
    // The coordinator's read of the job: once the job runs, it finishes right after the read (and before any next
    // read).
    const getJob = Queue.prototype.getJob;
    let raced = false;
    Queue.prototype.getJob = async function (this: Queue, id: string) {
      const job = await getJob.call(this, id);
      if (!raced && id === jobId && (await job?.getState()) === 'active') {
        raced = true;
        finish();
        await new Promise<void>((resolve) => worker.once('completed', () => resolve()));
      }
      return job;
    };
    const executor = new RedisExecutor({ address: redis.url });
    try {
      const task = {
        trialId: `${training.studyId}.t000000`,
        config: {},
        seed: 1,
        backend: 'wasm',
        training,
      } as unknown as TrialTask;
      const taken = await executor.run(task, () => undefined);
      expect(raced).toBe(true);
      expect(taken.stopReason).toBe('completed');
      expect(Array.from(taken.blobs['model/weights.bin'])).toEqual([1, 2, 3, 4]);
    } finally {
      Queue.prototype.getJob = getJob;
      await executor.close();
      await worker.close();
      workerConnection.disconnect();
      connection.disconnect();
    }
  }, 60_000);
});
