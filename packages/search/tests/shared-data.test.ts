import { generateSyntheticEcg, prepareDataset, type DataSpec } from '@aelab/data';
import { describe, expect, it } from 'vitest';
import { SharedPreparedData } from '../src/shared-data.js';

describe('SharedPreparedData', () => {
  const spec: DataSpec = { dataset: 'synthetic-ecg', validationFraction: 0.2 };
  const dataset = generateSyntheticEcg({ trainRows: 40, testRows: 20 });

  it('keeps data prepared into shared memory as it is: no second copy of the rows', () => {
    const prepared = prepareDataset(dataset, spec, { memory: 'shared' });
    const kept = new SharedPreparedData();
    kept.add(spec, prepared);
    for (const name of ['train', 'validation', 'test'] as const) {
      expect(kept.get(spec)![name].x).toBe(prepared[name].x);
      expect(kept.get(spec)![name].y).toBe(prepared[name].y);
    }
  });

  it('copies locally prepared rows into shared memory', () => {
    const prepared = prepareDataset(dataset, spec);
    const kept = new SharedPreparedData();
    kept.add(spec, prepared);
    const train = kept.get(spec)!.train;
    expect(train.x.buffer).toBeInstanceOf(SharedArrayBuffer);
    expect(Array.from(train.x)).toEqual(Array.from(prepared.train.x));
  });

  it('hands workers the labels and row indices as typed arrays in shared memory', () => {
    const prepared = prepareDataset(dataset, spec);
    const kept = new SharedPreparedData();
    kept.add(spec, prepared);
    const message = kept.get(spec)!;
    for (const name of ['train', 'validation', 'test'] as const) {
      expect(message[name].labelCodes.buffer).toBeInstanceOf(SharedArrayBuffer);
      expect(message[name].index.buffer).toBeInstanceOf(SharedArrayBuffer);
      expect(Array.from(message[name].labelCodes, (code) => message.classes[code])).toEqual(prepared[name].labels);
      expect(Array.from(message[name].index)).toEqual(prepared[name].index);
      expect(message[name].y.buffer).toBeInstanceOf(SharedArrayBuffer);
      expect(Array.from(message[name].y)).toEqual(Array.from(prepared[name].y));
    }
  });
});
