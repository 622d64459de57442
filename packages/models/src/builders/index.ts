import type * as tf from '@tensorflow/tfjs';
import { type ModelSpec, validateModelSpec } from '../spec.js';
import { buildConv1dAutoencoder } from './conv1d.js';
import { buildDenseAutoencoder } from './dense.js';
import { buildRecurrentAutoencoder } from './recurrent.js';

export { buildConv1dAutoencoder } from './conv1d.js';
export { buildDenseAutoencoder } from './dense.js';
export { buildRecurrentAutoencoder, recurrentInputShape } from './recurrent.js';
export { Cropping1D, SeededDropout, UpSampling1D } from './layers.js';

/**
 * Validate `spec` and build its (uncompiled) autoencoder for rows of `inputSize` values,
 * with initial weights drawn from `seed`. Rows enter the model reshaped to its input
 * shape (see {@link modelInputShape}); the output has the same shape.
 */
export function buildModel(spec: ModelSpec, inputSize: number, seed: number): tf.LayersModel {
  const valid = validateModelSpec(spec, inputSize);
  switch (valid.kind) {
    case 'dense':
      return buildDenseAutoencoder(valid, inputSize, seed);
    case 'conv1d':
      return buildConv1dAutoencoder(valid, inputSize, seed);
    case 'lstm':
    case 'rnn':
      return buildRecurrentAutoencoder(valid, inputSize, seed);
  }
}

/** A model's input shape without the batch dimension, e.g. [140] or [140, 1]. */
export function modelInputShape(model: tf.LayersModel): number[] {
  return (model.inputs[0].shape as (number | null)[]).slice(1).map((d) => {
    if (d == null) throw new Error(`model ${model.name} has an unknown input dimension`);
    return d;
  });
}
