import {
  codeVersion,
  connectRedis,
  CANCEL_CHANNEL,
  PROTOCOL,
  QUEUES_KEY,
  queueName,
  trainingHash,
  type RedisJobData,
} from '@aelab/search';
import { availableParallelism } from 'node:os';
import { Queue } from 'bullmq';
import { afterEach, describe, expect, it } from 'vitest';
import {
  hasRedisServer,
  startRedis,
  startWorker,
  stopProcess,
  type RedisServer,
  type WorkerProcess,
} from './redis-server.js';

/* An `aelab worker` process, stopped by a service manager and sent junk (or worse) by other Redis clients. */
const STUDY = 's-20260101-000000-beef';
describe.skipIf(!hasRedisServer)('an aelab worker process', () => {
  let redis: RedisServer | undefined;
  let worker: WorkerProcess | undefined;
  afterEach(async () => {
    if (worker) await stopProcess(worker.child);
    await redis?.stop();
  });

  /** Starts Redis and a worker serving one study queue (as after any sweep: its BullMQ worker is what once waited). */
  async function serving(workerArgs: string[] = []): Promise<{ redis: RedisServer; worker: WorkerProcess }> {
    redis = await startRedis();
    worker = startWorker(redis.url, workerArgs);
    const client = connectRedis(redis.url);
    await client.sadd(QUEUES_KEY, queueName(STUDY));
    client.disconnect();
    await worker.waitFor(/^serving /);
    return { redis, worker };
  }

  it('stopped with SIGTERM while idle, exits even though its Redis is gone', async () => {
    const { redis, worker } = await serving();
    // Redis is gone for certain before the worker is told to stop.
    await redis.stop();
    await worker.waitFor(/^redis: lost /);
    const exited = new Promise<number | null>((resolve) => worker.child.once('exit', (code) => resolve(code)));
    worker.child.kill('SIGTERM');
    await worker.waitFor(/^stopping: /);
    // A liveness guard only (it exits at once; 20 s is for a loaded machine).
    const timeout = new Promise<'still running'>((resolve) =>
      setTimeout(() => resolve('still running'), 20_000).unref(),
    );
    expect(await Promise.race([exited, timeout]), worker.lines.join('\n')).toBe(0);
  }, 60_000);

  /**
   * Queues a well-formed job (its config hash matches) of `encoder` units; resolves with the worker's first word on it
   * and the job's failure reason.
   */
  async function forgedJob(
    redis: RedisServer,
    worker: WorkerProcess,
    encoder: number[],
  ): Promise<{ first: string; reason?: string }> {
    const config = {
      data: { dataset: 'synthetic-ecg', options: { trainRows: 100 } },
      model: { kind: 'dense', encoder, activation: 'relu', outputActivation: 'linear', dropout: 0, l2: 0 },
      training: { epochs: 1, batchSize: 16, learningRate: 0.003, loss: 'mse' as const },
    };
    const job: RedisJobData = {
      protocol: PROTOCOL,
      studyId: STUDY,
      configHash: trainingHash(config as never),
      repeat: 0,
      codeVersion: codeVersion(),
      dataFingerprint: null,
      task: { trialId: `${STUDY}.t000001`, config: config as never, seed: 1, backend: 'wasm' },
    };
    const connection = connectRedis(redis.url);
    const queue = new Queue(queueName(STUDY), { connection });
    try {
      await queue.add('train', job, { jobId: 'forged-r0', attempts: 1 });
      const first = await worker.waitFor(/^(start|failed) \S+ forged-r0/);
      return {
        first,
        reason: first.startsWith('failed') ? (await queue.getJob('forged-r0'))?.failedReason : undefined,
      };
    } finally {
      await queue.close();
      connection.disconnect();
    }
  }

  it('caps --concurrency 1000 at 2 per CPU, and says so', async () => {
    const { worker } = await serving(['--concurrency', '1000']);
    const cap = 2 * availableParallelism();
    expect(worker.lines.join('\n')).toContain(`note: --concurrency 1000 capped at ${cap}: at most 2 per CPU`);
    expect(worker.lines.join('\n')).toMatch(new RegExp(`, ${cap} at once, `));
  }, 60_000);

  it('refuses a job the coordinator would have refused (encoder [400000000, 4]) before training it', async () => {
    const { redis, worker } = await serving();
    const { first } = await forgedJob(redis, worker, [400_000_000, 4]);
    // A refusal, not a start: by the memory estimate (or by a bound on the units, where the schema has one).
    expect(first).toMatch(
      /^failed \S+ forged-r0: refused by worker \S+: .*(model needs about [\d.]+ GB to train|encoder)/,
    );
  }, 60_000);

  it('refuses a job over its own memory limit (--max-trial-memory-mb), saying which limit', async () => {
    const { redis, worker } = await serving(['--max-trial-memory-mb', '16']);
    const { first, reason } = await forgedJob(redis, worker, [20_000, 4]);
    expect(first).toMatch(
      new RegExp(
        /^failed \S+ forged-r0: refused by worker \S+: /.source +
          /model needs about [\d.]+ GB to train .*over the limit of 0\.02 GB per trial/.source,
      ),
    );
    expect(reason).toMatch(/\(aelab worker --max-trial-memory-mb\)$/);
  }, 60_000);

  it('logs and ignores malformed cancel messages and queue names, and goes on serving', async () => {
    const { redis, worker } = await serving();
    const client = connectRedis(redis.url);
    try {
      const junk = [
        'not json',
        'null',
        '[]',
        '{"queue":1}',
        '{"queue":"aelab-x"}',
        '{"queue":"aelab-x","jobId":"j","extra":1}',
      ];
      for (const message of junk) await client.publish(CANCEL_CHANNEL, message);
      await client.sadd(QUEUES_KEY, '', 'not-ours');
      // Each was handled (the worker says so; messages arrive in order, the last names 'extra'), and the worker still
      // takes new study queues.
      await worker.waitFor(new RegExp(`^ignored a message on ${CANCEL_CHANNEL}: cancel message: .*extra`));
      await worker.waitFor(/^ignored 'not-ours' in aelab:queues/);
      await client.sadd(QUEUES_KEY, queueName('s-20260101-000000-next'));
      await worker.waitFor(/^serving aelab-s-20260101-000000-next/);
      expect(worker.child.exitCode, worker.lines.join('\n')).toBeNull();
      expect(worker.lines.filter((l) => l.startsWith(`ignored a message on ${CANCEL_CHANNEL}`))).toHaveLength(
        junk.length,
      );
    } finally {
      client.disconnect();
    }
  }, 60_000);
});
