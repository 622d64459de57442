import { mkdtemp, rm, truncate, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  DataFormatError,
  DataPreparationError,
  DatasetNotFoundError,
  generateSyntheticEcg,
  prepareData,
  prepareDataset,
  type DataSpec,
} from '@aelab/data';
import { afterAll, describe, expect, it } from 'vitest';
import { preparedInThread } from '../src/preflight.js';
import { PreparationThread } from '../src/preparation-thread.js';
import { preparedDataMessage, preparedDataOf, rebuiltError } from '../src/prepared-message.js';

const scratch: string[] = [];
afterAll(async () => Promise.all(scratch.map((dir) => rm(dir, { recursive: true, force: true }))));

async function csvFile(text: string): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'aelab-prep-thread-'));
  scratch.push(dir);
  const file = join(dir, 'data.csv');
  await writeFile(file, text);
  return file;
}

describe('prepared data messages', () => {
  it('round-trip: the same rows, labels and row indices, the rows still in the same shared memory', () => {
    const prepared = prepareDataset(
      generateSyntheticEcg({ trainRows: 40, testRows: 20 }),
      { dataset: 'synthetic-ecg', validationFraction: 0.2 },
      { memory: 'shared' },
    );
    const { message, transfer } = preparedDataMessage(prepared);
    expect([...message.classes].sort()).toEqual(
      [...new Set(prepared.test.labels.concat(prepared.train.labels))].sort(),
    );
    expect(transfer).toHaveLength(6);
    expect(preparedDataMessage(prepared, 'shared').transfer).toHaveLength(0);
    expect(preparedDataMessage(prepared, 'shared').message.test.labelCodes.buffer).toBeInstanceOf(SharedArrayBuffer);
    const back = preparedDataOf(structuredClone(message, { transfer }));
    for (const name of ['train', 'validation', 'test'] as const) {
      expect(back[name].labels).toEqual(prepared[name].labels);
      expect(back[name].index).toEqual(prepared[name].index);
      expect(back[name].x.buffer).toBeInstanceOf(SharedArrayBuffer);
      // The same memory: a write through one shows through the other.
      back[name].x[0] = 1234.5;
      expect(prepared[name].x[0]).toBe(1234.5);
    }
    expect({ ...back, train: 0, validation: 0, test: 0 }).toEqual({ ...prepared, train: 0, validation: 0, test: 0 });
  });

  it('rebuilds data errors with their class, fields and message', () => {
    const format = new DataFormatError('a.csv', 3, 2, 'expected a number, got "x\u001b"');
    const rebuilt = rebuiltError({ name: format.name, message: format.message, fields: { ...format } });
    expect(rebuilt).toBeInstanceOf(DataFormatError);
    expect(rebuilt.message).toBe(format.message);
    const missing = new DatasetNotFoundError('ecg', ['/d/ecg.csv'], 'the default /d');
    expect(rebuiltError({ name: missing.name, message: missing.message, fields: { ...missing } })).toEqual(missing);
    const preparation = new DataPreparationError('normal class ["7"] matches no row; labels seen: \u001b[31m');
    const back = rebuiltError({ name: preparation.name, message: preparation.message });
    expect(back).toBeInstanceOf(DataPreparationError);
    expect(back.message).toBe(preparation.message);
    const other = rebuiltError({ name: 'RangeError', message: 'too big' });
    expect([other.name, other.message]).toEqual(['RangeError', 'too big']);
  });
});

describe('PreparationThread', () => {
  const rows = Array.from({ length: 60 }, (_, i) => `${i % 7},${(i * 3) % 11},${i % 10 === 0 ? 'bad' : 'ok'}`);
  const text = `a,b,label\n${rows.join('\n')}\n`;

  it('prepares as prepareData does, into shared memory, and ends when closed', async () => {
    const spec: DataSpec = {
      dataset: await csvFile(text),
      normalClass: 'ok',
      validationFraction: 0.2,
      validationAnomalies: 'keep',
    };
    const thread = new PreparationThread();
    try {
      const message = await thread.prepare(spec, undefined);
      expect(message.test.labelCodes.buffer).toBeInstanceOf(SharedArrayBuffer);
      const [inThread, again] = [
        preparedDataOf(message),
        await thread.prepare({ ...spec, scaler: 'minmax' }, undefined),
      ];
      const here = await prepareData(spec);
      expect(inThread.train.x.buffer).toBeInstanceOf(SharedArrayBuffer);
      expect(inThread.fingerprint).toBe(here.fingerprint);
      for (const name of ['train', 'validation', 'test'] as const) {
        expect(Array.from(inThread[name].x)).toEqual(Array.from(here[name].x));
        expect(Array.from(inThread[name].y)).toEqual(Array.from(here[name].y));
        expect(inThread[name].labels).toEqual(here[name].labels);
        expect(inThread[name].index).toEqual(here[name].index);
      }
      expect(inThread.preparation).toEqual(here.preparation);
      expect(again.fingerprint).toBe((await prepareData({ ...spec, scaler: 'minmax' })).fingerprint);
    } finally {
      await thread.close();
    }
  });

  it('rejects with the data error prepareData throws, with its class', async () => {
    const thread = new PreparationThread();
    try {
      const wrongClass = { dataset: await csvFile(text), normalClass: 'fine' };
      const expected = (await prepareData(wrongClass).then(
        () => undefined,
        (error: unknown) => error as Error,
      ))!;
      await expect(thread.prepare(wrongClass, undefined)).rejects.toThrow(expected.message);
      await expect(thread.prepare(wrongClass, undefined)).rejects.toBeInstanceOf(DataPreparationError);
      const broken = { dataset: await csvFile('a,b,label\n1,2,ok\n1,x,ok\n'), normalClass: 'ok' };
      const error = (await thread.prepare(broken, undefined).then(
        () => undefined,
        (e: unknown) => e as DataFormatError,
      ))!;
      expect(error).toBeInstanceOf(DataFormatError);
      expect(error.line).toBe(3);
    } finally {
      await thread.close();
    }
  });
});

describe('where a study prepares its data', () => {
  it('uses the thread for files over 32 MiB or not found, not for smaller files or generated data', async () => {
    const small = await csvFile('a,label\n1,ok\n');
    // A sparse file: 33 MiB long, no such disk space taken.
    const large = await csvFile('a,label\n1,ok\n');
    await truncate(large, 33 * 2 ** 20);
    expect(preparedInThread({ dataset: small }, undefined)).toBe(false);
    expect(preparedInThread({ dataset: large }, undefined)).toBe(true);
    expect(preparedInThread({ dataset: join(tmpdir(), 'aelab-no-such-file.csv') }, undefined)).toBe(true);
    expect(preparedInThread({ dataset: 'synthetic-ecg' }, undefined)).toBe(false);
    const empty = await mkdtemp(join(tmpdir(), 'aelab-no-data-'));
    scratch.push(empty);
    // A registered dataset: by its files in the data folder, here absent.
    expect(preparedInThread({ dataset: 'ecg' }, empty)).toBe(true);
  });
});
