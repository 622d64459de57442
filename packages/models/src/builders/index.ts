import type { tf } from '../tf.js';
import { autoencoderFamilyOf, validateModelSpec, type ModelSpec } from '../families/index.js';
import { buildKit } from './kit.js';

export { Cropping1D, SeededDropout, UpSampling1D } from './layers.js';
export { buildKit } from './kit.js';

/**
 * Validates `spec` and builds its (uncompiled) autoencoder for rows of `inputSize` values,
 * with initial weights drawn from `seed`, through the spec's model family. Rows enter the
 * model reshaped to its input shape (see {@link modelInputShape}); the output has the
 * same shape.
 * @throws InvalidModelSpecError listing every problem with the spec.
 */
export function buildModel(spec: ModelSpec, inputSize: number, seed: number): tf.LayersModel {
  const valid = validateModelSpec(spec, inputSize);
  return autoencoderFamilyOf(valid.kind).build(buildKit, valid, inputSize, seed);
}

/** A model's input shape without the batch dimension, e.g. [140] or [140, 1]. */
export function modelInputShape(model: tf.LayersModel): number[] {
  return (model.inputs[0].shape as (number | null)[]).slice(1).map((d) => {
    if (d == null) throw new Error(`model ${model.name} has an unknown input dimension`);
    return d;
  });
}
