import * as tf from '@tensorflow/tfjs';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../src/backends/init.js';
import { buildModel } from '../src/builders/index.js';
import { denseFamily } from '../src/families/dense.js';
import type { ModelLossTerm } from '../src/losses.js';
import { PRESETS, populationKey, type ModelSpec } from '../src/registry.js';
import { createTrainingStep, STEPS } from '../src/steps/index.js';
import { LayersStep } from '../src/steps/layers.js';
import { trainAutoencoder, type TrainerConfig } from '../src/train.js';
import { sineSplit } from './helpers.js';

const train = sineSplit(48, 140, 1);
const config: TrainerConfig = { epochs: 2, batchSize: 16, learningRate: 3e-3, loss: 'mse', seed: 21 };

beforeAll(async () => {
  await initBackend('wasm');
});

/** weight x the sum of squares of the model's first kernel: differentiable in its variables. */
function kernelTerm(model: tf.LayersModel, weight: number): ModelLossTerm {
  const kernel = model.trainableWeights[0].read();
  return { name: 'probe', value: () => tf.mul(tf.sum(tf.square(kernel)), weight) as tf.Scalar };
}

function stepName(spec: ModelSpec, terms: (model: tf.LayersModel) => ModelLossTerm[] = () => []): string {
  const model = buildModel(spec, 140, 1);
  const step = createTrainingStep({ model, spec, loss: 'mse', learningRate: 1e-3, terms: terms(model) });
  const name = step.name;
  step.dispose();
  model.dispose();
  return name;
}

describe('the STEPS registry', () => {
  it('lists each step once, the layers step (which trains any model) last', () => {
    const names = STEPS.map((s) => s.name);
    expect(new Set(names).size).toBe(names.length);
    expect(names).toEqual(['lean-dense', 'lean-conv1d', 'lean-recurrent', 'layers']);
  });

  it(
    'registers every step’s wasm kernels when wasm activates, ' + 'so each lean step applies there and not on cpu',
    () => {
      const specs: Record<string, ModelSpec> = {
        'lean-dense': PRESETS['ecg-v3'],
        'lean-conv1d': PRESETS['conv1d-small'],
        'lean-recurrent': PRESETS['lstm-seq2seq'],
        layers: PRESETS['ecg-v3'],
      };
      for (const step of STEPS) {
        expect(step.appliesTo(specs[step.name], 'wasm'), step.name).toBe(true);
        expect(step.appliesTo(specs[step.name], 'cpu'), step.name).toBe(step.name === 'layers');
      }
    },
  );

  it('skips the steps that cannot train a family’s own loss terms', () => {
    expect(stepName(PRESETS['ecg-v3'], (model) => [kernelTerm(model, 1)])).toBe('layers');
    expect(stepName(PRESETS['conv1d-small'], (model) => [kernelTerm(model, 1)])).toBe('layers');
    expect(stepName(PRESETS['lstm-seq2seq'], (model) => [kernelTerm(model, 1)])).toBe('lean-recurrent');
  });
});

describe('loss terms', () => {
  afterEach(() => {
    delete (denseFamily as { lossTerms?: unknown }).lossTerms;
  });

  it(
    'keeps a family with loss terms of its own out of ' + 'populations (their graph knows reconstruction and L2 only)',
    () => {
      const training = { batchSize: 32, loss: 'mse' as const };
      expect(populationKey(PRESETS['ecg-v3'], training)).not.toBeNull();
      Object.assign(denseFamily, { lossTerms: () => [] });
      expect(populationKey(PRESETS['ecg-v3'], training)).toBeNull();
    },
  );

  it('adds a model term to the total after the penalties and leaves the reconstruction loss as it is', () => {
    const spec = PRESETS['ecg-v3'];
    const model = buildModel(spec, 140, 1);
    const x = tf.tensor2d(train.x.subarray(0, 16 * 140), [16, 140]);
    const plain = new LayersStep(model, 'mse', 1e-3);
    const term = kernelTerm(model, 0.25);
    const withTerm = new LayersStep(model, 'mse', 1e-3, undefined, 'layers', [term]);
    const [a, b] = [plain.evaluate(x), withTerm.evaluate(x)];
    const value = tf.tidy(() => term.value(x, false).dataSync()[0]);
    expect(b.reconstruction.dataSync()[0]).toBe(a.reconstruction.dataSync()[0]);
    expect(b.total.dataSync()[0]).toBeCloseTo(a.total.dataSync()[0] + value, 4);
    expect(value).toBeGreaterThan(0);
    tf.dispose([a.total, a.reconstruction, b.total, b.reconstruction, x]);
    [plain, withTerm].forEach((s) => s.dispose());
    model.dispose();
  });

  it(
    'trains through a family’s lossTerms hook: a term at ' + '0 gives the bits of none, a term changes the training',
    async () => {
      const spec = { ...PRESETS['ecg-v3'], dropout: 0 };
      const run = async (weight: number | null) => {
        if (weight === null) delete (denseFamily as { lossTerms?: unknown }).lossTerms;
        else
          Object.assign(denseFamily, {
            lossTerms: (_kit: unknown, _spec: unknown, m: tf.LayersModel) => [kernelTerm(m, weight)],
          });
        const trained = await trainAutoencoder({ spec, train, config, step: 'lean' });
        const result = { step: trained.trainingStep, losses: trained.history.map((h) => h.loss) };
        trained.dispose();
        return result;
      };
      const reference = await runLayers(spec);
      const none = await run(null);
      const zero = await run(0);
      const some = await run(0.5);
      expect(none.step).toBe('lean-dense');
      expect(zero.step).toBe('layers');
      expect(some.step).toBe('layers');
      expect(zero.losses).toEqual(reference.losses);
      expect(some.losses[0]).toBeGreaterThan(zero.losses[0]);
    },
  );
});

async function runLayers(spec: ModelSpec) {
  const trained = await trainAutoencoder({ spec, train, config, step: 'layers' });
  const losses = trained.history.map((h) => h.loss);
  trained.dispose();
  return { losses };
}
