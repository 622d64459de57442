import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { createAdam } from '../src/adam.js';
import { initBackend } from '../src/backends/init.js';
import { buildModel } from '../src/builders/index.js';
import { PRESETS } from '../src/registry.js';
import { sineSplit } from './helpers.js';

beforeAll(async () => {
  await initBackend('wasm');
});

describe('fused Adam on wasm', () => {
  it('follows tf.train.adam step for step (float32 rounding only) and leaks nothing', async () => {
    const rows = sineSplit(16, 140, 3);
    const x = tf.tensor2d(rows.x, [16, 140]);
    const run = (fused: boolean) => {
      const model = buildModel(PRESETS['ecg-v1'], 140, 9);
      const variables = model.trainableWeights.map((w) => w.read() as tf.Variable);
      const optimizer = createAdam(variables, 0.01, { fused });
      const losses: number[] = [];
      for (let step = 0; step < 6; step++) {
        const loss = optimizer.minimize(() => tf.mean(tf.squaredDifference(model.apply(x) as tf.Tensor, x)) as tf.Scalar);
        losses.push(loss.dataSync()[0]);
        loss.dispose();
      }
      const weights = variables.map((v) => Float32Array.from(v.dataSync()));
      optimizer.dispose();
      model.dispose();
      return { losses, weights };
    };
    const before = tf.memory().numTensors;
    const fused = run(true);
    expect(tf.memory().numTensors).toBe(before);
    const reference = run(false);
    fused.losses.forEach((l, i) => expect(l).toBeCloseTo(reference.losses[i], 4));
    let worst = 0;
    fused.weights.forEach((w, i) => w.forEach((value, j) => (worst = Math.max(worst, Math.abs(value - reference.weights[i][j])))));
    expect(worst).toBeLessThan(1e-4);
    x.dispose();
  });
});
