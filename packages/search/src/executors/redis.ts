/**
 * The `redis` executor: each training is a BullMQ job on Redis, in a queue named after
 * its study, taken by `aelab worker` processes on any machine (their side is
 * redis-worker.ts). The coordinator keeps the store: it enqueues, follows each job's
 * progress (answering pruning verdicts), and takes the result back from Redis.
 *
 * Why it survives crashes: a job's id is its training's key in the store (config hash and
 * repeat, in the study's queue), so a restarted coordinator that asks for the same
 * training finds the job queued, running or finished instead of adding a second one;
 * BullMQ's stalled-job check gives a dead worker's job to another worker; and the
 * coordinator polls every job it waits for, so a result is never waited for forever
 * (a job Redis lost is queued again, with a warning).
 */
import { pathToFileURL } from 'node:url';
import { Queue, QueueEvents, type Job } from 'bullmq';
import type { Redis } from 'ioredis';
import type { TrialResult, TrialTask } from '../trial-task.js';
import { z } from 'zod';
import { workerScript } from '../training-host.js';
import {
  defineExecutor,
  type ExecutorContext,
  type ProgressHandler,
  type TrialExecutor,
  type WorkerRunOptions,
} from './executor.js';
import { verdictRelay, type VerdictRelay } from './verdict-relay.js';
import { readProgress, readReturn } from './redis-messages.js';
import {
  codeVersion,
  connectRedis,
  decodeResult,
  DEFAULT_LOCK_SECONDS,
  DEFAULT_MAX_RESULT_MB,
  jobIdOf,
  PROTOCOL,
  QUEUES_KEY,
  queueName,
  reachRedis,
  redacted,
  RESULT_TTL_SECONDS,
  sha256Of,
  verdictKey,
  CANCEL_CHANNEL,
  type RedisJobData,
} from './redis-protocol.js';

export { fromJsonText, toJsonText, type RedisProgress, type RedisReturn } from './redis-messages.js';
export * from './redis-protocol.js';

const POLL_MS = 1000;
/**
 * How long a taken result stays in Redis: the study records it meanwhile, so a coordinator
 * killed between taking and recording it finds it again on restart instead of training again.
 */
const KEEP_TAKEN_MS = 60_000;
/** How long the coordinator waits for an unreachable Redis before failing the trials it waits for. */
const OUTAGE_LIMIT_MS = 5 * 60_000;

/** One training the coordinator waits for. */
interface Waiting {
  jobId: string;
  data: RedisJobData;
  task: TrialTask;
  /** Carries its progress to the study and the verdicts back (see verdict-relay.ts). */
  relay: VerdictRelay;
  resolve(result: TrialResult): void;
  reject(error: unknown): void;
  /** Epochs already answered, by attempt (progress can arrive twice: as an event and on re-attach). */
  answered: Set<string>;
  checking?: Promise<void>;
  /** Set once the job is in Redis (until then, not finding it means nothing). */
  submitted: boolean;
  done: boolean;
}

/** A study's queue, its event stream and the jobs waited for in it. */
interface StudyQueue {
  name: string;
  queue: Queue;
  events: QueueEvents;
  waiting: Map<string, Waiting>;
}

/** The coordinator's side: see the file comment. */
export class RedisExecutor implements TrialExecutor {
  readonly name = 'redis';
  readonly concurrency: number;
  private readonly address: string;
  private readonly redis: Redis;
  private readonly connections: Redis[] = [];
  private readonly queues = new Map<string, Promise<StudyQueue>>();
  private readonly preparedData: ExecutorContext['preparedData'];
  private readonly poller: NodeJS.Timeout;
  private reached?: Promise<void>;
  /** Finished jobs whose results were taken, removed from Redis once recorded (see KEEP_TAKEN_MS). */
  private readonly taken: { study: StudyQueue; job: Job; key?: string; at: number }[] = [];
  private awaySince: number | null = null;

  constructor(options: ExecutorContext) {
    if (!options.address) throw new Error('the redis executor needs an address: --executor redis://host:6379');
    this.address = options.address;
    this.concurrency = options.workers ?? redisExecutor.remote!.defaultInFlight;
    this.preparedData = options.preparedData;
    this.redis = this.connect();
    this.poller = setInterval(() => void this.pollAll(), POLL_MS);
  }

  private connect(): Redis {
    const redis = connectRedis(this.address);
    // Said once per outage (every connection sees it): commands wait meanwhile.
    redis.on('error', (error: Error) => {
      if (this.awaySince !== null || !this.reached) return;
      this.awaySince = Date.now();
      console.error(
        `redis: lost ${redacted(this.address)} (${error.message}); ` +
          `waiting for it (up to ${OUTAGE_LIMIT_MS / 60_000} minutes)`,
      );
    });
    redis.on('ready', () => {
      if (this.awaySince === null) return;
      console.error(
        `redis: ${redacted(this.address)} is back after ${((Date.now() - this.awaySince) / 1000).toFixed(0)} s`,
      );
      this.awaySince = null;
    });
    this.connections.push(redis);
    return redis;
  }

  async run(task: TrialTask, onProgress: ProgressHandler, signal?: AbortSignal): Promise<TrialResult> {
    const training = task.training;
    if (!training)
      throw new Error('the redis executor needs task.training (study id, config hash, repeat): it names the job');
    await (this.reached ??= reachRedis(this.redis, this.address));
    const study = await this.studyQueue(training.studyId);
    const jobId = jobIdOf(training);
    const { dataDir: _local, training: _key, ...portable } = task;
    const data: RedisJobData = {
      protocol: PROTOCOL,
      ...training,
      codeVersion: codeVersion(),
      dataFingerprint: this.preparedData?.(task.config.data)?.fingerprint ?? null,
      task: portable,
    };
    const onAbort = () => void this.cancel(study, jobId);
    signal?.addEventListener('abort', onAbort, { once: true });
    try {
      return await new Promise<TrialResult>((resolve, reject) => {
        const relay = verdictRelay(task, onProgress, reject);
        const answered = new Set<string>();
        const waiting: Waiting = { jobId, data, task, relay, resolve, reject, answered, submitted: false, done: false };
        study.waiting.set(jobId, waiting);
        signal?.addEventListener('abort', () => reject(signal.reason), { once: true });
        this.submit(study, waiting).catch(reject);
      });
    } finally {
      signal?.removeEventListener('abort', onAbort);
      const waiting = study.waiting.get(jobId);
      if (waiting) waiting.done = true;
      study.waiting.delete(jobId);
    }
  }

  private studyQueue(studyId: string): Promise<StudyQueue> {
    let entry = this.queues.get(studyId);
    if (!entry) {
      entry = this.openQueue(queueName(studyId));
      this.queues.set(studyId, entry);
    }
    return entry;
  }

  private async openQueue(name: string): Promise<StudyQueue> {
    const queue = new Queue(name, { connection: this.connect() });
    const events = new QueueEvents(name, { connection: this.connect() });
    const study: StudyQueue = { name, queue, events, waiting: new Map() };
    // Connection errors are reported once by the connections themselves (see connect).
    queue.on('error', () => undefined);
    events.on('error', () => undefined);
    events.on('progress', ({ jobId, data }) => this.onJobProgress(study, jobId, data));
    events.on('completed', ({ jobId }) => void this.check(study, jobId));
    events.on('failed', ({ jobId }) => void this.check(study, jobId));
    // Several studies' waits share the stream; each job's listener count is one.
    events.setMaxListeners(0);
    await events.waitUntilReady();
    await this.redis.sadd(QUEUES_KEY, name);
    return study;
  }

  /** Adds the job, or re-attaches to it when a coordinator before this one added it. */
  private async submit(study: StudyQueue, waiting: Waiting): Promise<void> {
    let job: Job | undefined = await study.queue.getJob(waiting.jobId);
    // A job that failed in an earlier run trains again, as a failed trial does with the pool.
    if (job && (await job.getState()) === 'failed') {
      await job.remove();
      job = undefined;
    }
    job ??= await study.queue.add('train', waiting.data, { jobId: waiting.jobId, attempts: 1 });
    waiting.submitted = true;
    // A re-attached job may be waiting for the verdict on the last epoch it reported.
    if (job.progress && typeof job.progress === 'object') this.onJobProgress(study, waiting.jobId, job.progress);
    await this.check(study, waiting.jobId);
  }

  private onJobProgress(study: StudyQueue, jobId: string, data: unknown): void {
    const waiting = study.waiting.get(jobId);
    if (!waiting || waiting.done) return;
    let report: ReturnType<typeof readProgress>;
    try {
      report = readProgress(data);
    } catch (error) {
      console.error(`redis: ignored a progress report of job ${jobId} of ${study.name}: ${(error as Error).message}`);
      return;
    }
    const { attempt, progress } = report;
    if (progress.type === 'epoch') {
      const key = `${attempt}:${progress.record.epoch}`;
      if (waiting.answered.has(key)) return;
      waiting.answered.add(key);
    }
    const key = progress.type === 'epoch' ? verdictKey(study.name, jobId, attempt, progress.record.epoch) : '';
    waiting.relay.receive(progress, async (verdict) => {
      await this.redis.multi().rpush(key, verdict).expire(key, RESULT_TTL_SECONDS).exec();
    });
  }

  /** Looks at a job: takes its result or its error when it has finished, queues it again if Redis lost it. */
  private check(study: StudyQueue, jobId: string): Promise<void> {
    const waiting = study.waiting.get(jobId);
    if (!waiting || !waiting.submitted || waiting.done || waiting.checking)
      return waiting?.checking ?? Promise.resolve();
    waiting.checking = this.settle(study, waiting)
      .catch((error: unknown) => {
        waiting.done = true;
        waiting.reject(error);
      })
      .finally(() => (waiting.checking = undefined));
    return waiting.checking;
  }

  private async settle(study: StudyQueue, waiting: Waiting): Promise<void> {
    // The state first, then the job: a job read while it runs has no return value (or
    // failure reason) yet, even when a state read after it says it finished.
    const state = await study.queue.getJobState(waiting.jobId);
    const job = state === 'unknown' ? undefined : await study.queue.getJob(waiting.jobId);
    if (!job) {
      console.error(
        `redis: job ${waiting.jobId} of ${study.name} is gone from Redis ` +
          '(restarted without persistence?); queued again',
      );
      await study.queue.add('train', waiting.data, { jobId: waiting.jobId, attempts: 1 });
      return;
    }
    if (state === 'failed') {
      waiting.done = true;
      this.taken.push({ study, job, at: Date.now() });
      waiting.reject(new Error(job.failedReason || `job ${waiting.jobId} failed`));
    } else if (state === 'completed') {
      waiting.done = true;
      const result = await this.takeResult(job, waiting);
      this.taken.push({ study, job, key: readReturn(job.returnvalue).key, at: Date.now() });
      waiting.resolve(result);
    }
  }

  private async takeResult(job: Job, waiting: Waiting): Promise<TrialResult> {
    const { key, sha256 } = readReturn(job.returnvalue);
    const payload = await this.redis.getBuffer(key);
    if (!payload)
      throw new Error(
        `redis: the result of job ${waiting.jobId} is missing from Redis ` +
          '(expired, or Redis restarted without persistence)',
      );
    if (sha256Of(payload) !== sha256)
      throw new Error(`redis: the result of job ${waiting.jobId} is corrupt (sha256 mismatch)`);
    const result = decodeResult(payload);
    // A job re-attached after a coordinator restart was trained for the earlier trial record.
    const trainedFor = (job.data as RedisJobData).task.trialId;
    if (trainedFor !== waiting.task.trialId && result.modelInfo)
      result.modelInfo = { ...result.modelInfo, extra: { ...result.modelInfo.extra, trialId: waiting.task.trialId } };
    return result;
  }

  private async pollAll(): Promise<void> {
    if (this.awaySince !== null && Date.now() - this.awaySince > OUTAGE_LIMIT_MS) {
      const error = new Error(
        `redis: ${redacted(this.address)} unreachable for ${OUTAGE_LIMIT_MS / 60_000} minutes; ` +
          're-run the sweep to resume once it is back',
      );
      for (const entry of this.queues.values()) {
        for (const waiting of (await entry).waiting.values()) {
          waiting.done = true;
          waiting.reject(error);
        }
      }
      return;
    }
    if (this.awaySince !== null) return;
    while (this.taken.length > 0 && Date.now() - this.taken[0].at > KEEP_TAKEN_MS) {
      const { study, job, key } = this.taken.shift()!;
      await study.queue.remove(job.id!).catch(() => undefined);
      if (key) await this.redis.del(key);
    }
    for (const entry of this.queues.values()) {
      const study = await entry;
      // Announced again each time: a Redis restarted without persistence forgot it, and workers would stop serving it.
      if (study.waiting.size > 0) await this.redis.sadd(QUEUES_KEY, study.name);
      for (const jobId of study.waiting.keys()) void this.check(study, jobId);
    }
  }

  /** Stops a job: removed while it waits, and its worker told to abort it when it runs. */
  private async cancel(study: StudyQueue, jobId: string): Promise<void> {
    await this.redis.publish(CANCEL_CHANNEL, JSON.stringify({ queue: study.name, jobId })).catch(() => undefined);
    await study.queue.remove(jobId).catch(() => undefined);
  }

  async close(): Promise<void> {
    clearInterval(this.poller);
    // Without Redis there is nothing to clean (and commands would wait for it forever).
    const reachable = this.redis.status === 'ready';
    for (const entry of reachable ? this.queues.values() : []) {
      const study = await entry.catch(() => undefined);
      if (!study) continue;
      for (const jobId of study.waiting.keys()) await this.cancel(study, jobId);
      // The study's jobs are all recorded (or given up): nothing in the queue is needed again.
      await this.redis.srem(QUEUES_KEY, study.name).catch(() => undefined);
      for (const { key } of this.taken.filter((t) => t.study === study && t.key)) await this.redis.del(key!);
      await study.queue.obliterate({ force: true }).catch(() => undefined);
      await study.events.close();
      await study.queue.close();
    }
    await Promise.all(this.connections.map((c) => (reachable ? c.quit().catch(() => c.disconnect()) : c.disconnect())));
  }
}

/** What the worker module (redis-worker.ts) gives its command. */
interface WorkerModule {
  runRedisWorker(
    options: Omit<WorkerRunOptions, 'settings'> & { lockSeconds?: number; maxResultMb?: number },
  ): Promise<void>;
}

export const redisExecutor = defineExecutor({
  kind: 'redis',
  description: 'BullMQ jobs on Redis, trained by `aelab worker` processes on any machine',
  schema: z.object({ kind: z.literal('redis') }).strict(),
  remote: { schemes: ['redis:', 'rediss:'], defaultInFlight: 8 },
  worker: {
    address:
      'Redis URL: redis://[:password@]host:port[/db], rediss://... for TLS ' +
      '(password also from $AELAB_REDIS_PASSWORD)',
    options: {
      'lock-seconds': {
        default: DEFAULT_LOCK_SECONDS,
        describe:
          "How long this worker's job waits after the worker stops answering (killed, cut off) " +
          'before another worker takes it',
      },
      'max-result-mb': {
        default: DEFAULT_MAX_RESULT_MB,
        describe:
          'Largest result (errors + model files) sent back through Redis; ' +
          'a larger one fails its trial with the reason',
      },
    },
    // Loaded from the build when a worker runs, as worker threads are: a coordinator never
    // loads BullMQ's worker side, and the worker's checks (the experiment's schemas) are
    // not part of the registry's import graph, which the experiment's schema is built from.
    run: async ({ settings, ...options }) =>
      ((await import(pathToFileURL(workerScript('executors/redis-worker')).href)) as WorkerModule).runRedisWorker({
        ...options,
        lockSeconds: settings['lock-seconds'],
        maxResultMb: settings['max-result-mb'],
      }),
  },
  reach: async ({ address }) => {
    if (!address) throw new Error('the redis executor needs an address: --executor redis://host:6379');
    const redis = connectRedis(address);
    redis.on('error', () => undefined); // reachRedis says what went wrong
    try {
      await reachRedis(redis, address);
    } finally {
      redis.disconnect();
    }
  },
  create: (_settings, context) => new RedisExecutor(context),
});
