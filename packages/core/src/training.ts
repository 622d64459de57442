import { z } from 'zod';
import { RECONSTRUCTION_LOSSES } from './vocabulary.js';

/**
 * The largest training settings accepted: beyond these a setting is a typo or a unit
 * mistake, and would fail only inside a worker (a learning rate of 1e39 "diverges"; Adam
 * steps above 1 do so at once) or run for days.
 */
export const TRAINING_BOUNDS = { epochs: 100_000, batchSize: 1_048_576, learningRate: 1, minDelta: 1e6 } as const;

/**
 * How one model is trained: the `training` section of an experiment file and what the
 * trainer receives (plus the trial's seed and budget). The single definition: the
 * experiment schema embeds it and the trainer's config type is inferred from it.
 */
export const trainingSchema = z
  .object({
    epochs: z
      .number()
      .int()
      .positive()
      .max(TRAINING_BOUNDS.epochs)
      .describe(`Maximum passes over the training rows, 1 to ${TRAINING_BOUNDS.epochs}.`),
    batchSize: z
      .number()
      .int()
      .positive()
      .max(TRAINING_BOUNDS.batchSize)
      .describe(
        `Rows per gradient step, 1 to ${TRAINING_BOUNDS.batchSize}; the last batch of an epoch may be smaller.`,
      ),
    learningRate: z
      .number()
      .positive()
      .max(TRAINING_BOUNDS.learningRate)
      .describe(`Adam learning rate, in (0, ${TRAINING_BOUNDS.learningRate}].`),
    loss: z.enum(RECONSTRUCTION_LOSSES).describe('Reconstruction loss: mean squared or mean absolute error.'),
    earlyStopping: z
      .object({
        patience: z.number().int().positive().max(TRAINING_BOUNDS.epochs),
        minDelta: z.number().nonnegative().max(TRAINING_BOUNDS.minDelta).optional(),
        restoreBestWeights: z.boolean().optional(),
      })
      .strict()
      .nullable()
      .optional()
      .describe(
        'Stop when the monitored loss (validation loss when there is a validation split, else training loss) ' +
          'has not improved by more than minDelta for patience epochs; restoreBestWeights keeps the best epoch.',
      ),
  })
  .strict();

/** The hyperparameters of one training, as written in an experiment file. */
export type TrainingSettings = z.output<typeof trainingSchema>;

/** One epoch of training, as the trainer reports it and trial records keep it. */
export interface EpochRecord {
  /** 1-based epoch number. */
  epoch: number;
  /** Mean training loss over the epoch's batches (weighted by batch size), incl. L2 penalties. */
  loss: number;
  /** Loss on the validation split after the epoch (incl. L2 penalties); null without one. */
  valLoss: number | null;
  /**
   * The validation split's reconstruction error after the epoch: `valLoss` without the L2
   * penalties, so configurations with different penalties compare on what the objective
   * measures. Absent from records written before it was kept, and without a validation split.
   */
  valError?: number | null;
  /** Wall seconds the epoch took. */
  seconds: number;
}

/**
 * The value an epoch reports to a study's pruner, lower is better: the validation
 * reconstruction error (without L2 penalties: with them, a strongly regularised model
 * looks worse at every epoch than it reconstructs, and the pruner stopped the ECG5000
 * benchmark's best configuration, L2 0.001, first), else the validation loss of records
 * that lack it, else the training loss without a validation split. Pruners and the
 * report's intermediate values chart read it from here.
 */
export function intermediateValue(record: Pick<EpochRecord, 'loss' | 'valLoss' | 'valError'>): number {
  return record.valError ?? record.valLoss ?? record.loss;
}
