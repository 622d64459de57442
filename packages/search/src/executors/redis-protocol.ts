/**
 * What both sides of the `redis` executor share: the names of its keys and queues, the job
 * and result layout, the connection and the code version. The coordinator (redis.ts) and
 * the worker (redis-worker.ts) import it; neither imports the other.
 */
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Redis } from 'ioredis';
import { jsonSplitLabels, type TrialResult, type TrialTask } from '../trial-task.js';
import { QUEUE_PREFIX, readResultHead, toJsonText } from './redis-messages.js';

/** The Redis set of study queues that workers serve (coordinators add theirs, and remove it when done). */
export const QUEUES_KEY = 'aelab:queues';
/** Pub/sub channel on which a coordinator asks workers to stop a job (`{queue, jobId}`). */
export const CANCEL_CHANNEL = 'aelab:cancel';
/** Version of the job and result layout below; a worker refuses any other. */
export const PROTOCOL = 1;
/** How long a result waits in Redis for its coordinator (a coordinator restarted within a day re-attaches). */
export const RESULT_TTL_SECONDS = 24 * 3600;
/** How long a job stays with a worker that stopped answering before another takes it, by default (s). */
export const DEFAULT_LOCK_SECONDS = 30;
/** The largest result a worker sends through Redis, by default (MB). */
export const DEFAULT_MAX_RESULT_MB = 256;

export const queueName = (studyId: string) => `${QUEUE_PREFIX}${studyId}`;
/** One job per training of a study: the store's key of a training (config hash and repeat). */
export const jobIdOf = (training: { configHash: string; repeat: number }) =>
  `${training.configHash}-r${training.repeat}`;
/** Where the coordinator puts its verdict on one epoch of one attempt of a job (a list the worker pops). */
export const verdictKey = (queue: string, jobId: string, attempt: string, epoch: number) =>
  `aelab:verdict:${queue}:${jobId}:${attempt}:${epoch}`;
export const resultKey = (queue: string, jobId: string, attempt: string) => `aelab:result:${queue}:${jobId}:${attempt}`;

/** What a job carries: the task, who it belongs to, and what the worker must match to take it. */
export interface RedisJobData {
  protocol: typeof PROTOCOL;
  studyId: string;
  configHash: string;
  repeat: number;
  /** {@link codeVersion} of the coordinator. */
  codeVersion: string;
  /** The coordinator's fingerprint of the task's prepared data; null when it had none. */
  dataFingerprint: string | null;
  task: Omit<TrialTask, 'dataDir' | 'training'>;
}

/** The address without its password, for messages. */
export function redacted(address: string): string {
  try {
    const url = new URL(address);
    if (url.password) url.password = '***';
    return url.toString();
  } catch {
    return '(not a URL)';
  }
}

/**
 * A connection to `address` (`redis://[user:password@]host:port[/db]`, or `rediss://` for
 * TLS). Without a password in the URL, `AELAB_REDIS_PASSWORD` gives one (so it stays out
 * of shell history and process lists). Commands wait while Redis is away instead of
 * failing, so a restarted Redis is waited for.
 */
export function connectRedis(address: string): Redis {
  let url: URL;
  try {
    url = new URL(address);
  } catch {
    throw new Error(`redis: '${redacted(address)}' is not a URL; expected redis://host:6379 or rediss://host:6380`);
  }
  if (url.protocol !== 'redis:' && url.protocol !== 'rediss:')
    throw new Error(`redis: expected a redis:// or rediss:// URL, got ${url.protocol}//`);
  const password = url.password ? undefined : process.env.AELAB_REDIS_PASSWORD;
  return new Redis(address, {
    maxRetriesPerRequest: null,
    ...(password ? { password } : {}),
    retryStrategy: (times) => Math.min(times * 200, 2000),
  });
}

/** Redis's replies to a wrong or missing password (or a user without the rights). */
const AUTH_ERROR = /\b(WRONGPASS|NOAUTH|NOPERM)\b|invalid (username-)?password/i;

/**
 * Resolves once `redis` answers, or fails with what went wrong: at once when Redis refuses
 * the credentials (retrying cannot help), else after `timeoutMs`.
 */
export async function reachRedis(redis: Redis, address: string, timeoutMs = 10_000): Promise<void> {
  let lastError = 'no answer';
  let refuse!: (error: Error) => void;
  const refused = new Promise<never>((_, reject) => (refuse = reject));
  // The refusal comes as an 'error' event or as the ping's own rejection, depending on when AUTH was sent.
  const credentials = (error: Error) =>
    AUTH_ERROR.test(error.message)
      ? new Error(
          `Redis at ${redacted(address)} refused the credentials: ${error.message}; ` +
            `check the URL's password or $AELAB_REDIS_PASSWORD`,
        )
      : error;
  const onError = (error: Error) => {
    lastError = error.message;
    if (AUTH_ERROR.test(error.message)) refuse(credentials(error));
  };
  redis.on('error', onError);
  let timer: NodeJS.Timeout | undefined;
  try {
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () =>
          reject(new Error(`cannot reach Redis at ${redacted(address)} within ${timeoutMs / 1000} s: ${lastError}`)),
        timeoutMs,
      );
    });
    await Promise.race([redis.ping().catch((error: Error) => Promise.reject(credentials(error))), timeout, refused]);
  } finally {
    clearTimeout(timer);
    redis.off('error', onError);
  }
}

/**
 * A result as one binary value: a 4-byte length, the JSON part (with the blobs' names and
 * sizes), then the blobs' bytes. Binary, so the model's weights are not inflated by base64.
 */
export function encodeResult(result: TrialResult): Buffer {
  const { blobs, ...rest } = result;
  // A worker trains on its own pool, whose results refer to shared label arrays: JSON travels.
  const splits = Object.fromEntries(Object.entries(rest.splits).map(([name, l]) => [name, jsonSplitLabels(l)]));
  const json = { ...rest, splits };
  const manifest = Object.entries(blobs).map(([name, bytes]) => ({ name, bytes: bytes.byteLength }));
  const head = Buffer.from(toJsonText({ result: json, blobs: manifest }));
  const length = Buffer.alloc(4);
  length.writeUInt32LE(head.length);
  return Buffer.concat([length, head, ...Object.values(blobs)]);
}

/** A result payload read back from Redis: an Error says what is wrong with a damaged or forged one. */
export function decodeResult(payload: Buffer): TrialResult {
  const { head, offset: start } = readResultHead(payload);
  const blobs: Record<string, Uint8Array> = {};
  let offset = start;
  for (const { name, bytes } of head.blobs) {
    if (name in blobs) throw new Error(`result payload: blob '${name}' appears twice`);
    blobs[name] = new Uint8Array(payload.subarray(offset, offset + bytes));
    offset += bytes;
  }
  if (offset !== payload.length) throw new Error(`result payload: ${payload.length} bytes, expected ${offset}`);
  return { ...head.result, blobs };
}

export const sha256Of = (bytes: Uint8Array) => createHash('sha256').update(bytes).digest('hex');

let cachedCodeVersion: string | undefined;

/**
 * What code trains: a hash of the built JavaScript of the packages that decide a trained
 * result (core, data, models, search). A worker refuses a job whose coordinator runs other
 * code, since the same task could then give other numbers.
 */
export function codeVersion(): string {
  if (cachedCodeVersion) return cachedCodeVersion;
  const packages = fileURLToPath(new URL('../../../', import.meta.url));
  const hash = createHash('sha256');
  for (const name of ['core', 'data', 'models', 'search']) {
    const dist = join(packages, name, 'dist');
    let files: string[];
    try {
      files = (readdirSync(dist, { recursive: true }) as string[]).filter((f) => f.endsWith('.js')).sort();
    } catch {
      throw new Error(`redis: no build of @aelab/${name} in ${dist}; run \`npx tsc -b\` first`);
    }
    for (const file of files) hash.update(`${name}/${file}\0`).update(readFileSync(join(dist, file)));
  }
  return (cachedCodeVersion = hash.digest('hex').slice(0, 16));
}
