import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseJob } from '../src/executors/redis-worker.js';
import {
  isStudyQueue,
  readCancel,
  readProgress,
  readReturn,
  readVerdict,
  toJsonText,
} from '../src/executors/redis-messages.js';
import { decodeResult, encodeResult } from '../src/executors/redis.js';
import type { TrialResult } from '../src/trial-task.js';

/*
 * Everything that arrives from Redis, as read by the side that receives it: Redis is shared,
 * so any client may publish, push or write junk. Each reader gives the message back or
 * throws an Error that names the message type (its reader's caller logs it and goes on, or
 * fails the one trial it concerns); none throws anything else (a bare SyntaxError or
 * TypeError once killed every worker).
 */
const result: TrialResult = {
  history: [{ epoch: 1, loss: Number.NaN, valLoss: Number.POSITIVE_INFINITY, seconds: 0.1 }],
  bestEpoch: null,
  stopReason: 'completed',
  parameterCount: 10,
  trainSeconds: 0.2,
  backend: { backend: 'wasm', tfjsVersion: '4.22.0' },
  dataFingerprint: 'f'.repeat(64),
  splits: { test: { rows: 2, y: [0, 1], labels: ['normal', 'anomaly'] } },
  examples: {} as TrialResult['examples'],
  modelInfo: {
    format: 'aelab-model',
    version: 1,
    spec: { kind: 'dense' },
    preparation: null,
    threshold: null,
    extra: {},
    tfjsVersion: 'test',
  } as unknown as TrialResult['modelInfo'],
  blobs: { 'errors/test/mse': new Uint8Array([1, 2, 3, 4]), 'model/weights.bin': new Uint8Array([9, 8, 7]) },
};
const epoch = { type: 'epoch', trialId: 't', record: { epoch: 1, loss: 0.5, valLoss: null, seconds: 0.1 }, epochs: 3 };

/**
 * Each message type: its reader, what may arrive (text or a value), messages it accepts and ones it refuses with
 * `problem`.
 */
const READERS: {
  type: string;
  read: (input: never) => unknown;
  arbitrary: fc.Arbitrary<unknown>;
  valid: unknown[];
  invalid: { input: unknown; problem: RegExp }[];
}[] = [
  {
    type: 'cancel message',
    read: readCancel,
    arbitrary: fc.oneof(fc.string(), fc.json()),
    valid: ['{"queue":"aelab-s-1","jobId":"abc-r0"}'],
    invalid: [
      { input: 'not json', problem: /^cancel message: not JSON/ },
      { input: 'null', problem: /^cancel message: / },
      { input: '[]', problem: /^cancel message: / },
      { input: '{"queue":"aelab-s-1"}', problem: /^cancel message: jobId/ },
      { input: '{"queue":"elsewhere","jobId":"j"}', problem: /^cancel message: queue/ },
    ],
  },
  {
    type: 'verdict',
    read: readVerdict,
    arbitrary: fc.string(),
    valid: ['continue', 'prune'],
    invalid: [
      { input: 'Prune', problem: /^verdict: / },
      { input: '', problem: /^verdict: / },
    ],
  },
  {
    type: 'job progress',
    read: readProgress,
    arbitrary: fc.oneof(fc.anything(), fc.record({ attempt: fc.string(), message: fc.oneof(fc.string(), fc.json()) })),
    valid: [
      { attempt: 'a1', message: toJsonText(epoch) },
      { attempt: 'a1', message: toJsonText({ ...epoch, record: { ...epoch.record, loss: Number.NaN } }) },
    ],
    invalid: [
      { input: null, problem: /^job progress: / },
      { input: { attempt: 'a1', message: 'not json' }, problem: /^job progress: not JSON/ },
      { input: { attempt: 'a1', message: 'null' }, problem: /^job progress message: / },
      {
        input: { attempt: 'a1', message: toJsonText({ ...epoch, record: { epoch: 'one' } }) },
        problem: /^job progress message: record\.epoch/,
      },
    ],
  },
  {
    type: 'job return value',
    read: readReturn,
    arbitrary: fc.anything(),
    valid: [{ key: 'aelab:result:q:j:a', bytes: 10, sha256: 'a'.repeat(64) }],
    invalid: [
      { input: undefined, problem: /^job return value: / },
      { input: { key: 'k', bytes: -1, sha256: 'a'.repeat(64) }, problem: /^job return value: bytes/ },
    ],
  },
  {
    type: 'result payload',
    read: (payload: Buffer) => decodeResult(payload),
    arbitrary: fc.uint8Array({ maxLength: 64 }).map((bytes) => Buffer.from(bytes)),
    valid: [encodeResult(result)],
    invalid: [
      { input: Buffer.alloc(2), problem: /^result payload: 2 bytes, too short/ },
      { input: Buffer.from([255, 255, 255, 0, 1]), problem: /^result payload: its head of \d+ bytes runs past/ },
      { input: encodeResult(result).subarray(0, -1), problem: /^result payload: \d+ bytes, expected/ },
      { input: Buffer.concat([Buffer.from([4, 0, 0, 0]), Buffer.from('null')]), problem: /^result payload: / },
    ],
  },
];

describe.each(READERS)('a $type read from Redis', ({ type, read, arbitrary, valid, invalid }) => {
  it('is accepted as the other side writes it', () => {
    for (const input of valid) expect(() => read(input as never)).not.toThrow();
  });

  it.each(invalid)('refuses $input, saying what is wrong', ({ input, problem }) => {
    expect(() => read(input as never)).toThrow(problem);
  });

  it('given anything, returns or throws an Error that names it (never a bare TypeError or SyntaxError)', () => {
    fc.assert(
      fc.property(arbitrary, (input) => {
        try {
          read(input as never);
        } catch (error) {
          expect(error).toBeInstanceOf(Error);
          expect((error as Error).constructor).toBe(Error);
          expect((error as Error).message.startsWith(type.split(' ')[0])).toBe(true);
        }
      }),
    );
  });
});

describe('a result payload damaged in Redis', () => {
  it('fails its decoding with a reason, wherever it is cut or flipped', () => {
    const payload = encodeResult(result);
    fc.assert(
      fc.property(fc.nat(payload.length - 1), fc.integer({ min: 1, max: 255 }), fc.boolean(), (at, flip, cut) => {
        const damaged = cut ? payload.subarray(0, at) : Buffer.from(payload).fill(payload[at] ^ flip, at, at + 1);
        try {
          decodeResult(damaged);
        } catch (error) {
          expect((error as Error).message).toMatch(/^result payload: /);
        }
      }),
    );
  });
});

describe('a job payload read from Redis', () => {
  it('given anything, is refused as an invalid job (an UnrecoverableError: retrying cannot help)', () => {
    fc.assert(
      fc.property(fc.anything(), (input) => {
        expect(() => parseJob(input)).toThrow(/^invalid job: /);
      }),
    );
  });

  it('nested 100,000 deep, is refused naming where, without overflowing the stack', () => {
    // BullMQ's JSON.parse reads it; zod and the messages' quoting recurse.
    const text = '['.repeat(100_000) + ']'.repeat(100_000);
    const deep = JSON.parse(text) as unknown;
    expect(() => parseJob({ protocol: 1, task: { config: { model: deep } } })).toThrow(
      /^invalid job: task\.config\.model(\[0\])+: nests deeper than 64 levels of arrays and objects$/,
    );
    // So is a job's return value, and a cancel or progress message (their JSON.parse, with a reviver, recurses).
    expect(() => readReturn(deep)).toThrow(/^job return value: (\[0\])+ nests deeper than 64 levels/);
    expect(() => readCancel(text)).toThrow(/^cancel message: /);
    expect(() => readProgress({ attempt: 'a1', message: text })).toThrow(/^job progress: /);
  });
});

describe('a study queue name read from the set of queues', () => {
  it('is served only when it is one a coordinator makes', () => {
    expect(isStudyQueue('aelab-s-20260101-000000-beef')).toBe(true);
    for (const name of ['', 'aelab-', 'other', 'aelab-a b', `aelab-${'x'.repeat(300)}`])
      expect(isStudyQueue(name), name).toBe(false);
  });
});
