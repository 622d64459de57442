/**
 * What the recurrent families (`lstm`, `rnn`) share: their spec fields and the
 * sequence-to-sequence builder, parameterised by the recurrent layer they use.
 */
import type { tf } from '../tf.js';
import { z } from 'zod';
import { mulberry32 } from '@aelab/core';
import { LayerSeeds, orthogonalMatrix } from '../random.js';
import type { BuildKit, ModelFamily, ModelSize } from './family.js';
import { init, oneOf, outputActivation, penalty, rate, widths } from './fields.js';

/** The fields of a recurrent spec besides `kind`. */
export const recurrentSpecFields = {
  units: widths.describe(
    'Encoder recurrent layer units, the last being the bottleneck ' +
      '(its final state is repeated over the output sequence); the decoder mirrors them in reverse.',
  ),
  layout: oneOf(['sequence', 'tabular']).describe(
    'How a row becomes a sequence: sequence = one step per value with 1 feature (ECG beats); ' +
      'tabular = 1 step of all values as features (the seed-004 variant for tabular data).',
  ),
  outputActivation: outputActivation.describe(
    'Activation of the time-distributed output layer: linear for standardised inputs, sigmoid for inputs in [0, 1].',
  ),
  dropout: rate.describe("Dropout rate in [0, 1) on each recurrent layer's input sequence."),
  l2: penalty.describe("L2 penalty on every recurrent layer's input kernel."),
  init,
};

/** A recurrent spec of any recurrent family. */
export type RecurrentSpec = z.output<z.ZodObject<typeof recurrentSpecFields>> & { kind: string };

/** Input shape [steps, features] of a recurrent model for rows of `inputSize` values. */
export function recurrentInputShape(spec: Pick<RecurrentSpec, 'layout'>, inputSize: number): [number, number] {
  return spec.layout === 'sequence' ? [inputSize, 1] : [1, inputSize];
}

/**
 * The size of a sequence-to-sequence model whose recurrent layers have `gates` weight
 * blocks (LSTM 4, SimpleRNN 1); each layer keeps about `gates + 2` values per unit and
 * step for the backward pass.
 */
export function seq2SeqSize(spec: RecurrentSpec, inputSize: number, gates: number): ModelSize {
  const [steps, features] = recurrentInputShape(spec, inputSize);
  const layers = [...spec.units, ...[...spec.units].reverse()];
  let parameters = 0;
  let activationsPerRow = 0;
  let inputs = features;
  for (const units of layers) {
    parameters += gates * (units * (inputs + units) + units);
    activationsPerRow += steps * units * (gates + 2);
    inputs = units;
  }
  parameters += inputs * features + features;
  activationsPerRow += steps * (spec.units[spec.units.length - 1] + features);
  return { parameters, activationsPerRow };
}

/** The arguments every recurrent layer gets; a family adds its own (e.g. gate activation). */
export type RecurrentLayerArgs = Parameters<typeof tf.layers.simpleRNN>[0];

/** Makes one recurrent layer whose weights are [kernel, recurrentKernel, bias]. */
export type RecurrentLayerFactory = (kit: BuildKit, args: RecurrentLayerArgs) => tf.layers.Layer;

/**
 * Builds the sequence-to-sequence autoencoder of `spec`: encoder recurrent layers (the last
 * returns only its final state, the bottleneck) -> repeat over the steps -> decoder
 * recurrent layers (units mirrored) -> time-distributed dense back to the features.
 *
 * Dropout is a SeededDropout on each recurrent layer's input sequence (tfjs' cell dropout
 * draws from Math.random and would make runs irreproducible). With `init: glorot`,
 * recurrent kernels are orthogonal like Keras', computed in JS (tfjs' orthogonal
 * initializer is slow and warns); with `pytorch`, every recurrent weight is
 * U(+-1/sqrt(units)) and the bias is the sum of two such draws (torch's b_ih + b_hh).
 */
export function buildSeq2Seq(
  kit: BuildKit,
  spec: RecurrentSpec,
  inputSize: number,
  seed: number,
  recurrentLayer: RecurrentLayerFactory,
): tf.LayersModel {
  const { tf } = kit;
  const seeds = new LayerSeeds(seed);
  const [steps, features] = recurrentInputShape(spec, inputSize);
  const input = tf.input({ shape: [steps, features], name: 'input' });
  const recurrentLayers: tf.layers.Layer[] = [];
  const layer = (units: number, returnSequences: boolean, name: string, x: tf.SymbolicTensor) => {
    if (spec.dropout > 0)
      x = new kit.SeededDropout({ rate: spec.dropout, seed: seeds.take(), name: `${name}_dropout` }).apply(
        x,
      ) as tf.SymbolicTensor;
    const l = recurrentLayer(kit, {
      units,
      returnSequences,
      ...recurrentInit(kit, spec, units, seeds),
      kernelRegularizer: kit.l2(spec.l2),
      name,
    });
    recurrentLayers.push(l);
    return l.apply(x) as tf.SymbolicTensor;
  };
  let x = input as tf.SymbolicTensor;
  let lastUnits = features;
  spec.units.forEach((units, i) => {
    const last = i === spec.units.length - 1;
    x = layer(units, !last, last ? 'bottleneck' : `encoder_${i}`, x);
  });
  x = tf.layers.repeatVector({ n: steps, name: 'repeat' }).apply(x) as tf.SymbolicTensor;
  [...spec.units].reverse().forEach((units, i) => {
    x = layer(units, true, `decoder_${i}`, x);
    lastUnits = units;
  });
  const output = tf.layers
    .timeDistributed({
      layer: tf.layers.dense({
        units: features,
        activation: spec.outputActivation,
        ...kit.weightInit(seeds, spec.init, lastUnits),
      }),
      name: 'reconstruction',
    })
    .apply(x) as tf.SymbolicTensor;
  const model = tf.model({ inputs: input, outputs: output, name: `${spec.kind}_autoencoder` });
  if (spec.init === 'pytorch') setSummedBiases(kit, recurrentLayers, seeds.take());
  else setOrthogonalRecurrentKernels(kit, recurrentLayers, seeds.take());
  return model;
}

function recurrentInit(
  kit: BuildKit,
  spec: RecurrentSpec,
  units: number,
  seeds: LayerSeeds,
): Partial<RecurrentLayerArgs> {
  if (spec.init !== 'pytorch') {
    // The recurrent kernel is overwritten with orthogonal weights; glorot keeps construction fast and silent.
    return { kernelInitializer: kit.glorot(seeds), recurrentInitializer: kit.glorot(seeds) };
  }
  const bound = 1 / Math.sqrt(units);
  const uniform = () => kit.tf.initializers.randomUniform({ minval: -bound, maxval: bound, seed: seeds.take() });
  return { kernelInitializer: uniform(), recurrentInitializer: uniform() };
}

function setSummedBiases(kit: BuildKit, layers: tf.layers.Layer[], seed: number): void {
  const rng = mulberry32(seed >>> 0);
  for (const l of layers) {
    const weights = l.getWeights();
    const units = weights[1].shape[0];
    const bound = 1 / Math.sqrt(units);
    const draw = () => (2 * rng() - 1) * bound;
    const bias = Float32Array.from({ length: weights[2].size }, () => draw() + draw());
    const tensor = kit.tf.tensor1d(bias);
    l.setWeights([weights[0], weights[1], tensor]);
    tensor.dispose();
  }
}

function setOrthogonalRecurrentKernels(kit: BuildKit, layers: tf.layers.Layer[], seed: number): void {
  // The seed mixing of models' former createRng, kept so that the same trial seed still
  // gives the same initial weights (and so the same losses) as before it was removed.
  const rng = mulberry32((Math.trunc(seed) ^ 0x9e3779b9) >>> 0);
  for (const l of layers) {
    // Weights are [kernel, recurrentKernel, bias] for both LSTM and SimpleRNN.
    const weights = l.getWeights();
    const [rows, cols] = weights[1].shape;
    const orthogonal = kit.tf.tensor2d(orthogonalMatrix(rows, cols, rng), [rows, cols]);
    l.setWeights([weights[0], orthogonal, ...weights.slice(2)]);
    orthogonal.dispose();
  }
}

/** What sets one recurrent family apart; everything else (fields, size, builder) they share. */
export interface RecurrentFamilyOptions<K extends string> {
  kind: K;
  /** The description of the spec's `kind` field. */
  kindDescription: string;
  /** The description of the spec. */
  description: string;
  /** Weight blocks per recurrent layer (LSTM 4, SimpleRNN 1): see {@link seq2SeqSize}. */
  gates: number;
  layer: RecurrentLayerFactory;
}

/** A sequence-to-sequence autoencoder family whose recurrent layers `options.layer` makes. */
export function recurrentFamily<K extends string>(options: RecurrentFamilyOptions<K>) {
  const schema = z
    .strictObject({ kind: z.literal(options.kind).describe(options.kindDescription), ...recurrentSpecFields })
    .describe(options.description);
  return {
    kind: options.kind,
    schema,
    inputIssues: () => [],
    size: (spec: RecurrentSpec, inputSize: number) => seq2SeqSize(spec, inputSize, options.gates),
    build: (kit: BuildKit, spec: RecurrentSpec, inputSize: number, seed: number) =>
      buildSeq2Seq(kit, spec, inputSize, seed, options.layer),
  } satisfies ModelFamily<z.output<typeof schema>>;
}
