/**
 * Every message that crosses Redis, as the side that reads it accepts it. Redis is shared
 * (any client that can reach it may publish, push or write), so nothing read from it is
 * trusted: each read goes through one of the `read*` functions below, which return the
 * message or throw an Error that says what was wrong. A reader logs and ignores a bad
 * message (a cancel, a verdict, a progress report) or fails the one trial it concerns (a
 * result); none lets it take the process down.
 *
 * The job payload is checked by the worker (redis-worker.ts, `parseJob`): its schema
 * needs the experiment's data and training schemas.
 */
import { MAX_JSON_DEPTH, schemaProblems, tooDeepJson } from '@aelab/core';
import { z } from 'zod';
import type { TrialProgress, TrialResult } from '../trial-task.js';

// JSON with non-finite numbers kept (a diverged training's NaN loss must arrive as NaN, as with the pool).
const NON_FINITE = '$aelab-non-finite';
const keepNonFinite = (_key: string, value: unknown) =>
  typeof value === 'number' && !Number.isFinite(value) ? { [NON_FINITE]: String(value) } : value;
const restoreNonFinite = (_key: string, value: unknown) =>
  value && typeof value === 'object' && NON_FINITE in value
    ? Number((value as Record<string, string>)[NON_FINITE])
    : value;
export const toJsonText = (value: unknown) => JSON.stringify(value, keepNonFinite);
export const fromJsonText = (text: string): unknown => JSON.parse(text, restoreNonFinite);

/** Prefix of every study queue's name: a worker serves no other queue. */
export const QUEUE_PREFIX = 'aelab-';

// Any number, NaN and infinities included (zod's number refuses them; a diverged loss is NaN).
const anyNumber = z.custom<number>((value) => typeof value === 'number', 'expected a number');
const count = z.number().int().nonnegative();

/** A pub/sub message asking workers to stop a job. */
export const cancelSchema = z.object({ queue: z.string().startsWith(QUEUE_PREFIX), jobId: z.string().min(1) }).strict();
export type CancelMessage = z.output<typeof cancelSchema>;

/** The coordinator's answer on one epoch, pushed to the list a worker pops (see `verdictKey`). */
export const verdictSchema = z.enum(['continue', 'prune']);

/** A study queue's name, as coordinators announce it in the set of queues workers serve. */
export const studyQueueSchema = z
  .string()
  .regex(new RegExp(`^${QUEUE_PREFIX}[A-Za-z0-9._-]{1,200}$`), 'not a study queue name');

const epochRecordSchema = z.object({
  epoch: z.number().int().positive(),
  loss: anyNumber,
  valLoss: anyNumber.nullable(),
  valError: anyNumber.nullable().optional(),
  seconds: anyNumber,
});
const trialProgressSchema = z.discriminatedUnion('type', [
  z.object({ type: z.literal('accepted'), trialId: z.string() }),
  z.object({ type: z.literal('start'), trialId: z.string(), epochs: count, backend: z.string() }),
  z.object({ type: z.literal('epoch'), trialId: z.string(), record: epochRecordSchema, epochs: count }),
]);

/** A job's progress: one trial message of one attempt (JSON text, so NaN losses survive). */
export const progressSchema = z.object({ attempt: z.string().min(1).max(128), message: z.string() });
export type RedisProgress = z.output<typeof progressSchema>;

/** A finished job's return value: where its result lies in Redis (see `encodeResult`). */
export const returnSchema = z
  .object({ key: z.string().min(1), bytes: count, sha256: z.string().regex(/^[0-9a-f]{64}$/) })
  .strict();
export type RedisReturn = z.output<typeof returnSchema>;

/** The JSON part of a result payload: the result but its blobs, and each blob's name and size in order. */
export const resultHeadSchema = z.object({
  result: z.looseObject({
    history: z.array(epochRecordSchema),
    bestEpoch: z.number().int().nullable(),
    stopReason: z.string(),
    parameterCount: count,
    trainSeconds: anyNumber,
    backend: z.looseObject({ backend: z.string(), tfjsVersion: z.string() }),
    dataFingerprint: z.string(),
    splits: z.record(z.string(), z.looseObject({ rows: count, y: z.array(z.number()), labels: z.array(z.string()) })),
    examples: z.unknown(),
    modelInfo: z.looseObject({ extra: z.record(z.string(), z.unknown()).optional() }).optional(),
  }),
  blobs: z.array(z.object({ name: z.string().min(1), bytes: count }).strict()),
});

/** `value` as `schema` reads it, or an Error naming `what` and each field at fault. */
function read<S extends z.ZodType>(schema: S, value: unknown, what: string): z.output<S> {
  // Nesting past any message's first (results are large: no path is built unless needed); zod and its messages
  // recurse, and overflowed the stack.
  const deep = tooDeepJson(value, MAX_JSON_DEPTH);
  const problems = deep ? [deep] : schemaProblems(schema, value);
  if (problems.length > 0)
    throw new Error(`${what}: ${problems.map((p) => (p.path ? `${p.path} ${p.message}` : p.message)).join('; ')}`);
  return value as z.output<S>;
}

/** JSON text as a value, or an Error naming `what` (a SyntaxError alone does not say which message). */
function parseText(text: string, what: string): unknown {
  try {
    return fromJsonText(text);
  } catch (error) {
    throw new Error(`${what}: not JSON (${(error as Error).message})`);
  }
}

export const readCancel = (text: string): CancelMessage =>
  read(cancelSchema, parseText(text, 'cancel message'), 'cancel message');

export const readVerdict = (text: string) => read(verdictSchema, text, 'verdict');

export const isStudyQueue = (name: string) => studyQueueSchema.safeParse(name).success;

/** A job's progress report: the attempt it comes from and the trial's message. */
export function readProgress(data: unknown): { attempt: string; progress: TrialProgress } {
  const { attempt, message } = read(progressSchema, data, 'job progress');
  return {
    attempt,
    progress: read(trialProgressSchema, parseText(message, 'job progress'), 'job progress message') as TrialProgress,
  };
}

export const readReturn = (value: unknown): RedisReturn => read(returnSchema, value, 'job return value');

/** The JSON part of a result payload and where its blobs start. */
export function readResultHead(payload: Buffer): {
  head: z.output<typeof resultHeadSchema> & { result: Omit<TrialResult, 'blobs'> };
  offset: number;
} {
  if (payload.length < 4) throw new Error(`result payload: ${payload.length} bytes, too short for its length prefix`);
  const headLength = payload.readUInt32LE(0);
  if (4 + headLength > payload.length)
    throw new Error(`result payload: its head of ${headLength} bytes runs past its ${payload.length} bytes`);
  const head = read(
    resultHeadSchema,
    parseText(payload.subarray(4, 4 + headLength).toString('utf8'), 'result payload'),
    'result payload',
  );
  return { head: head as typeof head & { result: Omit<TrialResult, 'blobs'> }, offset: 4 + headLength };
}
