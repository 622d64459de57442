import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../src/backends/init.js';
import { buildModel } from '../src/builders/index.js';
import type { ModelSpec } from '../src/families/index.js';
import { PRESETS } from '../src/registry.js';
import { recurrentForward, recurrentForwardIssues } from '../src/recurrent-forward.js';
import { fusedRecurrentAvailable, recurrentSequence } from '../src/recurrent-op.js';
import { sineSplit } from './helpers.js';

beforeAll(async () => {
  await initBackend('wasm');
});

const FEATURES = 24;

function specOf(kind: 'lstm' | 'rnn', layout: 'sequence' | 'tabular', dropout: number): ModelSpec {
  return { kind, units: [8, 4], layout, outputActivation: 'linear', dropout, l2: 0, init: 'glorot' };
}

function rowsOf(spec: ModelSpec, rows: number, seed: number): tf.Tensor {
  const shape =
    spec.kind === 'lstm' || spec.kind === 'rnn'
      ? spec.layout === 'sequence'
        ? [FEATURES, 1]
        : [1, FEATURES]
      : [FEATURES];
  return tf.tensor(sineSplit(rows, FEATURES, seed).x, [rows, ...shape]);
}

/** max |a - b| over max |b| (0 when both are all zeros). */
function relativeError(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let diff = 0;
  let scale = 0;
  for (let i = 0; i < b.length; i++) {
    diff = Math.max(diff, Math.abs(a[i] - b[i]));
    scale = Math.max(scale, Math.abs(b[i]));
  }
  return scale === 0 ? diff : diff / scale;
}

const mse = (output: tf.Tensor, x: tf.Tensor) => tf.mean(tf.squaredDifference(output, x)) as tf.Scalar;

const cases = (['lstm', 'rnn'] as const).flatMap((kind) =>
  (['sequence', 'tabular'] as const).map((layout) => ({ kind, layout })),
);

describe('fused recurrent op on wasm', () => {
  it('is what the wasm backend runs', () => {
    expect(fusedRecurrentAvailable()).toBe(true);
  });

  it.each(cases)(
    '$kind $layout: recurrentForward equals model.apply, with dropout, training or not',
    ({ kind, layout }) => {
      const spec = specOf(kind, layout, 0.2);
      const model = buildModel(spec, FEATURES, 11);
      expect(recurrentForwardIssues(model)).toEqual([]);
      const x = rowsOf(spec, 8, 1);
      for (const call of [1, 2]) {
        const layers = model.apply(x, { training: true }) as tf.Tensor;
        const fused = recurrentForward(model, spec, x, true, call);
        expect(fused.shape).toEqual(layers.shape);
        expect(relativeError(fused.dataSync(), layers.dataSync())).toBeLessThan(1e-5);
        tf.dispose([layers, fused]);
      }
      const before = tf.memory().numTensors;
      const inference = recurrentForward(model, spec, x, false, 3); // no tape: the forward kernel keeps no states
      expect(tf.memory().numTensors - before).toBe(1);
      const reference = model.apply(x) as tf.Tensor;
      expect(relativeError(inference.dataSync(), reference.dataSync())).toBeLessThan(1e-5);
      tf.dispose([inference, reference]);
      x.dispose();
      model.dispose();
    },
  );

  it.each(cases)(
    '$kind $layout: the gradient of an MSE w.r.t. every variable equals the layers path',
    ({ kind, layout }) => {
      const spec = specOf(kind, layout, 0.2);
      const model = buildModel(spec, FEATURES, 12);
      const x = rowsOf(spec, 8, 2);
      const variables = model.trainableWeights.map((w) => w.read() as tf.Variable);
      const layers = tf.variableGrads(() => mse(model.apply(x, { training: true }) as tf.Tensor, x), variables);
      const before = tf.memory().numTensors;
      const fused = tf.variableGrads(() => mse(recurrentForward(model, spec, x, true, 1), x), variables);
      expect(tf.memory().numTensors - before).toBe(1 + variables.length); // the value and the gradients, nothing else
      expect(relativeError(fused.value.dataSync(), layers.value.dataSync())).toBeLessThan(1e-6);
      for (const v of variables)
        expect(relativeError(fused.grads[v.name].dataSync(), layers.grads[v.name].dataSync()), v.name).toBeLessThan(
          2e-5,
        );
      tf.dispose([layers.value, fused.value, ...Object.values(layers.grads), ...Object.values(fused.grads), x]);
      model.dispose();
    },
  );

  it.each(['lstm', 'simpleRNN'] as const)(
    '%s: the fused kernels and the tf-ops fallback agree on values and gradients',
    (kind) => {
      const [batch, steps, features, units] = [4, 9, 3, 5];
      const gates = kind === 'lstm' ? 4 * units : units;
      const inputs = [
        tf.randomNormal([batch, steps, features], 0, 1, 'float32', 1),
        tf.randomNormal([features, gates], 0, 0.5, 'float32', 2),
        tf.randomNormal([units, gates], 0, 0.5, 'float32', 3),
        tf.randomNormal([gates], 0, 0.5, 'float32', 4),
      ];
      for (const returnSequences of [true, false]) {
        const run = (fused: boolean) =>
          tf.valueAndGrads((x: tf.Tensor, w: tf.Tensor, u: tf.Tensor, b: tf.Tensor) =>
            tf.sum(
              tf.mul(
                recurrentSequence(kind, x as tf.Tensor3D, w as tf.Tensor2D, u as tf.Tensor2D, b as tf.Tensor1D, {
                  returnSequences,
                  fused,
                }),
                1.5,
              ),
            ),
          )(inputs);
        const [fused, ops] = [run(true), run(false)];
        expect(relativeError(fused.value.dataSync(), ops.value.dataSync())).toBeLessThan(1e-5);
        fused.grads.forEach((g, i) =>
          expect(relativeError(g.dataSync(), ops.grads[i].dataSync()), `input ${i}`).toBeLessThan(1e-5),
        );
        tf.dispose([fused.value, ops.value, ...fused.grads, ...ops.grads]);
      }
      tf.dispose(inputs);
    },
  );

  it('3 epochs of Adam through the fused op follow the layers path (lstm and rnn, dropout)', () => {
    for (const kind of ['lstm', 'rnn'] as const) {
      const spec = specOf(kind, 'sequence', 0.1);
      const x = rowsOf(spec, 32, 3);
      const batches = tf.split(x, 4);
      const train = (fused: boolean) => {
        const model = buildModel(spec, FEATURES, 13);
        const variables = model.trainableWeights.map((w) => w.read() as tf.Variable);
        const optimizer = tf.train.adam(0.01);
        const losses: number[] = [];
        let call = 0;
        for (let epoch = 0; epoch < 3; epoch++) {
          let sum = 0;
          for (const batch of batches) {
            call += 1;
            const forward = () =>
              fused
                ? recurrentForward(model, spec, batch, true, call)
                : (model.apply(batch, { training: true }) as tf.Tensor);
            const loss = optimizer.minimize(() => mse(forward(), batch), true, variables)!;
            sum += loss.dataSync()[0] / batches.length;
            loss.dispose();
          }
          losses.push(sum);
        }
        optimizer.dispose();
        model.dispose();
        return losses;
      };
      const [layers, fused] = [train(false), train(true)];
      expect(layers[2]).toBeLessThan(layers[0]); // it learns
      fused.forEach((loss, i) =>
        expect(Math.abs(loss - layers[i]) / layers[i], `${kind} epoch ${i + 1}`).toBeLessThan(1e-4),
      );
      tf.dispose([x, ...batches]);
    }
  });

  it('names what it cannot run', () => {
    const model = buildModel(PRESETS['ecg-v1'], FEATURES, 1);
    expect(recurrentForwardIssues(model).join('; ')).toMatch(/layer Dense is not supported/);
    expect(() => recurrentForward(model, { kind: 'lstm' }, tf.zeros([1, FEATURES]), false, 1)).toThrow(/cannot run/);
    model.dispose();
  });
});

describe('recurrent op on cpu (no fused kernels)', () => {
  it('falls back to tf ops with the same forward and gradients as the layers path', async () => {
    await initBackend('cpu');
    try {
      expect(fusedRecurrentAvailable()).toBe(false);
      const spec = specOf('lstm', 'sequence', 0.2);
      const model = buildModel(spec, FEATURES, 14);
      const x = rowsOf(spec, 4, 4);
      const variables = model.trainableWeights.map((w) => w.read() as tf.Variable);
      const layers = tf.variableGrads(() => mse(model.apply(x, { training: true }) as tf.Tensor, x), variables);
      const fused = tf.variableGrads(() => mse(recurrentForward(model, spec, x, true, 1), x), variables);
      expect(relativeError(fused.value.dataSync(), layers.value.dataSync())).toBeLessThan(1e-6);
      // The output bias's gradient sums all steps at once here, step by step in TimeDistributed.
      for (const v of variables)
        expect(relativeError(fused.grads[v.name].dataSync(), layers.grads[v.name].dataSync()), v.name).toBeLessThan(
          2e-5,
        );
      tf.dispose([layers.value, fused.value, ...Object.values(layers.grads), ...Object.values(fused.grads), x]);
      model.dispose();
    } finally {
      await initBackend('wasm');
    }
  });
});
