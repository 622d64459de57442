import * as tf from '@tensorflow/tfjs';
import type { Conv1dSpec } from '../spec.js';
import { LayerSeeds, glorot, l2 } from './common.js';
import { Cropping1D, SeededDropout, UpSampling1D } from './layers.js';

/**
 * Build the Conv1D autoencoder of `spec` for univariate sequences of `inputSize` steps
 * (input shape [inputSize, 1]). Pooling uses `same` padding, so any length works: the
 * decoder may come back longer than the input and is cropped at the end.
 */
export function buildConv1dAutoencoder(spec: Conv1dSpec, inputSize: number, seed: number): tf.LayersModel {
  const seeds = new LayerSeeds(seed);
  const pool = spec.poolSize ?? 2;
  const input = tf.input({ shape: [inputSize, 1], name: 'input' });
  let x = input as tf.SymbolicTensor;
  let steps = inputSize;
  const conv = (filters: number, activation: string, name: string, penalty: number) =>
    tf.layers.conv1d({
      filters,
      kernelSize: spec.kernelSize,
      padding: 'same',
      activation: activation as 'relu',
      kernelInitializer: glorot(seeds),
      kernelRegularizer: l2(penalty),
      name,
    });
  spec.filters.forEach((filters, i) => {
    x = conv(filters, spec.activation, `encoder_conv_${i}`, spec.l2).apply(x) as tf.SymbolicTensor;
    x = tf.layers.maxPooling1d({ poolSize: pool, padding: 'same', name: `encoder_pool_${i}` }).apply(x) as tf.SymbolicTensor;
    steps = Math.ceil(steps / pool);
    if (spec.dropout > 0) x = new SeededDropout({ rate: spec.dropout, seed: seeds.take(), name: `encoder_dropout_${i}` }).apply(x) as tf.SymbolicTensor;
  });
  [...spec.filters].reverse().forEach((filters, i) => {
    x = new UpSampling1D({ size: pool, name: `decoder_upsample_${i}` }).apply(x) as tf.SymbolicTensor;
    steps *= pool;
    x = conv(filters, spec.activation, `decoder_conv_${i}`, spec.l2).apply(x) as tf.SymbolicTensor;
  });
  x = conv(1, spec.outputActivation, 'reconstruction', 0).apply(x) as tf.SymbolicTensor;
  if (steps > inputSize) x = new Cropping1D({ keep: inputSize, name: 'crop' }).apply(x) as tf.SymbolicTensor;
  return tf.model({ inputs: input, outputs: x, name: 'conv1d_autoencoder' });
}
