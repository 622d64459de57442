import * as tf from '@tensorflow/tfjs';
import type { LstmSpec, RnnSpec } from '../spec.js';
import { createRng, orthogonalMatrix } from '../random.js';
import { LayerSeeds, glorot, l2 } from './common.js';
import { SeededDropout } from './layers.js';
import '../tfjs-fixes.js';

/** Input shape [steps, features] of a recurrent model for rows of `inputSize` values. */
export function recurrentInputShape(spec: LstmSpec | RnnSpec, inputSize: number): [number, number] {
  return spec.layout === 'sequence' ? [inputSize, 1] : [1, inputSize];
}

/**
 * Build the sequence-to-sequence autoencoder of `spec`: encoder recurrent layers (the last
 * returns only its final state, the bottleneck) -> repeat over the steps -> decoder
 * recurrent layers (units mirrored) -> time-distributed dense back to the features.
 *
 * Dropout is a {@link SeededDropout} on each recurrent layer's input sequence (tfjs' cell
 * dropout draws from Math.random and would make runs irreproducible). Recurrent kernels are
 * orthogonal like Keras', computed in JS (tfjs' orthogonal initializer is slow and warns).
 */
export function buildRecurrentAutoencoder(spec: LstmSpec | RnnSpec, inputSize: number, seed: number): tf.LayersModel {
  const seeds = new LayerSeeds(seed);
  const [steps, features] = recurrentInputShape(spec, inputSize);
  const input = tf.input({ shape: [steps, features], name: 'input' });
  const recurrentLayers: tf.layers.Layer[] = [];
  const layer = (units: number, returnSequences: boolean, name: string, x: tf.SymbolicTensor) => {
    if (spec.dropout > 0) x = new SeededDropout({ rate: spec.dropout, seed: seeds.take(), name: `${name}_dropout` }).apply(x) as tf.SymbolicTensor;
    const args = {
      units,
      returnSequences,
      kernelInitializer: glorot(seeds),
      // Overwritten with orthogonal weights below; glorot keeps construction fast and silent.
      recurrentInitializer: glorot(seeds),
      kernelRegularizer: l2(spec.l2),
      name,
    };
    // Keras' LSTM gates use a sigmoid; tfjs defaults to hardSigmoid, whose clip adds
    // ~6 kernels per gate per step (and differs from the seed work's Keras models).
    const l = spec.kind === 'lstm' ? tf.layers.lstm({ ...args, recurrentActivation: 'sigmoid' }) : tf.layers.simpleRNN(args);
    recurrentLayers.push(l);
    return l.apply(x) as tf.SymbolicTensor;
  };
  let x = input as tf.SymbolicTensor;
  spec.units.forEach((units, i) => {
    const last = i === spec.units.length - 1;
    x = layer(units, !last, last ? 'bottleneck' : `encoder_${i}`, x);
  });
  x = tf.layers.repeatVector({ n: steps, name: 'repeat' }).apply(x) as tf.SymbolicTensor;
  [...spec.units].reverse().forEach((units, i) => {
    x = layer(units, true, `decoder_${i}`, x);
  });
  const output = tf.layers
    .timeDistributed({
      layer: tf.layers.dense({ units: features, activation: spec.outputActivation, kernelInitializer: glorot(seeds) }),
      name: 'reconstruction',
    })
    .apply(x) as tf.SymbolicTensor;
  const model = tf.model({ inputs: input, outputs: output, name: `${spec.kind}_autoencoder` });
  const rng = createRng(seeds.take());
  for (const l of recurrentLayers) {
    // Weights are [kernel, recurrentKernel, bias] for both LSTM and SimpleRNN.
    const weights = l.getWeights();
    const [rows, cols] = weights[1].shape;
    const orthogonal = tf.tensor2d(orthogonalMatrix(rows, cols, rng), [rows, cols]);
    l.setWeights([weights[0], orthogonal, ...weights.slice(2)]);
    orthogonal.dispose();
  }
  return model;
}
