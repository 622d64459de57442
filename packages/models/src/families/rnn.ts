/** Encoder SimpleRNN(s) -> repeat -> decoder SimpleRNN(s) -> time-distributed dense. */
import type { z } from 'zod';
import { recurrentFamily } from './recurrent.js';

export const rnnFamily = recurrentFamily({
  kind: 'rnn',
  kindDescription: 'A sequence-to-sequence SimpleRNN autoencoder.',
  description: 'As the lstm family, with SimpleRNN cells.',
  gates: 1,
  layer: ({ tf }, args) => tf.layers.simpleRNN(args),
});

export const rnnSpecSchema = rnnFamily.schema;

/** A SimpleRNN autoencoder spec. */
export type RnnSpec = z.output<typeof rnnSpecSchema>;
