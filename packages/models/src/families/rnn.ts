/** Encoder SimpleRNN(s) -> repeat -> decoder SimpleRNN(s) -> time-distributed dense. */
import { z } from 'zod';
import type { ModelFamily } from './family.js';
import { buildSeq2Seq, recurrentSpecFields, seq2SeqSize } from './recurrent.js';

export const rnnSpecSchema = z
  .strictObject({
    kind: z.literal('rnn').describe('A sequence-to-sequence SimpleRNN autoencoder.'),
    ...recurrentSpecFields,
  })
  .describe('As the lstm family, with SimpleRNN cells.');

/** A SimpleRNN autoencoder spec. */
export type RnnSpec = z.output<typeof rnnSpecSchema>;

export const rnnFamily = {
  kind: 'rnn',
  schema: rnnSpecSchema,
  inputIssues: () => [],
  size: (spec, inputSize) => seq2SeqSize(spec, inputSize, 1),
  build: (kit, spec, inputSize, seed) =>
    buildSeq2Seq(kit, spec, inputSize, seed, ({ tf }, args) => tf.layers.simpleRNN(args)),
} satisfies ModelFamily<RnnSpec>;
