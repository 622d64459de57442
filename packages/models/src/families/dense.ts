/** The fully connected autoencoder (seed-000's network and the TensorFlow tutorial's). */
import type { tf } from '../tf.js';
import { z } from 'zod';
import { LayerSeeds } from '../random.js';
import type { BuildKit, ModelFamily } from './family.js';
import {
  activation,
  init,
  MAX_PENALTY,
  mustBe,
  outputActivation,
  penalty,
  perLayer,
  positiveInt,
  rate,
  widths,
} from './fields.js';

export const denseSpecSchema = z
  .strictObject({
    kind: z.literal('dense').describe('A fully connected autoencoder.'),
    encoder: widths.describe('Encoder layer widths, ending in the bottleneck, e.g. [128, 64, 32, 16].'),
    decoder: z
      .array(positiveInt, mustBe('an array of positive integers'))
      .optional()
      .describe(
        'Decoder hidden widths (the output layer is added automatically). ' +
          'Absent: the encoder mirrored without its bottleneck, e.g. [32, 64, 128].',
      ),
    activation: activation.describe('Activation of every hidden layer (encoder and decoder).'),
    outputActivation: outputActivation.describe(
      'Activation of the output layer: linear for standardised inputs, sigmoid for inputs in [0, 1].',
    ),
    dropout: z
      .union([rate, z.array(rate)], mustBe('in [0, 1), or an array of such rates'))
      .describe(
        'Dropout rate in [0, 1) after each hidden layer: one number for all, ' +
          'or one per hidden layer, encoder then decoder (missing entries mean 0).',
      ),
    l2: z
      .union([penalty, z.array(penalty)], mustBe(`in [0, ${MAX_PENALTY}], or an array of such penalties`))
      .describe(
        "L2 penalty on each hidden layer's kernel: one number for all, or one per hidden layer as for dropout.",
      ),
    init,
  })
  .superRefine((spec, ctx) => {
    // Runs even when a per-layer entry failed its range check, so read defensively.
    const decoder = Array.isArray(spec.decoder)
      ? spec.decoder
      : Array.isArray(spec.encoder)
        ? spec.encoder.slice(0, -1)
        : [];
    const hidden = Array.isArray(spec.encoder) ? spec.encoder.length + decoder.length : Infinity;
    for (const field of ['dropout', 'l2'] as const) {
      const value: unknown = spec[field];
      if (Array.isArray(value) && value.length > hidden) {
        ctx.addIssue({
          code: 'custom',
          path: [field],
          message: `has ${value.length} entries but the model has ${hidden} hidden layers`,
        });
      }
    }
  })
  .describe(
    'input -> encoder widths (the last is the bottleneck) -> decoder widths -> an output layer as wide as the input.',
  );

/** A fully connected autoencoder spec. */
export type DenseSpec = z.output<typeof denseSpecSchema>;

/** Decoder hidden widths of a dense spec (explicit, or the encoder mirrored). */
export function denseDecoder(spec: DenseSpec): number[] {
  return spec.decoder ?? spec.encoder.slice(0, -1).reverse();
}

/** Builds the dense autoencoder of `spec` for rows of `inputSize` values (input shape [inputSize]). */
function build(kit: BuildKit, spec: DenseSpec, inputSize: number, seed: number): tf.LayersModel {
  const { tf } = kit;
  const seeds = new LayerSeeds(seed);
  const input = tf.input({ shape: [inputSize], name: 'input' });
  const widthsOfLayers = [...spec.encoder, ...denseDecoder(spec)];
  let x = input as tf.SymbolicTensor;
  let fanIn = inputSize;
  widthsOfLayers.forEach((units, i) => {
    const role =
      i < spec.encoder.length
        ? i === spec.encoder.length - 1
          ? 'bottleneck'
          : `encoder_${i}`
        : `decoder_${i - spec.encoder.length}`;
    x = tf.layers
      .dense({
        units,
        activation: spec.activation,
        ...kit.weightInit(seeds, spec.init, fanIn),
        kernelRegularizer: kit.l2(perLayer(spec.l2, i)),
        name: role,
      })
      .apply(x) as tf.SymbolicTensor;
    fanIn = units;
    const dropout = perLayer(spec.dropout, i);
    if (dropout > 0)
      x = new kit.SeededDropout({ rate: dropout, seed: seeds.take(), name: `${role}_dropout` }).apply(
        x,
      ) as tf.SymbolicTensor;
  });
  const output = tf.layers
    .dense({
      units: inputSize,
      activation: spec.outputActivation,
      ...kit.weightInit(seeds, spec.init, fanIn),
      name: 'reconstruction',
    })
    .apply(x) as tf.SymbolicTensor;
  return tf.model({ inputs: input, outputs: output, name: 'dense_autoencoder' });
}

export const denseFamily = {
  kind: 'dense',
  schema: denseSpecSchema,
  inputIssues(spec, inputSize) {
    const last = spec.encoder.length - 1;
    const bottleneck = spec.encoder[last];
    return bottleneck > inputSize
      ? [`encoder[${last}]: bottleneck ${bottleneck} is larger than input ${inputSize}`]
      : [];
  },
  size(spec, inputSize) {
    const widths = [inputSize, ...spec.encoder, ...denseDecoder(spec), inputSize];
    let parameters = 0;
    for (let i = 1; i < widths.length; i++) parameters += widths[i - 1] * widths[i] + widths[i];
    return { parameters, activationsPerRow: widths.slice(1).reduce((a, b) => a + b, 0) };
  },
  build,
  populationArchitecture(spec) {
    // Dropout and L2 are per member; the decoder is resolved so that an explicit mirror and an absent one group
    // together.
    return {
      kind: spec.kind,
      encoder: spec.encoder,
      decoder: denseDecoder(spec),
      activation: spec.activation,
      outputActivation: spec.outputActivation,
    };
  },
} satisfies ModelFamily<DenseSpec>;
