import { createHash } from 'node:crypto';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { MODEL_FILES } from '@aelab/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../src/backends/init.js';
import { buildModel } from '../src/builders/index.js';
import { reconstruct } from '../src/reconstruction-errors.js';
import { loadModel, saveModel, serializeModel } from '../src/persist.js';
import { PRESETS, type ModelSpec } from '../src/registry.js';
import { sineSplit } from './helpers.js';

let dir: string;
beforeAll(async () => {
  await initBackend('wasm');
  dir = await mkdtemp(path.join(os.tmpdir(), 'aelab-models-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

const cases: [string, ModelSpec, number][] = [
  ['dense with seeded dropout', PRESETS['ecg-v3'], 140],
  [
    'conv1d with upsampling and cropping',
    { ...PRESETS['conv1d-small'], filters: [4, 2], kernelSize: 3, dropout: 0.1 },
    30,
  ],
  ['tabular lstm', { ...PRESETS['lstm-tabular'], units: [8, 4] }, 12],
  [
    'sequence rnn',
    { kind: 'rnn', units: [6], layout: 'sequence', outputActivation: 'sigmoid', dropout: 0, l2: 0.01 },
    10,
  ],
];

describe('saveModel / loadModel', () => {
  it.each(cases)('round-trips %s exactly, with spec, preparation and threshold', async (name, spec, features) => {
    const model = buildModel(spec, features, 5);
    const target = path.join(dir, name.replace(/\W+/g, '-'));
    const preparation = { scaler: 'minmax', min: [0, 1], max: [2, 3] };
    const files = await saveModel(target, { model, spec, preparation, threshold: 0.25, extra: { trial: 't1' } });
    expect(files.map((f) => path.basename(f))).toEqual(['model.json', 'weights.bin', 'aelab-model.json']);
    const modelJson = JSON.parse(await readFile(files[0], 'utf8'));
    expect(modelJson.weightsManifest[0].paths).toEqual(['./weights.bin']);

    const loaded = await loadModel(target);
    expect(loaded).toMatchObject({ spec, preparation, threshold: 0.25, extra: { trial: 't1' } });
    const original = model.getWeights().map((w) => Array.from(w.dataSync()));
    expect(loaded.model.getWeights().map((w) => Array.from(w.dataSync()))).toEqual(original);
    const rows = sineSplit(5, features, 8);
    expect(await reconstruct(loaded.model, rows)).toEqual(await reconstruct(model, rows));
    model.dispose();
    loaded.model.dispose();
  });

  it('serialises to the network files plus the info, left structured for the caller to complete', async () => {
    const model = buildModel(PRESETS['tf-tutorial'], 20, 1);
    const { files, info } = await serializeModel({
      model,
      spec: PRESETS['tf-tutorial'],
      preparation: { scaler: 'none' },
      extra: { trial: 't2' },
    });
    expect(files.map((f) => f.name)).toEqual([MODEL_FILES.topology, MODEL_FILES.weights]);
    const weightsSha256 = createHash('sha256').update(files[1].data).digest('hex');
    expect(info).toEqual({
      format: 'aelab-model',
      version: 1,
      spec: PRESETS['tf-tutorial'],
      preparation: { scaler: 'none' },
      threshold: null,
      extra: { trial: 't2' },
      tfjsVersion: tf.version.tfjs,
      weightsSha256,
    });
    model.dispose();
  });

  it('names the file and what it expected when the directory is not a saved model', async () => {
    await expect(loadModel(path.join(dir, 'missing'))).rejects.toThrow(/cannot read .*missing\/aelab-model\.json/);
  });

  it('leaves no tensors behind', async () => {
    const before = tf.memory().numTensors;
    const model = buildModel(PRESETS['tf-tutorial'], 140, 1);
    await saveModel(path.join(dir, 'tut'), { model, spec: PRESETS['tf-tutorial'], preparation: null });
    model.dispose();
    (await loadModel(path.join(dir, 'tut'))).model.dispose();
    expect(tf.memory().numTensors).toBe(before);
  });
});

describe('loadModel refuses a model that would score wrongly', () => {
  const spec = PRESETS['tf-tutorial'];
  async function saved(name: string, edit?: (model: tf.LayersModel) => void): Promise<string> {
    const model = buildModel(spec, 20, 3);
    edit?.(model);
    const target = path.join(dir, name);
    await saveModel(target, { model, spec, preparation: null, threshold: 0.1 });
    model.dispose();
    return target;
  }
  const weightsOf = (target: string) => path.join(target, MODEL_FILES.weights);
  const infoOf = (target: string) => path.join(target, MODEL_FILES.info);

  it('records the sha256 of weights.bin in aelab-model.json', async () => {
    const target = await saved('checksum');
    const info = JSON.parse(await readFile(infoOf(target), 'utf8'));
    expect(info.weightsSha256).toBe(
      createHash('sha256')
        .update(await readFile(weightsOf(target)))
        .digest('hex'),
    );
  });

  it(
    'names weights.bin when it does not match the checksum (random bytes), ' +
      'or is longer than its manifest (a doubled file)',
    async () => {
      const doubled = await saved('doubled');
      const bytes = await readFile(weightsOf(doubled));
      await writeFile(weightsOf(doubled), Buffer.concat([bytes, bytes]));
      // Refused by its size, before its bytes are read: at most the manifest's size is ever read.
      await expect(loadModel(doubled)).rejects.toThrow(
        `${weightsOf(doubled)}: has ${bytes.length * 2} bytes, model.json's weights manifest describes ${bytes.length}`,
      );

      const random = await saved('random');
      const noise = Buffer.alloc((await readFile(weightsOf(random))).length);
      for (let i = 0; i < noise.length; i++) noise[i] = (i * 2654435761) >>> 24;
      await writeFile(weightsOf(random), noise);
      await expect(loadModel(random)).rejects.toThrow(
        `${weightsOf(random)}: its sha256 is not the one aelab-model.json records`,
      );
    },
  );

  it('loads a model saved before checksums, but not one whose weights.bin has the wrong size', async () => {
    const legacy = await saved('legacy');
    const info = JSON.parse(await readFile(infoOf(legacy), 'utf8'));
    delete info.weightsSha256;
    await writeFile(infoOf(legacy), JSON.stringify(info));
    const loaded = await loadModel(legacy);
    expect(loaded.threshold).toBe(0.1);
    loaded.model.dispose();

    const bytes = await readFile(weightsOf(legacy));
    await writeFile(weightsOf(legacy), Buffer.concat([bytes, bytes]));
    await expect(loadModel(legacy)).rejects.toThrow(
      `${weightsOf(legacy)}: has ${bytes.length * 2} bytes, model.json's weights manifest describes ${bytes.length}`,
    );
  });

  it('refuses NaN or infinite weights, naming the weight', async () => {
    const target = await saved('nan', (model) => {
      const [kernel, ...rest] = model.getWeights();
      const values = kernel.dataSync().slice();
      values[3] = NaN;
      values[7] = Infinity;
      model.setWeights([tf.tensor(values, kernel.shape), ...rest]);
    });
    await expect(loadModel(target)).rejects.toThrow(
      new RegExp(
        `${weightsOf(target)}: weight '[\\w/]+kernel' ` +
          `holds 2 NaN or infinite values \\(of \\d+\\): the training diverged`,
      ),
    );
  });

  it('refuses a saved threshold that is not a finite number', async () => {
    const target = await saved('threshold');
    const info = JSON.parse(await readFile(infoOf(target), 'utf8'));
    await writeFile(infoOf(target), JSON.stringify({ ...info, threshold: 'abc' }));
    await expect(loadModel(target)).rejects.toThrow(
      `${infoOf(target)}: threshold must be a finite number or null, got "abc"`,
    );
  });
});
