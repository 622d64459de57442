/**
 * The worker's side of the `redis` executor (`aelab worker`): serves every study queue
 * coordinators announce, trains each job on a local Piscina pool (one training per
 * thread, as the `pool` executor does) and puts the result back in Redis.
 *
 * A job is untrusted input: it is validated with zod, the worker's own data folder
 * replaces the coordinator's, a dataset given as a file must lie inside that folder, and
 * the worker writes nothing to disk. A job whose coordinator runs other code, or whose
 * data the worker prepares to a different fingerprint, fails with the reason (which the
 * coordinator records in the trial).
 */
import { randomUUID } from 'node:crypto';
import { realpathSync } from 'node:fs';
import { hostname } from 'node:os';
import { isAbsolute, relative, resolve, sep } from 'node:path';
import { schemaProblems, TRAINING_BOUNDS, trainingSchema, untrustedJsonProblems } from '@aelab/core';
import { datasetInfo, printable, resolveDataDir, type DataSpec } from '@aelab/data';
import { BACKEND_NAMES, type BackendName } from '@aelab/models/registry';
import { parseTrialId } from '@aelab/store';
import { UnrecoverableError, Worker, type Job } from 'bullmq';
import type { Redis } from 'ioredis';
import { z } from 'zod';
import { trainingIssues, type PreflightOptions } from '../preflight.js';
import { SharedPreparedData } from '../shared-data.js';
import { localWorkerLimit, memoryPerTrial } from '../training-host.js';
import { dataSchema } from '../trial-data-schema.js';
import { awaitsVerdict, trainingHash, type TrialDirective, type TrialProgress, type TrialTask } from '../trial-task.js';
import { PiscinaExecutor } from './piscina.js';
import {
  isStudyQueue,
  readCancel,
  readVerdict,
  toJsonText,
  type CancelMessage,
  type RedisProgress,
  type RedisReturn,
} from './redis-messages.js';
import {
  CANCEL_CHANNEL,
  codeVersion,
  DEFAULT_LOCK_SECONDS,
  DEFAULT_MAX_RESULT_MB,
  connectRedis,
  encodeResult,
  PROTOCOL,
  QUEUES_KEY,
  reachRedis,
  redacted,
  RESULT_TTL_SECONDS,
  resultKey,
  sha256Of,
  verdictKey,
  type RedisJobData,
} from './redis-protocol.js';

export interface RedisWorkerOptions {
  /** `redis://[user:password@]host:port[/db]` or `rediss://...` (TLS). */
  address: string;
  /** Trainings at once (threads of the local pool). */
  concurrency: number;
  /** This machine's backend, instead of the one each task names. */
  backend?: BackendName;
  /** Where this worker reads datasets (default: $AELAB_DATA_DIR, else ~/.cache/aelab/datasets). */
  dataDir?: string;
  /** How long a job stays with a worker that stopped answering before another worker takes it (s). */
  lockSeconds?: number;
  /** Largest result (MB) this worker sends through Redis; a larger one fails its job with the reason. */
  maxResultMb?: number;
  maxTrialMemoryMb?: number;
  /** One line per event (job taken, finished, refused). */
  log?: (line: string) => void;
  /** Stops taking jobs; running ones finish first. */
  signal?: AbortSignal;
}

const DISCOVER_MS = 1000;
/** How often a stopping worker looks whether it still waits for anything but Redis. */
const STOP_CHECK_MS = 200;

/** The job payload as a worker accepts it: strict, every field checked. */
const jobSchema = z
  .object({
    protocol: z.literal(PROTOCOL),
    studyId: z.string(),
    configHash: z.string().regex(/^[0-9a-f]{64}$/),
    repeat: z.number().int().nonnegative(),
    codeVersion: z.string().min(1).max(128),
    dataFingerprint: z.string().max(128).nullable(),
    task: z
      .object({
        trialId: z.string(),
        config: z
          .object({ data: dataSchema, model: z.looseObject({ kind: z.string() }), training: trainingSchema })
          .strict(),
        seed: z.number().int(),
        backend: z.enum(BACKEND_NAMES as unknown as [string, ...string[]]),
        maxSeconds: z.number().positive().optional(),
        pruning: z.boolean().optional(),
        verdictEpochs: z
          .array(z.number().int().positive().max(TRAINING_BOUNDS.epochs))
          .max(TRAINING_BOUNDS.epochs)
          .optional(),
      })
      .strict(),
  })
  .strict()
  .superRefine((job, ctx) => {
    if (parseTrialId(job.task.trialId)?.studyId !== job.studyId)
      ctx.addIssue({ code: 'custom', path: ['task', 'trialId'], message: `not a trial of study ${job.studyId}` });
    if (trainingHash(job.task.config as TrialTask['config']) !== job.configHash)
      ctx.addIssue({ code: 'custom', path: ['configHash'], message: 'does not match the task config' });
  });

/** The job's data, or the reason it is refused (an UnrecoverableError: retrying cannot help). */
export function parseJob(data: unknown): RedisJobData {
  // Nesting past any job's (and __proto__ keys) first: zod and its messages recurse, and overflowed the stack.
  const unsafe = untrustedJsonProblems(data);
  const problems = unsafe.length > 0 ? unsafe : schemaProblems(jobSchema, data);
  if (problems.length > 0)
    throw new UnrecoverableError(`invalid job: ${problems.map((p) => `${p.path}: ${p.message}`).join('; ')}`);
  return data as RedisJobData;
}

/**
 * The job's data section with its dataset read from this worker's data folder: a
 * registered dataset as it is, a file only by a path relative to the folder that stays
 * inside it (symbolic links resolved), so a forged job cannot read elsewhere.
 */
export function confinedData(data: DataSpec, dataDir: string): DataSpec {
  if (datasetInfo(data.dataset)) return data;
  const refuse = (why: string) => new UnrecoverableError(`dataset '${data.dataset}': ${why}`);
  if (isAbsolute(data.dataset))
    throw refuse(`a worker reads files only by a path relative to its data folder (${dataDir})`);
  let root: string;
  let file: string;
  try {
    root = realpathSync(dataDir);
    file = realpathSync(resolve(root, data.dataset));
  } catch {
    throw refuse(`no such file in this worker's data folder (${dataDir})`);
  }
  const inside = relative(root, file);
  if (inside === '' || inside.startsWith(`..${sep}`) || inside === '..' || isAbsolute(inside))
    throw refuse(`outside this worker's data folder (${dataDir})`);
  return { ...data, dataset: file };
}

interface Context {
  options: RedisWorkerOptions;
  dataDir: string;
  code: string;
  pool: PiscinaExecutor;
  /**
   * The coordinator's checks as this worker runs them: its memory limit, and where the data they prepare is kept for
   * the pool.
   */
  limits: PreflightOptions;
  /** What those checks learnt of each data section (prepared once per worker process; the pool's threads share it). */
  shapes: NonNullable<Parameters<typeof trainingIssues>[3]>;
  redis: Redis;
  /** Trainings running in the pool now (a stopping worker waits for them, not for Redis). */
  training: number;
  log: (line: string) => void;
}

/** Checks a job against this worker and returns the task to train here. */
async function admit(ctx: Context, data: RedisJobData): Promise<TrialTask> {
  if (data.codeVersion !== ctx.code) {
    throw new UnrecoverableError(
      `code version differs: the coordinator runs ${data.codeVersion}, worker ${hostname()} runs ${ctx.code}; ` +
        'run the same build (same commit, `npx tsc -b`) on both',
    );
  }
  const spec = confinedData(data.task.config.data as DataSpec, ctx.dataDir);
  const config = { ...data.task.config, data: spec } as TrialTask['config'];
  // Every check the coordinator ran before queueing (schemas, ranges, the memory estimate
  // against this machine's limit): a job is untrusted, and this machine is not the coordinator's.
  const issues = await trainingIssues(config, ctx.dataDir, ctx.limits, ctx.shapes).catch((error: unknown) => {
    ctx.shapes.clear(); // a failed preparation is tried again by the next job
    throw error;
  });
  const prepared = ctx.limits.keep!.get(spec);
  if (prepared && data.dataFingerprint !== null && prepared.fingerprint !== data.dataFingerprint) {
    throw new UnrecoverableError(
      `dataset fingerprint differs: '${spec.dataset}' in ${ctx.dataDir} on ${hostname()} ` +
        `prepares to ${prepared.fingerprint.slice(0, 12)}, ` +
        `the coordinator's to ${data.dataFingerprint.slice(0, 12)}; give this worker the same files`,
    );
  }
  if (issues.length > 0) throw new UnrecoverableError(`refused by worker ${hostname()}: ${issues.join('; ')}`);
  return {
    ...data.task,
    config,
    backend: ctx.options.backend ?? (data.task.backend as BackendName),
    dataDir: ctx.dataDir,
  };
}

/** Waits for the coordinator's verdict on one epoch (a list it pushes to), until the job is cancelled. */
async function verdictOf(ctx: Context, key: string, signal: AbortSignal | undefined): Promise<TrialDirective> {
  const blocking = ctx.redis.duplicate();
  blocking.on('error', () => undefined);
  try {
    while (!signal?.aborted) {
      const popped = await blocking.blpop(key, 2);
      if (!popped) continue;
      try {
        return readVerdict(popped[1]);
      } catch (error) {
        ctx.log(`ignored a message in ${key}: ${(error as Error).message}`);
      }
    }
    throw signal.reason;
  } finally {
    blocking.disconnect();
  }
}

async function processJob(ctx: Context, job: Job, signal: AbortSignal | undefined): Promise<RedisReturn> {
  const data = parseJob(job.data);
  const task = await admit(ctx, data);
  const attempt = randomUUID();
  ctx.log(`start ${job.queueName} ${job.id} trial ${task.trialId} attempt ${attempt.slice(0, 8)}`);
  const onProgress = async (progress: TrialProgress): Promise<TrialDirective | void> => {
    await job.updateProgress({ attempt, message: toJsonText(progress) } satisfies RedisProgress);
    if (progress.type === 'epoch' && awaitsVerdict(task, progress.record.epoch))
      return verdictOf(ctx, verdictKey(job.queueName, job.id!, attempt, progress.record.epoch), signal);
  };
  const started = performance.now();
  ctx.training++;
  const result = await ctx.pool.run(task, onProgress, signal).finally(() => ctx.training--);
  const payload = encodeResult(result);
  const limit = (ctx.options.maxResultMb ?? DEFAULT_MAX_RESULT_MB) * 2 ** 20;
  if (payload.length > limit) {
    throw new UnrecoverableError(
      `result of ${(payload.length / 2 ** 20).toFixed(1)} MB is over the ${limit / 2 ** 20} MB ` +
        'a worker sends through Redis (aelab worker --max-result-mb)',
    );
  }
  const key = resultKey(job.queueName, job.id!, attempt);
  await ctx.redis.set(key, payload, 'EX', RESULT_TTL_SECONDS);
  ctx.log(
    `done ${job.queueName} ${job.id} in ${((performance.now() - started) / 1000).toFixed(1)} s (${result.stopReason})`,
  );
  return { key, bytes: payload.length, sha256: sha256Of(payload) };
}

/**
 * A connection to the worker's Redis, reached once (an unreachable Redis at start is an
 * error); later outages are logged once each while it reconnects.
 */
async function connectWorkerRedis(options: RedisWorkerOptions, log: (line: string) => void): Promise<Redis> {
  const redis = connectRedis(options.address);
  // It reconnects on its own (jobs' commands wait meanwhile): say so once per outage.
  let away = false;
  redis.on(
    'error',
    (error: Error) =>
      !away && (away = true) && log(`redis: lost ${redacted(options.address)} (${error.message}); waiting for it`),
  );
  redis.on('ready', () => away && !(away = false) && log('redis: back'));
  // An unreachable Redis at start is an error (the connection would otherwise retry forever).
  await reachRedis(redis, options.address).catch((error: unknown) => {
    redis.disconnect();
    throw error;
  });
  return redis;
}

/** The worker's context: its data folder, code version, local pool and the coordinator's checks. */
function workerContext(options: RedisWorkerOptions, redis: Redis, log: (line: string) => void): Context {
  const dataDir = resolve(resolveDataDir(options.dataDir));
  const prepared = new SharedPreparedData();
  const pool = new PiscinaExecutor({
    workers: options.concurrency,
    maxTrialMemoryMb: options.maxTrialMemoryMb,
    preparedData: (data) => prepared.get(data),
  });
  const limits = {
    ...memoryPerTrial(options.maxTrialMemoryMb, options.concurrency, 'aelab worker --max-trial-memory-mb'),
    keep: prepared,
  };
  return {
    options,
    dataDir,
    code: codeVersion(),
    pool,
    limits,
    shapes: new Map(),
    redis,
    training: 0,
    log,
  };
}

/** Subscribes to the coordinators' cancel messages, cancelling the named job of the queue's worker. */
async function subscribeCancels(ctx: Context, workers: Map<string, Worker>): Promise<Redis> {
  const { log } = ctx;
  const subscriber = ctx.redis.duplicate();
  subscriber.on('error', () => undefined);
  subscriber.on('message', (_channel: string, text: string) => {
    let cancel: CancelMessage;
    try {
      cancel = readCancel(text);
    } catch (error) {
      log(`ignored a message on ${CANCEL_CHANNEL}: ${(error as Error).message}`);
      return;
    }
    if (workers.get(cancel.queue)?.cancelJob(cancel.jobId, 'cancelled by the coordinator'))
      log(`cancel ${cancel.queue} ${cancel.jobId}`);
  });
  await subscriber.subscribe(CANCEL_CHANNEL);
  return subscriber;
}

/**
 * One look at the study queues coordinators announce: serves each new one (a name that is
 * not a study queue's is refused once) and closes the workers of queues no longer announced.
 */
async function discoverQueues(ctx: Context, workers: Map<string, Worker>, refused: Set<string>): Promise<void> {
  const { options, redis, log } = ctx;
  const lockMs = (options.lockSeconds ?? DEFAULT_LOCK_SECONDS) * 1000;
  const names = new Set(await redis.smembers(QUEUES_KEY));
  for (const name of names) {
    if (workers.has(name) || refused.has(name)) continue;
    if (!isStudyQueue(name)) {
      refused.add(name);
      log(`ignored '${printable(name)}' in ${QUEUES_KEY}: not a study queue name`);
      continue;
    }
    const connection = redis.duplicate();
    connection.on('error', () => undefined); // said once, on the main connection
    const worker = new Worker(name, (job, _token, signal) => processJob(ctx, job, signal), {
      connection,
      concurrency: options.concurrency,
      lockDuration: lockMs,
      stalledInterval: lockMs,
      // A job whose worker died is given to another worker, twice at most.
      maxStalledCount: 2,
    });
    worker.on('failed', (job, error) => log(`failed ${name} ${job?.id}: ${error.message.split('\n')[0]}`));
    worker.on('error', () => undefined); // connection errors: said once below, while Redis is away
    workers.set(name, worker);
    log(`serving ${name}`);
  }
  for (const [name, worker] of workers) {
    if (names.has(name)) continue;
    workers.delete(name);
    void worker.close().finally(() => connectionOf(worker).disconnect());
    log(`study queue ${name} closed`);
  }
}

/**
 * Runs a worker until `signal` aborts: finds the study queues coordinators announce, takes
 * their jobs (at most `concurrency` per queue at once) and trains them.
 */
export async function runRedisWorker(asked: RedisWorkerOptions): Promise<void> {
  const log = asked.log ?? ((line: string) => console.log(line));
  // The same cap as a local pool's: threads past 2 per CPU only hold memory.
  const options = { ...asked, concurrency: Math.min(asked.concurrency, localWorkerLimit()) };
  if (options.concurrency < asked.concurrency) {
    log(`note: --concurrency ${asked.concurrency} capped at ${options.concurrency}: at most 2 per CPU`);
  }
  const redis = await connectWorkerRedis(options, log);
  const ctx = workerContext(options, redis, log);
  const workers = new Map<string, Worker>();
  const subscriber = await subscribeCancels(ctx, workers);
  log(
    `worker ${hostname()}: ${redacted(options.address)}, ${options.concurrency} at once, ` +
      `data ${ctx.dataDir}, code ${ctx.code}`,
  );
  const refused = new Set<string>();
  await serveUntil(options.signal, () => discoverQueues(ctx, workers, refused));
  await closeWorkers(ctx, [...workers.values()]);
  await ctx.pool.close();
  subscriber.disconnect();
  await (redis.status === 'ready' ? redis.quit().catch(() => redis.disconnect()) : redis.disconnect());
}

/**
 * Closes the queues' workers once their running trainings have finished, but does not wait
 * for Redis: BullMQ's close waits for its connections, and a Redis that is gone may never
 * come back (a service manager's SIGTERM must stop an idle worker whatever Redis does).
 * A training that ends while Redis is away loses its result; its job's lock runs out in
 * Redis and another worker takes the job.
 */
async function closeWorkers(ctx: Context, workers: Worker[]): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  let closing: Promise<unknown> | undefined;
  await new Promise<void>((done) => {
    const look = () => {
      // Closed as BullMQ closes (after the running jobs) while Redis answers; else done once no training runs.
      if (ctx.redis.status === 'ready')
        closing ??= Promise.all(workers.map((w) => w.close().catch(() => undefined))).then(() => done());
      else if (ctx.training === 0) done();
    };
    look();
    timer = setInterval(look, STOP_CHECK_MS);
  });
  clearInterval(timer);
  for (const worker of workers) {
    void worker.close(true).catch(() => undefined);
    connectionOf(worker).disconnect();
  }
}

/** The connection a worker was given (BullMQ leaves a given connection open when the worker closes). */
const connectionOf = (worker: Worker) => worker.opts.connection as Redis;

/**
 * Calls `discover` every second until `signal` aborts (a failed look, e.g. while Redis
 * restarts, is retried). It returns at the abort even while a look waits for a Redis that is gone.
 */
async function serveUntil(signal: AbortSignal | undefined, discover: () => Promise<void>): Promise<void> {
  const aborted = new Promise<void>((done) =>
    signal?.aborted ? done() : signal?.addEventListener('abort', () => done(), { once: true }),
  );
  while (!signal?.aborted) {
    await Promise.race([discover().catch(() => undefined), aborted]);
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([new Promise<void>((done) => (timer = setTimeout(done, DISCOVER_MS))), aborted]);
    clearTimeout(timer);
  }
}
