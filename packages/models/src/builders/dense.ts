import * as tf from '@tensorflow/tfjs';
import { type DenseSpec, denseDecoder, perLayer } from '../spec.js';
import { LayerSeeds, glorot, l2 } from './common.js';
import { SeededDropout } from './layers.js';

/** Build the dense autoencoder of `spec` for rows of `inputSize` values (input shape [inputSize]). */
export function buildDenseAutoencoder(spec: DenseSpec, inputSize: number, seed: number): tf.LayersModel {
  const seeds = new LayerSeeds(seed);
  const input = tf.input({ shape: [inputSize], name: 'input' });
  const widths = [...spec.encoder, ...denseDecoder(spec)];
  let x = input as tf.SymbolicTensor;
  widths.forEach((units, i) => {
    const role = i < spec.encoder.length ? (i === spec.encoder.length - 1 ? 'bottleneck' : `encoder_${i}`) : `decoder_${i - spec.encoder.length}`;
    x = tf.layers
      .dense({
        units,
        activation: spec.activation,
        kernelInitializer: glorot(seeds),
        kernelRegularizer: l2(perLayer(spec.l2, i)),
        name: role,
      })
      .apply(x) as tf.SymbolicTensor;
    const rate = perLayer(spec.dropout, i);
    if (rate > 0) x = new SeededDropout({ rate, seed: seeds.take(), name: `${role}_dropout` }).apply(x) as tf.SymbolicTensor;
  });
  const output = tf.layers
    .dense({ units: inputSize, activation: spec.outputActivation, kernelInitializer: glorot(seeds), name: 'reconstruction' })
    .apply(x) as tf.SymbolicTensor;
  return tf.model({ inputs: input, outputs: output, name: 'dense_autoencoder' });
}
