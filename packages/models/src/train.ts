/**
 * Training with a custom step instead of `model.fit`: each batch is gathered from the host
 * rows in the epoch's shuffled order and uploaded alone, each step is `optimizer.minimize`
 * with no host sync, and the host reads the losses once per epoch. `fit` shuffles with
 * Math.random and syncs per batch for its callbacks; this loop is seeded and was measured
 * faster (see README). A step with `stepRows` (the direct dense step on wasm) gathers each
 * batch into its own memory and returns its loss as a number: no tensor in an epoch.
 */
import { tf } from './tf.js';
import {
  type EpochRecord,
  formatValue,
  mulberry32,
  schemaIssues,
  shuffleInPlace,
  trainingSchema,
  type TrainingSettings,
} from '@aelab/core';
import type { PreparedSplit } from '@aelab/data';
import { buildModel, modelInputShape } from './builders/index.js';
import type { ModelSpec } from './families/index.js';
import { createTrainingStep, type StepKind, type TrainingStep } from './steps/index.js';

/** One training run's configuration: the experiment's `training` section plus the trial's seed and budget. */
export type TrainerConfig = TrainingSettings & {
  /** Seeds the initial weights, the per-epoch shuffle and dropout masks. */
  seed: number;
  /** Wall-clock budget in seconds: training stops after the epoch in which it is exceeded. */
  maxSeconds?: number;
};

/** Why training ended. `pruned`: the caller's `shouldStop` asked it to. */
export type StopReason = 'completed' | 'early-stopping' | 'time-limit' | 'pruned';

/** A trained model and how it got there. Call `dispose()` to free its weights. */
export interface TrainedAutoencoder {
  model: tf.LayersModel;
  history: EpochRecord[];
  /** 1-based epoch with the lowest monitored loss (its weights are kept when restoreBestWeights). */
  bestEpoch: number;
  /** True unless every epoch ran (`stopReason` is not `completed`). */
  stoppedEarly: boolean;
  stopReason: StopReason;
  parameterCount: number;
  /**
   * Which training step trained it (`lean-dense`, `layers`, `population`, ...; see `steps/`), recorded with the run:
   * steps agree only to float rounding.
   */
  trainingStep: string;
  dispose(): void;
}

/** The rows a trainer reads of a split: its values and shape (labels are the caller's). */
export type TrainingRows = Pick<PreparedSplit, 'x' | 'rows' | 'features'>;

export interface TrainAutoencoderOptions {
  spec: ModelSpec;
  train: TrainingRows;
  validation?: TrainingRows | null;
  config: TrainerConfig;
  /** Called after every epoch (on the training thread). */
  onEpoch?: (record: EpochRecord) => void;
  /**
   * The pruning channel: asked after every epoch, after `onEpoch`. True ends training
   * there, normally: the result has `stopReason: 'pruned'`, the model (best weights
   * restored when asked for) and the history so far. Takes precedence over early stopping
   * and the time budget in the same epoch. May answer asynchronously (a coordinator in
   * another thread): the next epoch waits for the answer.
   */
  shouldStop?: (record: EpochRecord) => boolean | Promise<boolean>;
  /** Aborting stops training after the current batch and rejects with the signal's reason. */
  signal?: AbortSignal;
  /**
   * `lean` (default): the family's lean training step where it has one on this backend
   * (dense on wasm), which gives the layers step's losses to float rounding in a fraction
   * of its kernels; `layers`: always the step through the layers model and tfjs' tape.
   */
  step?: StepKind;
}

/** The loss became NaN or infinite; the trial fails with this message. */
export class TrainingDivergedError extends Error {
  override readonly name = 'TrainingDivergedError';
  constructor(readonly epoch: number) {
    super(`loss diverged at epoch ${epoch}`);
  }
}

/**
 * Every problem with `config` ([] when valid), each naming its field: the training
 * settings checked by core's `trainingSchema`, then the seed and the budget.
 */
export function trainerConfigIssues(config: TrainerConfig): string[] {
  const { seed, maxSeconds, ...settings } = config;
  const issues = schemaIssues(trainingSchema, settings);
  if (typeof seed !== 'number' || !Number.isInteger(seed))
    issues.push(`seed must be an integer, got ${formatValue(seed)}`);
  if (maxSeconds !== undefined && !(typeof maxSeconds === 'number' && maxSeconds > 0))
    issues.push(`maxSeconds must be > 0, got ${formatValue(maxSeconds)}`);
  return issues;
}

/**
 * A turn of the event loop, taken once per epoch: on wasm and cpu reading an epoch's losses
 * resolves at once, and without it a worker thread would not see its messages (an abort)
 * until training ends.
 */
export function nextTurn(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

/** Rejects an invalid config before training: `invalid training config: ...`, naming every bad field. */
export function assertTrainerConfig(config: TrainerConfig): void {
  const issues = trainerConfigIssues(config);
  if (issues.length > 0) throw new Error(`invalid training config: ${issues.join('; ')}`);
}

/**
 * The generator of a training's per-epoch shuffles. The seed mixing of models' former
 * createRng (core's mulberry32 after xor with the golden ratio), kept so the same trial
 * seed still gives the same shuffles and losses.
 */
export function shuffleRng(seed: number): () => number {
  return mulberry32((Math.trunc(seed ^ 0x5bd1e995) ^ 0x9e3779b9) >>> 0);
}

/** Rows per step of an epoch over `rows` rows: full batches, then the rest. */
export function batchSizesOf(rows: number, batchSize: number): number[] {
  const sizes: number[] = [];
  for (let start = 0; start < rows; start += batchSize) sizes.push(Math.min(batchSize, rows - start));
  return sizes;
}

/**
 * An epoch's record (`valError`: the validation reconstruction error without penalties,
 * what pruners read); throws {@link TrainingDivergedError} when a loss is NaN or infinite.
 */
export function epochRecord(
  epoch: number,
  loss: number,
  valLoss: number | null,
  seconds: number,
  valError?: number,
): EpochRecord {
  if (!Number.isFinite(loss) || (valLoss !== null && !Number.isFinite(valLoss))) throw new TrainingDivergedError(epoch);
  return { epoch, loss, valLoss, ...(valError !== undefined ? { valError } : {}), seconds };
}

function assertSplitShape(split: Pick<PreparedSplit, 'x' | 'rows' | 'features'>, inputShape: number[]): void {
  const expected = inputShape.reduce((a, b) => a * b, 1);
  if (expected !== split.features)
    throw new Error(`model expects ${expected} values per row, the data has ${split.features} features`);
  if (split.x.length !== split.rows * split.features)
    throw new Error(`split.x has ${split.x.length} values, expected rows*features = ${split.rows * split.features}`);
}

/** Rows of a split as a tensor of the model's input shape. */
export function splitTensor(split: Pick<PreparedSplit, 'x' | 'rows' | 'features'>, inputShape: number[]): tf.Tensor {
  assertSplitShape(split, inputShape);
  return tf.tensor(split.x, [split.rows, ...inputShape], 'float32');
}

/**
 * Rows `order[start]` .. `order[start + rows - 1]` of `split`, copied on the host into one
 * batch of the model's input shape. Batches are cut from the host rows (shared among a
 * pool's workers) one at a time, so a backend never holds the training split: uploading it
 * whole and cutting each epoch's batches on the device held it three times over (the split,
 * its shuffled copy, the batches) in every worker's never-shrinking wasm heap.
 */
export function batchTensor(
  split: Pick<PreparedSplit, 'x' | 'features'>,
  order: Int32Array,
  start: number,
  rows: number,
  inputShape: number[],
): tf.Tensor {
  const { x, features } = split;
  const values = new Float32Array(rows * features);
  for (let i = 0; i < rows; i++) {
    const row = order[start + i];
    values.set(x.subarray(row * features, (row + 1) * features), i * features);
  }
  return tf.tensor(values, [rows, ...inputShape], 'float32');
}

/**
 * The epoch's training loss from its batches' float32 losses and weights (each batch's share of the rows, float32):
 * each product rounded to float32, added in batch order to a float32 sum from 0. This is what wasm's Mul and Sum
 * kernels compute for `sum(mul(stack(losses), weights))` (tests/train.test.ts holds the two to the bit), so a step
 * whose losses come back as numbers ({@link TrainingStep.stepRows}, on wasm) records the bits a tensor step would.
 */
export function weightedEpochLoss(losses: Float32Array, weights: Float32Array): number {
  let sum = 0;
  for (let i = 0; i < losses.length; i++) sum = Math.fround(sum + Math.fround(losses[i] * weights[i]));
  return sum;
}

/** The model, its training step and the tensors of one run; `release` frees all but the model. */
interface Session {
  model: tf.LayersModel;
  step: TrainingStep;
  /** Training rows on the host; each step uploads its batch only (see {@link batchTensor}) or gathers it itself. */
  train: TrainingRows;
  inputShape: number[];
  /** Validation rows on the host, for a step that evaluates them a chunk at a time (`evaluateRows`). */
  validation: TrainingRows | null;
  /** Validation rows uploaded whole, for a step without `evaluateRows`. */
  valX: tf.Tensor | null;
  /** Shuffles the row order each epoch. */
  rng: () => number;
  order: Int32Array;
  batchSizes: number[];
  /** Each batch's share of the rows (float32), to weight the batch losses into the epoch loss. */
  batchWeights: Float32Array;
  /** {@link batchWeights} as a tensor, for a step without `stepRows` (its losses are tensors); else null. */
  weightsOfBatches: tf.Tensor1D | null;
  /** The epoch's batch losses of a step with `stepRows`. */
  batchLosses: Float32Array;
  release(): void;
}

function startSession(
  spec: ModelSpec,
  train: TrainingRows,
  validation: TrainingRows | null,
  config: TrainerConfig,
  kind: StepKind | undefined,
): Session {
  const model = buildModel(spec, train.features, config.seed);
  const step = createTrainingStep({ model, spec, loss: config.loss, learningRate: config.learningRate, kind });
  const inputShape = modelInputShape(model);
  assertSplitShape(train, inputShape);
  if (validation) assertSplitShape(validation, inputShape);
  const valX = validation && !step.evaluateRows ? splitTensor(validation, inputShape) : null;
  const batchSizes = batchSizesOf(train.rows, config.batchSize);
  const batchWeights = Float32Array.from(batchSizes, (n) => n / train.rows);
  const weightsOfBatches = step.stepRows ? null : tf.tensor1d(batchWeights);
  return {
    model,
    step,
    train,
    inputShape,
    validation,
    valX,
    rng: shuffleRng(config.seed),
    order: new Int32Array(train.rows).map((_, i) => i),
    batchSizes,
    batchWeights,
    weightsOfBatches,
    batchLosses: new Float32Array(batchSizes.length),
    release: () => {
      tf.dispose([...(weightsOfBatches ? [weightsOfBatches] : []), ...(valX ? [valX] : [])]);
      step.dispose();
    },
  };
}

/** The error an aborted epoch rejects with. */
function abortReason(signal: AbortSignal): unknown {
  return signal.reason ?? new Error('training aborted');
}

/**
 * The epoch's steps through `stepRows`, each batch gathered by the step: the weighted training loss, computed on the
 * host ({@link weightedEpochLoss}), and no tensor.
 */
function hostSteps(session: Session, stepRows: NonNullable<TrainingStep['stepRows']>, signal?: AbortSignal): number {
  const { train, order, batchSizes, batchLosses } = session;
  let start = 0;
  for (let i = 0; i < batchSizes.length; i++) {
    if (signal?.aborted) throw abortReason(signal);
    batchLosses[i] = stepRows(train, order, start, batchSizes[i]);
    start += batchSizes[i];
  }
  return weightedEpochLoss(batchLosses, session.batchWeights);
}

/**
 * The epoch's steps on uploaded batches, and its one host sync: the weighted training loss and, for a step without
 * `evaluateRows`, the validation loss with and without penalties, read together.
 */
async function tensorSteps(session: Session, weightsOfBatches: tf.Tensor1D, signal?: AbortSignal): Promise<number[]> {
  const { step, train, inputShape, valX, order, batchSizes } = session;
  const costs: tf.Scalar[] = [];
  let start = 0;
  for (const rows of batchSizes) {
    if (signal?.aborted) break;
    const batch = batchTensor(train, order, start, rows, inputShape);
    try {
      costs.push(step.step(batch));
    } finally {
      batch.dispose();
    }
    start += rows;
  }
  if (signal?.aborted) {
    costs.forEach((c) => c.dispose());
    throw abortReason(signal);
  }
  const summary = tf.tidy(() => {
    const trainLoss = tf.sum(tf.mul(tf.stack(costs), weightsOfBatches));
    if (!valX) return trainLoss.reshape([1]);
    const validation = step.evaluate(valX);
    return tf.stack([trainLoss, validation.total, validation.reconstruction]);
  });
  costs.forEach((c) => c.dispose());
  const values = Array.from(await summary.data());
  summary.dispose();
  return values;
}

/** The validation losses, with and without penalties, of a step with `stepRows` but not `evaluateRows`; else []. */
async function uploadedValidation({ step, valX }: Session): Promise<number[]> {
  if (!valX) return [];
  const summary = tf.tidy(() => {
    const { total, reconstruction } = step.evaluate(valX);
    return tf.stack([total, reconstruction]);
  });
  const values = Array.from(await summary.data());
  summary.dispose();
  return values;
}

/** One pass over the shuffled training rows, then the validation rows. */
async function runEpoch(session: Session, epoch: number, signal: AbortSignal | undefined): Promise<EpochRecord> {
  const { step, inputShape, weightsOfBatches } = session;
  const epochStart = performance.now();
  shuffleInPlace(session.order, session.rng);
  const values = weightsOfBatches
    ? await tensorSteps(session, weightsOfBatches, signal)
    : [hostSteps(session, step.stepRows!, signal), ...(await uploadedValidation(session))];
  if (session.validation && step.evaluateRows) {
    const { total, reconstruction } = step.evaluateRows(session.validation, inputShape);
    values.push(total, reconstruction);
  }
  const validated = values.length === 3;
  return epochRecord(
    epoch,
    values[0],
    validated ? values[1] : null,
    (performance.now() - epochStart) / 1000,
    validated ? values[2] : undefined,
  );
}

/**
 * The best epoch by the monitored loss (validation loss when there is one, else training
 * loss) and the patience of early stopping: the one rule, for single and population
 * training. Holds no weights.
 */
export class EarlyStopping {
  /** 1-based epoch with the lowest monitored loss so far (0 before the first). */
  epoch = 0;
  private best = Infinity;
  private sinceBest = 0;

  constructor(private readonly settings: TrainerConfig['earlyStopping']) {}

  /** Whether the best epoch's weights are to be kept (restored however training ends). */
  get restoresBest(): boolean {
    return this.settings?.restoreBestWeights === true;
  }

  /**
   * Takes the epoch's record: `improved` when it is the new best, `patienceOut` when early stopping's patience has run
   * out.
   */
  update(record: EpochRecord): { improved: boolean; patienceOut: boolean } {
    const monitored = record.valLoss ?? record.loss;
    const es = this.settings ?? null;
    if (monitored < this.best - (es?.minDelta ?? 0) || this.epoch === 0) {
      this.best = monitored;
      this.epoch = record.epoch;
      this.sinceBest = 0;
      return { improved: true, patienceOut: false };
    }
    this.sinceBest += 1;
    return { improved: false, patienceOut: es !== null && this.sinceBest >= es.patience };
  }
}

/** What ends a training after an epoch, in precedence order; null: train on. */
export function stopReasonAfter(
  epoch: number,
  checks: {
    pruned: boolean;
    patienceOut: boolean;
    elapsedSeconds: number;
    config: Pick<TrainerConfig, 'epochs' | 'maxSeconds'>;
  },
): StopReason | null {
  const { pruned, patienceOut, elapsedSeconds, config } = checks;
  if (pruned) return 'pruned';
  if (patienceOut) return 'early-stopping';
  if (config.maxSeconds !== undefined && elapsedSeconds >= config.maxSeconds && epoch < config.epochs)
    return 'time-limit';
  return epoch >= config.epochs ? 'completed' : null;
}

/** {@link EarlyStopping} plus, when `restoreBestWeights`, a copy of the best epoch's weights. */
class BestEpoch {
  private readonly monitor: EarlyStopping;
  private weights: tf.Tensor[] | null = null;

  constructor(
    private readonly model: tf.LayersModel,
    earlyStopping: TrainerConfig['earlyStopping'],
  ) {
    this.monitor = new EarlyStopping(earlyStopping);
  }

  get epoch(): number {
    return this.monitor.epoch;
  }

  /** Takes the epoch's record; true when early stopping's patience has run out. */
  update(record: EpochRecord): boolean {
    const { improved, patienceOut } = this.monitor.update(record);
    if (improved && this.monitor.restoresBest) {
      this.release();
      this.weights = this.model.getWeights().map((w) => w.clone());
    }
    return patienceOut;
  }

  /** Like Keras 3: the best epoch's weights are restored however training ended. */
  restore(lastEpoch: number): void {
    if (this.weights && this.epoch !== lastEpoch) this.model.setWeights(this.weights);
  }

  release(): void {
    this.weights?.forEach((t) => t.dispose());
    this.weights = null;
  }
}

/**
 * Builds `spec`, trains it with Adam on `train` (an autoencoder: targets are the inputs)
 * and returns the model with its history. Deterministic for the same spec, data, config
 * and backend. Leaves no tensors behind except the returned model's weights.
 * @throws InvalidModelSpecError before training for a spec that cannot be built.
 * @throws Error `invalid training config: ...` before training, naming every bad field.
 * @throws TrainingDivergedError when the loss becomes NaN/infinite.
 */
export async function trainAutoencoder(options: TrainAutoencoderOptions): Promise<TrainedAutoencoder> {
  const { spec, train, config, onEpoch, shouldStop, signal } = options;
  const validation = options.validation && options.validation.rows > 0 ? options.validation : null;
  assertTrainerConfig(config);
  if (train.rows === 0) throw new Error('train split has no rows');
  signal?.throwIfAborted();

  const session = startSession(spec, train, validation, config, options.step);
  const { model } = session;
  const best = new BestEpoch(model, config.earlyStopping);
  const history: EpochRecord[] = [];
  let stopReason: StopReason = 'completed';
  const started = performance.now();
  try {
    for (let epoch = 1; epoch <= config.epochs; epoch++) {
      await nextTurn();
      const record = await runEpoch(session, epoch, signal);
      history.push(record);
      onEpoch?.(record);
      const patienceOut = best.update(record);
      const pruned = (await shouldStop?.(record)) === true;
      const reason = stopReasonAfter(epoch, {
        pruned,
        patienceOut,
        elapsedSeconds: (performance.now() - started) / 1000,
        config,
      });
      if (reason !== null) {
        stopReason = reason;
        break;
      }
    }
    best.restore(history.length);
  } catch (error) {
    session.release();
    best.release();
    model.dispose();
    throw error;
  }
  session.release();
  best.release();
  return {
    model,
    history,
    bestEpoch: best.epoch,
    stoppedEarly: stopReason !== 'completed',
    stopReason,
    parameterCount: model.countParams(),
    trainingStep: session.step.name,
    dispose: () => model.dispose(),
  };
}
