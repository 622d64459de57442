/**
 * Training with a custom step instead of `model.fit`: batches are cut once per epoch on the
 * device (one gather + one split), each step is `optimizer.minimize` with no host sync, and
 * the host reads the losses once per epoch. `fit` shuffles with Math.random and syncs per
 * batch for its callbacks; this loop is seeded and was measured faster (see README).
 */
import * as tf from '@tensorflow/tfjs';
import type { PreparedSplit } from '@aelab/data';
import { createAdam } from './adam.js';
import { buildModel, modelInputShape } from './builders/index.js';
import { createRng, shuffleInPlace } from './random.js';
import type { ModelSpec } from './spec.js';

/** Hyperparameters of one training run. */
export interface TrainingConfig {
  /** Maximum passes over the training rows. */
  epochs: number;
  /** Rows per gradient step; the last batch of an epoch may be smaller. */
  batchSize: number;
  /** Adam learning rate. */
  learningRate: number;
  /** Reconstruction loss: mean squared or mean absolute error. */
  loss: 'mse' | 'mae';
  /** Seeds the initial weights, the per-epoch shuffle and dropout masks. */
  seed: number;
  /**
   * Stop when the monitored loss (validation loss when a validation split is given, else
   * training loss) has not improved by more than `minDelta` for `patience` epochs. With
   * `restoreBestWeights` the best epoch's weights are restored at the end (early or not).
   */
  earlyStopping?: { patience: number; minDelta?: number; restoreBestWeights?: boolean } | null;
  /** Wall-clock budget: training stops after the epoch in which it is exceeded. */
  maxSeconds?: number;
}

/** One epoch of history. */
export interface EpochRecord {
  /** 1-based epoch number. */
  epoch: number;
  /** Mean training loss over the epoch's batches (weighted by batch size), incl. L2 penalties. */
  loss: number;
  /** Loss on the validation split after the epoch (incl. L2 penalties), null without one. */
  valLoss: number | null;
  /** Wall seconds the epoch took. */
  seconds: number;
}

/** Why training ended. */
export type StopReason = 'completed' | 'early-stopping' | 'time-limit';

/** A trained model and how it got there. Call `dispose()` to free its weights. */
export interface TrainedAutoencoder {
  model: tf.LayersModel;
  history: EpochRecord[];
  /** 1-based epoch with the lowest monitored loss (its weights are kept when restoreBestWeights). */
  bestEpoch: number;
  stoppedEarly: boolean;
  stopReason: StopReason;
  parameterCount: number;
  dispose(): void;
}

export interface TrainAutoencoderOptions {
  spec: ModelSpec;
  train: PreparedSplit;
  validation?: PreparedSplit | null;
  config: TrainingConfig;
  /** Called after every epoch (on the training thread). */
  onEpoch?: (epoch: EpochRecord) => void;
  /** Aborting stops training after the current batch and rejects with the signal's reason. */
  signal?: AbortSignal;
}

/** The loss became NaN or infinite; the trial fails with this message. */
export class TrainingDivergedError extends Error {
  override readonly name = 'TrainingDivergedError';
  constructor(readonly epoch: number) {
    super(`loss diverged at epoch ${epoch}`);
  }
}

/** Exact validation of the config, all messages from one place. */
export function trainingConfigIssues(config: TrainingConfig): string[] {
  const issues: string[] = [];
  const posInt = (field: string, v: unknown) => {
    if (typeof v !== 'number' || !Number.isInteger(v) || v <= 0) issues.push(`${field} must be a positive integer, got ${String(v)}`);
  };
  posInt('epochs', config.epochs);
  posInt('batchSize', config.batchSize);
  if (!(config.learningRate > 0 && Number.isFinite(config.learningRate))) issues.push(`learningRate must be a positive number, got ${String(config.learningRate)}`);
  if (config.loss !== 'mse' && config.loss !== 'mae') issues.push(`loss must be mse or mae, got ${JSON.stringify(config.loss)}`);
  if (!Number.isInteger(config.seed)) issues.push(`seed must be an integer, got ${String(config.seed)}`);
  const es = config.earlyStopping;
  if (es) {
    if (!Number.isInteger(es.patience) || es.patience < 0) issues.push(`earlyStopping.patience must be an integer >= 0, got ${String(es.patience)}`);
    if (es.minDelta !== undefined && !(es.minDelta >= 0)) issues.push(`earlyStopping.minDelta must be >= 0, got ${String(es.minDelta)}`);
  }
  if (config.maxSeconds !== undefined && !(config.maxSeconds > 0)) issues.push(`maxSeconds must be > 0, got ${String(config.maxSeconds)}`);
  return issues;
}

function reconstructionLoss(kind: 'mse' | 'mae', target: tf.Tensor, output: tf.Tensor): tf.Scalar {
  // Plain means: tf.losses.* add weight/reduction bookkeeping kernels to every step.
  return kind === 'mse' ? tf.mean(tf.squaredDifference(target, output)) : tf.mean(tf.abs(tf.sub(target, output)));
}

/** Loss plus the model's L2 penalties, as Keras reports it. */
function totalLoss(model: tf.LayersModel, kind: 'mse' | 'mae', x: tf.Tensor, training: boolean): tf.Scalar {
  const output = model.apply(x, { training }) as tf.Tensor;
  const penalties = model.calculateLosses();
  const loss = reconstructionLoss(kind, x, output);
  return penalties.length === 0 ? loss : tf.addN([loss, ...penalties]);
}

/** Rows of a split as a tensor of the model's input shape. */
export function splitTensor(split: Pick<PreparedSplit, 'x' | 'rows' | 'features'>, inputShape: number[]): tf.Tensor {
  const expected = inputShape.reduce((a, b) => a * b, 1);
  if (expected !== split.features) throw new Error(`model expects ${expected} values per row, the data has ${split.features} features`);
  if (split.x.length !== split.rows * split.features) throw new Error(`split.x has ${split.x.length} values, expected rows*features = ${split.rows * split.features}`);
  return tf.tensor(split.x, [split.rows, ...inputShape], 'float32');
}

/**
 * Build `spec`, train it with Adam on `train` (an autoencoder: targets are the inputs) and
 * return the model with its history. Deterministic for the same spec, data, config and
 * backend. Leaves no tensors behind except the returned model's weights.
 * @throws InvalidModelSpecError before training for a spec that cannot be built.
 * @throws TrainingDivergedError when the loss becomes NaN/infinite.
 */
export async function trainAutoencoder(options: TrainAutoencoderOptions): Promise<TrainedAutoencoder> {
  const { spec, train, config, onEpoch, signal } = options;
  const validation = options.validation && options.validation.rows > 0 ? options.validation : null;
  const issues = trainingConfigIssues(config);
  if (issues.length > 0) throw new Error(`invalid training config: ${issues.join('; ')}`);
  if (train.rows === 0) throw new Error('train split has no rows');
  signal?.throwIfAborted();

  const model = buildModel(spec, train.features, config.seed);
  const optimizer = createAdam(model.trainableWeights.map((w) => w.read() as tf.Variable), config.learningRate);
  const inputShape = modelInputShape(model);
  const trainX = splitTensor(train, inputShape);
  const valX = validation ? splitTensor(validation, inputShape) : null;
  const rng = createRng(config.seed ^ 0x5bd1e995);
  const order = new Int32Array(train.rows).map((_, i) => i);
  const batchSizes: number[] = [];
  for (let start = 0; start < train.rows; start += config.batchSize) batchSizes.push(Math.min(config.batchSize, train.rows - start));
  const weightsOfBatches = tf.tensor1d(batchSizes.map((n) => n / train.rows));

  const es = config.earlyStopping ?? null;
  const minDelta = es?.minDelta ?? 0;
  let best = Infinity;
  let bestEpoch = 0;
  let bestWeights: tf.Tensor[] | null = null;
  let sinceBest = 0;
  let stopReason: StopReason = 'completed';
  const history: EpochRecord[] = [];
  const started = performance.now();
  const cleanup = () => {
    trainX.dispose();
    valX?.dispose();
    weightsOfBatches.dispose();
    optimizer.dispose();
    bestWeights?.forEach((t) => t.dispose());
    bestWeights = null;
  };

  try {
    for (let epoch = 1; epoch <= config.epochs; epoch++) {
      const epochStart = performance.now();
      shuffleInPlace(order, rng);
      const batches = tf.tidy(() => {
        const shuffled = tf.gather(trainX, tf.tensor1d(order, 'int32'));
        return batchSizes.length === 1 ? [shuffled] : tf.split(shuffled, batchSizes, 0);
      });
      const costs: tf.Scalar[] = [];
      try {
        for (const batch of batches) {
          if (signal?.aborted) break;
          costs.push(optimizer.minimize(() => totalLoss(model, config.loss, batch, true)));
        }
      } finally {
        batches.forEach((b) => b.dispose());
      }
      if (signal?.aborted) {
        costs.forEach((c) => c.dispose());
        throw signal.reason ?? new Error('training aborted');
      }
      // The epoch's one host sync: weighted mean training loss and validation loss together.
      const summary = tf.tidy(() => {
        const loss = tf.sum(tf.mul(tf.stack(costs), weightsOfBatches));
        return valX ? tf.stack([loss, totalLoss(model, config.loss, valX, false)]) : loss.reshape([1]);
      });
      costs.forEach((c) => c.dispose());
      const values = await summary.data();
      summary.dispose();
      const record: EpochRecord = {
        epoch,
        loss: values[0],
        valLoss: valX ? values[1] : null,
        seconds: (performance.now() - epochStart) / 1000,
      };
      if (!Number.isFinite(record.loss) || (record.valLoss !== null && !Number.isFinite(record.valLoss))) {
        throw new TrainingDivergedError(epoch);
      }
      history.push(record);
      onEpoch?.(record);

      const monitored = record.valLoss ?? record.loss;
      if (monitored < best - minDelta || bestEpoch === 0) {
        best = monitored;
        bestEpoch = epoch;
        sinceBest = 0;
        if (es?.restoreBestWeights) {
          bestWeights?.forEach((t) => t.dispose());
          bestWeights = model.getWeights().map((w) => w.clone());
        }
      } else {
        sinceBest += 1;
        if (es && sinceBest >= es.patience) {
          stopReason = 'early-stopping';
          break;
        }
      }
      if (config.maxSeconds !== undefined && (performance.now() - started) / 1000 >= config.maxSeconds && epoch < config.epochs) {
        stopReason = 'time-limit';
        break;
      }
    }
    // Like Keras 3: the best epoch's weights are restored however training ended.
    if (bestWeights && bestEpoch !== history.length) model.setWeights(bestWeights);
  } catch (error) {
    cleanup();
    model.dispose();
    throw error;
  }
  cleanup();
  return {
    model,
    history,
    bestEpoch,
    stoppedEarly: stopReason !== 'completed',
    stopReason,
    parameterCount: model.countParams(),
    dispose: () => model.dispose(),
  };
}
