/** The 1-D convolutional autoencoder over a univariate sequence (each row is one sequence). */
import type { tf } from '../tf.js';
import { z } from 'zod';
import { LayerSeeds } from '../random.js';
import type { BuildKit, ModelFamily } from './family.js';
import { activation, init, outputActivation, penalty, positiveInt, rate, widths } from './fields.js';

export const conv1dSpecSchema = z
  .strictObject({
    kind: z.literal('conv1d').describe('A 1-D convolutional autoencoder over each row as a sequence.'),
    filters: widths.describe('Filters of each encoder block, e.g. [32, 16]; the decoder mirrors them.'),
    kernelSize: positiveInt.describe('Convolution kernel width (odd sizes keep the `same` padding centred).'),
    poolSize: positiveInt.optional().describe('Max-pool size and upsampling factor of each block (default 2).'),
    activation: activation.describe('Activation of every hidden convolution.'),
    outputActivation: outputActivation.describe(
      'Activation of the output convolution: linear for standardised inputs, sigmoid for inputs in [0, 1].',
    ),
    dropout: rate.describe('Dropout rate in [0, 1) after each encoder block.'),
    l2: penalty.describe('L2 penalty on every hidden convolution kernel.'),
    init,
  })
  .describe(
    'Conv1D + MaxPool blocks down, UpSampling + Conv1D blocks up, ' +
      'a 1-filter Conv1D output cropped back to the input length.',
  );

/** A Conv1D autoencoder spec. */
export type Conv1dSpec = z.output<typeof conv1dSpecSchema>;

/**
 * Builds the Conv1D autoencoder of `spec` for univariate sequences of `inputSize` steps
 * (input shape [inputSize, 1]). Pooling uses `same` padding, so any length works: the
 * decoder may come back longer than the input and is cropped at the end.
 */
function build(kit: BuildKit, spec: Conv1dSpec, inputSize: number, seed: number): tf.LayersModel {
  const { tf } = kit;
  const seeds = new LayerSeeds(seed);
  const pool = spec.poolSize ?? 2;
  const input = tf.input({ shape: [inputSize, 1], name: 'input' });
  let x = input as tf.SymbolicTensor;
  let steps = inputSize;
  let channels = 1;
  const conv = (filters: number, activation: string, name: string, penalty: number) => {
    const layer = tf.layers.conv1d({
      filters,
      kernelSize: spec.kernelSize,
      padding: 'same',
      activation: activation as 'relu',
      ...kit.weightInit(seeds, spec.init, spec.kernelSize * channels),
      kernelRegularizer: kit.l2(penalty),
      name,
    });
    channels = filters;
    return layer;
  };
  spec.filters.forEach((filters, i) => {
    x = conv(filters, spec.activation, `encoder_conv_${i}`, spec.l2).apply(x) as tf.SymbolicTensor;
    x = tf.layers
      .maxPooling1d({ poolSize: pool, padding: 'same', name: `encoder_pool_${i}` })
      .apply(x) as tf.SymbolicTensor;
    steps = Math.ceil(steps / pool);
    if (spec.dropout > 0)
      x = new kit.SeededDropout({ rate: spec.dropout, seed: seeds.take(), name: `encoder_dropout_${i}` }).apply(
        x,
      ) as tf.SymbolicTensor;
  });
  [...spec.filters].reverse().forEach((filters, i) => {
    x = new kit.UpSampling1D({ size: pool, name: `decoder_upsample_${i}` }).apply(x) as tf.SymbolicTensor;
    steps *= pool;
    x = conv(filters, spec.activation, `decoder_conv_${i}`, spec.l2).apply(x) as tf.SymbolicTensor;
  });
  x = conv(1, spec.outputActivation, 'reconstruction', 0).apply(x) as tf.SymbolicTensor;
  if (steps > inputSize) x = new kit.Cropping1D({ keep: inputSize, name: 'crop' }).apply(x) as tf.SymbolicTensor;
  return tf.model({ inputs: input, outputs: x, name: 'conv1d_autoencoder' });
}

export const conv1dFamily = {
  kind: 'conv1d',
  schema: conv1dSpecSchema,
  inputIssues(spec, inputSize) {
    const issues: string[] = [];
    if (spec.kernelSize > inputSize)
      issues.push(`kernelSize ${spec.kernelSize} is larger than the sequence ${inputSize}`);
    const pool = spec.poolSize ?? 2;
    if (pool ** spec.filters.length > inputSize) {
      issues.push(
        `poolSize ${pool} over ${spec.filters.length} blocks shrinks the sequence ${inputSize} below one step`,
      );
    }
    return issues;
  },
  size(spec, inputSize) {
    const pool = spec.poolSize ?? 2;
    let parameters = 0;
    let activationsPerRow = 0;
    let steps = inputSize;
    let channels = 1;
    const conv = (filters: number) => {
      parameters += spec.kernelSize * channels * filters + filters;
      activationsPerRow += steps * filters;
      channels = filters;
    };
    for (const filters of spec.filters) {
      conv(filters);
      steps = Math.ceil(steps / pool);
      activationsPerRow += steps * filters;
    }
    for (const filters of [...spec.filters].reverse()) {
      steps *= pool;
      activationsPerRow += steps * channels;
      conv(filters);
    }
    conv(1);
    return { parameters, activationsPerRow };
  },
  build,
} satisfies ModelFamily<Conv1dSpec>;
