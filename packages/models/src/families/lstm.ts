/** Encoder LSTM(s) -> repeat -> decoder LSTM(s) -> time-distributed dense. */
import type { z } from 'zod';
import { recurrentFamily } from './recurrent.js';

export const lstmFamily = recurrentFamily({
  kind: 'lstm',
  kindDescription: 'A sequence-to-sequence LSTM autoencoder.',
  description:
    'Encoder LSTM(s) -> repeat the bottleneck state over the steps -> decoder LSTM(s) -> time-distributed dense.',
  gates: 4,
  // Keras' LSTM gates use a sigmoid; tfjs defaults to hardSigmoid, whose clip adds
  // ~6 kernels per gate per step (and differs from the seed work's Keras models).
  layer: ({ tf }, args) => tf.layers.lstm({ ...args, recurrentActivation: 'sigmoid' }),
});

export const lstmSpecSchema = lstmFamily.schema;

/** An LSTM autoencoder spec. */
export type LstmSpec = z.output<typeof lstmSpecSchema>;
