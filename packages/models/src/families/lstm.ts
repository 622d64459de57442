/** Encoder LSTM(s) -> repeat -> decoder LSTM(s) -> time-distributed dense. */
import { z } from 'zod';
import type { ModelFamily } from './family.js';
import { buildSeq2Seq, recurrentSpecFields, seq2SeqSize } from './recurrent.js';

export const lstmSpecSchema = z
  .strictObject({
    kind: z.literal('lstm').describe('A sequence-to-sequence LSTM autoencoder.'),
    ...recurrentSpecFields,
  })
  .describe(
    'Encoder LSTM(s) -> repeat the bottleneck state over the steps -> decoder LSTM(s) -> time-distributed dense.',
  );

/** An LSTM autoencoder spec. */
export type LstmSpec = z.output<typeof lstmSpecSchema>;

export const lstmFamily = {
  kind: 'lstm',
  schema: lstmSpecSchema,
  inputIssues: () => [],
  size: (spec, inputSize) => seq2SeqSize(spec, inputSize, 4),
  build: (kit, spec, inputSize, seed) =>
    // Keras' LSTM gates use a sigmoid; tfjs defaults to hardSigmoid, whose clip adds
    // ~6 kernels per gate per step (and differs from the seed work's Keras models).
    buildSeq2Seq(kit, spec, inputSize, seed, ({ tf }, args) =>
      tf.layers.lstm({ ...args, recurrentActivation: 'sigmoid' }),
    ),
} satisfies ModelFamily<LstmSpec>;
