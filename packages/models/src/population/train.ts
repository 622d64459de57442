/**
 * Population training: several trainings of one dense architecture (same batch size and
 * loss) run as one batched graph, each member with its own initial weights (its model,
 * built from its spec and seed), shuffles, dropout masks, dropout rates, L2 penalties,
 * learning rate, epochs, early stopping and budget. Member k trains as
 * `trainAutoencoder` would train it alone (same losses to float rounding, same stopping
 * rules), and ends on its own: a member that stops (epochs done, early stopping, pruning,
 * time limit) leaves the graph with its weights (the best epoch's when restoreBestWeights),
 * and the rest train on without it.
 */
import { tf } from '../tf.js';
import { shuffleInPlace, type EpochRecord } from '@aelab/core';
import { buildModel } from '../builders/index.js';
import {
  assertTrainerConfig,
  batchSizesOf,
  EarlyStopping,
  epochRecord,
  nextTurn,
  shuffleRng,
  splitTensor,
  stopReasonAfter,
  type StopReason,
  type TrainAutoencoderOptions,
  type TrainedAutoencoder,
  type TrainingRows,
} from '../train.js';
import { denseChain } from '../builders/dense-chain.js';
import { PopulationGraph } from './graph.js';
import { populationKey } from './key.js';

/** One training of a population: what `trainAutoencoder` takes for it, but the data. */
export type PopulationMember = Pick<TrainAutoencoderOptions, 'spec' | 'config' | 'onEpoch' | 'shouldStop' | 'signal'>;

export interface TrainPopulationOptions {
  members: PopulationMember[];
  train: TrainingRows;
  validation?: TrainingRows | null;
}

/** A member still training: its model (weights written back when it leaves) and its own state. */
interface Live {
  member: PopulationMember;
  model: tf.LayersModel;
  rng: () => number;
  order: Int32Array;
  monitor: EarlyStopping;
  history: EpochRecord[];
  resolve(result: TrainedAutoencoder): void;
  reject(error: unknown): void;
  /** Set when the member ended this epoch (it leaves the graph at the epoch's end). */
  gone?: boolean;
}

interface Deferred {
  promise: Promise<TrainedAutoencoder>;
  resolve(result: TrainedAutoencoder): void;
  reject(error: unknown): void;
}

function deferred(): Deferred {
  let resolve!: Deferred['resolve'];
  let reject!: Deferred['reject'];
  const promise = new Promise<TrainedAutoencoder>((res, rej) => ((resolve = res), (reject = rej)));
  return { promise, resolve, reject };
}

/**
 * Trains `members` together on `train` (and `validation`, for each member's validation
 * loss). Returns one promise per member, in order, each settling when that member stops:
 * with its trained model and history, exactly as `trainAutoencoder` returns them, or with
 * its error (an invalid config or spec, divergence, its signal's abort reason, a failing
 * `shouldStop`), without stopping the others. Each epoch record's `seconds` is the
 * population's epoch. Leaves no tensors behind but the returned models' weights.
 * @throws Error before training when the members do not share an architecture, batch size and loss.
 */
export function trainPopulation(options: TrainPopulationOptions): Promise<TrainedAutoencoder>[] {
  const keys = new Set(options.members.map((m) => populationKey(m.spec, m.config)));
  if (keys.has(null)) {
    const kinds = [...new Set(options.members.map((m) => m.spec.kind))].join(', ');
    throw new Error(`population training needs model families with a population architecture (dense); got ${kinds}`);
  }
  if (keys.size > 1) throw new Error('population members must share an architecture, batch size and loss');
  const settled = options.members.map(deferred);
  void run(options, settled).catch((error: unknown) => settled.forEach((d) => d.reject(error)));
  return settled.map((d) => d.promise);
}

/** Builds each member's model (its initial weights); a member whose config or spec is bad fails alone. */
function start(options: TrainPopulationOptions, settled: Deferred[]): Live[] {
  const { train } = options;
  const lives: Live[] = [];
  options.members.forEach((member, k) => {
    try {
      assertTrainerConfig(member.config);
      if (train.rows === 0) throw new Error('train split has no rows');
      member.signal?.throwIfAborted();
      const model = buildModel(member.spec, train.features, member.config.seed);
      const { resolve, reject } = settled[k];
      lives.push({
        member,
        model,
        rng: shuffleRng(member.config.seed),
        order: new Int32Array(train.rows).map((_, i) => i),
        monitor: new EarlyStopping(member.config.earlyStopping),
        history: [],
        resolve,
        reject,
      });
    } catch (error) {
      settled[k].reject(error);
    }
  });
  return lives;
}

async function run(options: TrainPopulationOptions, settled: Deferred[]): Promise<void> {
  let lives = start(options, settled);
  if (lives.length === 0) return;
  const { train } = options;
  const validation = options.validation && options.validation.rows > 0 ? options.validation : null;
  const graph = new PopulationGraph(
    lives.map((live) => ({ chain: denseChain(live.model), learningRate: live.member.config.learningRate })),
    lives[0].member.config.loss,
  );
  const trainX = splitTensor(train, [train.features]) as tf.Tensor2D;
  const valX = validation
    ? tf.tidy(() => splitTensor(validation, [validation.features]).expandDims(0) as tf.Tensor3D)
    : null;
  const batchSizes = batchSizesOf(train.rows, lives[0].member.config.batchSize);
  const weightsOfBatches = tf.tensor2d(
    batchSizes.map((n) => n / train.rows),
    [batchSizes.length, 1],
  );
  const started = performance.now();
  // Members that stopped are handed their results once the graph has let go of them (and,
  // after the last epoch, once every tensor of the population is freed).
  let stopped: (() => void)[] = [];
  try {
    for (let epoch = 1; lives.length > 0; epoch++) {
      await nextTurn();
      const losses = await runEpoch({ graph, lives, trainX, valX, batchSizes, weightsOfBatches });
      if (losses === null) break;
      stopped = await endEpoch(graph, lives, epoch, losses, (performance.now() - started) / 1000);
      const positions = lives.flatMap((live, p) => (live.gone ? [] : [p]));
      if (positions.length === 0) break;
      if (positions.length < lives.length) graph.keep(positions);
      lives = positions.map((p) => lives[p]);
      stopped.splice(0).forEach((settle) => settle());
    }
  } catch (error) {
    // Members still training fail with the population's error; stopped members keep their results.
    for (const live of lives.filter((l) => !l.gone)) fail(live, error);
  } finally {
    graph.dispose();
    tf.dispose([trainX, weightsOfBatches, ...(valX ? [valX] : [])]);
    stopped.forEach((settle) => settle());
  }
}

interface EpochInputs {
  graph: PopulationGraph;
  lives: Live[];
  trainX: tf.Tensor2D;
  valX: tf.Tensor3D | null;
  batchSizes: number[];
  weightsOfBatches: tf.Tensor2D;
}

/** Members whose signal aborted fail now and leave at the epoch's end; true when all of them did. */
function dropAborted(lives: Live[]): boolean {
  for (const live of lives) {
    const signal = live.member.signal;
    if (!live.gone && signal?.aborted) {
      live.gone = true;
      live.reject(signal.reason ?? new Error('training aborted'));
      live.model.dispose();
    }
  }
  return lives.every((live) => live.gone);
}

/** Each member's epoch losses, by position: training, and validation with and without penalties. */
interface EpochLosses {
  train: Float32Array;
  validation: { loss: Float32Array; error: Float32Array } | null;
  seconds: number;
}

/**
 * One pass over each member's own shuffle of the rows; the epoch's one host read gives every
 * member's weighted mean training loss and validation loss. Null when every member aborted.
 */
async function runEpoch(inputs: EpochInputs): Promise<EpochLosses | null> {
  const { graph, lives, trainX, valX, batchSizes, weightsOfBatches } = inputs;
  const epochStart = performance.now();
  for (const live of lives) shuffleInPlace(live.order, live.rng);
  const costs: tf.Tensor1D[] = [];
  let start = 0;
  for (const batch of batchSizes) {
    if (dropAborted(lives)) break;
    const rows = new Int32Array(lives.length * batch);
    lives.forEach((live, p) => rows.set(live.order.subarray(start, start + batch), p * batch));
    costs.push(graph.step(trainX, rows, batch));
    start += batch;
  }
  if (costs.length < batchSizes.length) {
    tf.dispose(costs);
    return null;
  }
  const summary = tf.tidy(() => {
    const trainLoss = tf.sum(tf.mul(tf.stack(costs), weightsOfBatches), 0);
    return valX ? tf.concat([trainLoss.expandDims(0), graph.evaluate(valX)]) : trainLoss.expandDims(0);
  });
  tf.dispose(costs);
  const values = (await summary.data()) as Float32Array;
  summary.dispose();
  const P = lives.length;
  const validation = valX ? { loss: values.subarray(P, 2 * P), error: values.subarray(2 * P, 3 * P) } : null;
  return { train: values.subarray(0, P), validation, seconds: (performance.now() - epochStart) / 1000 };
}

/**
 * Each member's epoch as the single trainer ends it: its record (or divergence), `onEpoch`,
 * early stopping's bookkeeping, then `shouldStop` (asked of all members at once) and the
 * stop rules; members that stop get their weights back in their model and settle.
 */
async function endEpoch(
  graph: PopulationGraph,
  lives: Live[],
  epoch: number,
  losses: EpochLosses,
  elapsedSeconds: number,
): Promise<(() => void)[]> {
  const patience = lives.map((live, p) => {
    if (live.gone) return null;
    try {
      const record = epochRecord(
        epoch,
        losses.train[p],
        losses.validation ? losses.validation.loss[p] : null,
        losses.seconds,
        losses.validation?.error[p],
      );
      live.history.push(record);
      live.member.onEpoch?.(record);
      return live.monitor.update(record);
    } catch (error) {
      fail(live, error);
      return null;
    }
  });
  if (lives.some((live) => live.monitor.restoresBest)) graph.markBest(patience.map((p) => p?.improved === true));
  const verdicts = await Promise.all(
    lives.map(async (live) => {
      if (live.gone || !live.member.shouldStop) return false;
      try {
        return (await live.member.shouldStop(live.history[live.history.length - 1])) === true;
      } catch (error) {
        fail(live, error);
        return false;
      }
    }),
  );
  const stopping = lives.map((live, p) => {
    if (live.gone) return null;
    return stopReasonAfter(epoch, {
      pruned: verdicts[p],
      patienceOut: patience[p]!.patienceOut,
      elapsedSeconds,
      config: live.member.config,
    });
  });
  const settles = await Promise.all(lives.map((live, p) => (stopping[p] ? finish(graph, live, p, stopping[p]) : null)));
  return settles.filter((settle): settle is () => void => settle !== null);
}

function fail(live: Live, error: unknown): void {
  live.gone = true;
  live.reject(error);
  live.model.dispose();
}

/** Writes the member's weights (its best epoch's when it restores them) into its model; returns what settles it. */
async function finish(
  graph: PopulationGraph,
  live: Live,
  position: number,
  stopReason: StopReason,
): Promise<() => void> {
  live.gone = true;
  const lastEpoch = live.history.length;
  const values = await graph.memberValues(position, live.monitor.restoresBest && live.monitor.epoch !== lastEpoch);
  const { model } = live;
  const weights = model.getWeights().map((w, i) => tf.tensor(values[i], w.shape));
  model.setWeights(weights);
  tf.dispose(weights);
  const result: TrainedAutoencoder = {
    model,
    history: live.history,
    bestEpoch: live.monitor.epoch,
    stoppedEarly: stopReason !== 'completed',
    stopReason,
    parameterCount: model.countParams(),
    trainingStep: 'population',
    dispose: () => model.dispose(),
  };
  return () => live.resolve(result);
}
