/**
 * One training, wherever it runs: prepares the data, trains, computes the reconstruction
 * errors of every split and packs the result as plain data (see trial-task.ts). A baseline
 * detector is fitted instead, without a backend, and its scores take the errors' place.
 * Executors wrap this; it knows nothing of threads, queues or the run store.
 */
import { prepareData, type DataSpec } from '@aelab/data';
import {
  stableStringify,
  type EpochRecord,
  type SavedModelInfo,
  type ExamplesArtifact,
  type SeriesArtifact,
  type SplitName,
} from '@aelab/core';
import {
  initBackend,
  reconstruct,
  reconstructionErrors,
  serializeModel,
  trainAutoencoder,
  type BackendInfo,
  type ModelSpec,
  type TrainedAutoencoder,
  type TrainingRows,
} from '@aelab/models';
import { detectorFamilyOf, isDetectorKind } from '@aelab/models/registry';
import { labelOf, preparedDataMessage, type PreparedDataMessage, type SplitMessage } from './prepared-message.js';
import {
  errorsBlob,
  float32Blob,
  MODEL_BLOB_PREFIX,
  modelSpecOf,
  type SplitLabels,
  type TrialProgress,
  type TrialResult,
  type TrialTask,
} from './trial-task.js';

/** How a running trial talks to whoever runs it. */
export interface TrialChannel {
  report(progress: TrialProgress): void;
  /** Asked after every epoch (after its report), with its number: true stops training there (the trial is pruned). */
  shouldStop(epoch: number): boolean | Promise<boolean>;
  /** Aborted when the coordinator gives up on the trial: training stops after its current batch. */
  signal?: AbortSignal;
}

// One worker trains many trials on the same dataset: prepare it once per preparation config.
const preparedCache = new Map<string, Promise<PreparedDataMessage>>();

function prepared(spec: DataSpec, dataDir: string | undefined): Promise<PreparedDataMessage> {
  const key = stableStringify({ spec, dataDir });
  let entry = preparedCache.get(key);
  if (!entry) {
    entry = prepareData(spec, { dataDir }).then((data) => preparedDataMessage(data).message);
    entry.catch(() => preparedCache.delete(key));
    preparedCache.set(key, entry);
  }
  return entry;
}

type Model = Parameters<typeof reconstruct>[0];

/** What a worker has ready before it trains a task: its backend, data and model spec. */
export interface TrialSetup {
  backend: BackendInfo;
  data: PreparedDataMessage;
  spec: ModelSpec;
  /** Whether `data` is the coordinator's own (given by a local executor): results then refer to its label arrays. */
  shared: boolean;
}

/** Activates the task's backend and takes (`given`) or prepares its data. */
export async function setUpTrial(task: TrialTask, given?: PreparedDataMessage): Promise<TrialSetup> {
  const backend = await initBackend(task.backend);
  const data = given ?? (await prepared(task.config.data as DataSpec, task.dataDir));
  // The coordinator checked the spec before the study started; the builder checks it again.
  return { backend, data, spec: modelSpecOf(task.config) as ModelSpec, shared: given !== undefined };
}

/** The trainer's options for `task` but the spec and data: its config (seed and budget included) and its channel. */
export function trainerOptionsOf(task: TrialTask, channel: TrialChannel) {
  const { training } = task.config;
  return {
    config: { ...training, seed: task.seed, maxSeconds: task.maxSeconds },
    onEpoch: (record: EpochRecord) =>
      channel.report({ type: 'epoch', trialId: task.trialId, record, epochs: training.epochs }),
    shouldStop: (record: EpochRecord) => channel.shouldStop(record.epoch),
    signal: channel.signal,
  };
}

/** Trains and scores one configuration, on `given` data when the executor passes the coordinator's. */
export async function trainTrial(
  task: TrialTask,
  channel: TrialChannel,
  given?: PreparedDataMessage,
): Promise<TrialResult> {
  channel.report({ type: 'accepted', trialId: task.trialId });
  if (isDetectorKind(task.config.model.kind)) return fitDetectorTrial(task, channel, given);
  const setup = await setUpTrial(task, given);
  const { data, spec } = setup;
  channel.report({
    type: 'start',
    trialId: task.trialId,
    epochs: task.config.training.epochs,
    backend: setup.backend.backend,
  });
  const started = performance.now();
  const trained = await trainAutoencoder({
    spec,
    train: data.train,
    validation: monitoredValidation(data.validation),
    ...trainerOptionsOf(task, channel),
  });
  return trialResult(task, setup, trained, (performance.now() - started) / 1000);
}

/**
 * The validation rows a training monitors (its `valLoss`, which early stopping and pruning
 * read): the normal ones. With `validationAnomalies: "keep"` validation also holds the
 * training split's anomalies, for labelled selection; a loss that includes them rewards a
 * model for reconstructing anomalies well, the opposite of what a detector needs. The split
 * itself when it holds no anomaly (so trainings without them are unchanged); null when it
 * holds no normal row.
 */
export function monitoredValidation(split: Pick<SplitMessage, 'x' | 'rows' | 'features' | 'y'>): TrainingRows | null {
  const normal: number[] = [];
  for (let i = 0; i < split.rows; i++) if (split.y[i] === 0) normal.push(i);
  if (normal.length === split.rows) return split.rows > 0 ? split : null;
  if (normal.length === 0) return null;
  const { features } = split;
  const x = new Float32Array(normal.length * features);
  normal.forEach((row, i) => x.set(split.x.subarray(row * features, (row + 1) * features), i * features));
  return { x, rows: normal.length, features };
}

/**
 * Scores a trained model and packs it as the task's result (errors of every split, the
 * serialised model, examples), whichever trainer trained it; disposes the model. A pruned
 * training is packed without them (see {@link TrialResult}): its pruner stopped it, so it
 * never competes, and scoring every split and saving the model was most of a short
 * pruned trial's cost.
 */
export async function trialResult(
  task: TrialTask,
  setup: TrialSetup,
  trained: TrainedAutoencoder,
  trainSeconds: number,
): Promise<TrialResult> {
  const { backend, data, spec } = setup;
  try {
    const outcome = {
      history: trained.history,
      bestEpoch: trained.bestEpoch,
      stopReason: trained.stopReason,
      parameterCount: trained.parameterCount,
      trainSeconds,
      backend: { backend: backend.backend, tfjsVersion: backend.tfjsVersion, trainingStep: trained.trainingStep },
      dataFingerprint: data.fingerprint,
    };
    if (trained.stopReason === 'pruned') return { ...outcome, splits: {}, examples: {}, blobs: {} };
    const blobs: Record<string, Uint8Array> = {};
    const splits: TrialResult['splits'] = {};
    let testMse: Float32Array = new Float32Array(0);
    for (const name of ['train', 'validation', 'test'] as const) {
      const split = data[name];
      if (name === 'validation' && split.rows === 0) continue;
      const { labels, mse } = await splitErrors(trained.model, name, data, blobs, setup.shared);
      splits[name] = labels;
      if (name === 'test') testMse = mse;
    }
    const { files, info } = await serializeModel({
      model: trained.model,
      spec,
      preparation: data.preparation,
      extra: { trialId: task.trialId, seed: task.seed },
    });
    for (const file of files) blobs[`${MODEL_BLOB_PREFIX}${file.name}`] = file.data;
    return {
      ...outcome,
      splits,
      examples: await examplesOf(trained.model, data, testMse),
      series: seriesOf(data),
      modelInfo: info,
      blobs,
    };
  } finally {
    trained.dispose();
  }
}

/** A split's errors into `blobs`, and its labels (the coordinator's shared arrays themselves when `shared`). */
async function splitErrors(
  model: Model,
  name: SplitName,
  data: PreparedDataMessage,
  blobs: Record<string, Uint8Array>,
  shared: boolean,
) {
  const { mse, mae } = await reconstructionErrors(model, data[name]);
  // Fresh arrays, read again only before the result is handed over: no copy needed.
  blobs[errorsBlob(name, 'mse')] = float32Blob(mse);
  blobs[errorsBlob(name, 'mae')] = float32Blob(mae);
  return { labels: splitLabels(data, name, shared), mse };
}

function splitLabels(data: PreparedDataMessage, name: SplitName, shared: boolean): SplitLabels {
  const split = data[name];
  return shared
    ? { rows: split.rows, y: split.y, labels: { classes: data.classes, codes: split.labelCodes } }
    : { rows: split.rows, y: Array.from(split.y), labels: Array.from(split.labelCodes, (code) => data.classes[code]) };
}

/**
 * Fits a baseline detector on the normal training rows and packs its anomaly scores as the
 * errors of every split (both error metrics read the one score). No backend, no epochs:
 * the history is empty and there is no best epoch, so no loss curve is drawn, no pruner
 * hears of it and nothing says it stopped early. Its model is the fitted state as JSON.
 */
async function fitDetectorTrial(
  task: TrialTask,
  channel: TrialChannel,
  given?: PreparedDataMessage,
): Promise<TrialResult> {
  const data = given ?? (await prepared(task.config.data as DataSpec, task.dataDir));
  const spec = modelSpecOf(task.config) as ModelSpec;
  channel.report({ type: 'start', trialId: task.trialId, epochs: 0, backend: DETECTOR_BACKEND });
  const started = performance.now();
  const fitted = detectorFamilyOf(spec.kind).fit(spec, data.train, task.seed);
  const blobs: Record<string, Uint8Array> = {};
  const splits: TrialResult['splits'] = {};
  for (const name of ['train', 'validation', 'test'] as const) {
    if (name === 'validation' && data.validation.rows === 0) continue;
    const scores = name === 'train' ? fitted.trainScores : fitted.score(data[name]);
    blobs[errorsBlob(name, 'mse')] = float32Blob(scores);
    blobs[errorsBlob(name, 'mae')] = float32Blob(scores);
    splits[name] = splitLabels(data, name, given !== undefined);
  }
  const trainSeconds = (performance.now() - started) / 1000;
  blobs[`${MODEL_BLOB_PREFIX}detector.json`] = new TextEncoder().encode(`${JSON.stringify(fitted.toJSON())}\n`);
  const modelInfo: SavedModelInfo = {
    format: 'aelab-model',
    version: 1,
    spec,
    preparation: data.preparation,
    threshold: null,
    extra: { trialId: task.trialId, seed: task.seed, detector: 'detector.json' },
    tfjsVersion: 'none',
  };
  return {
    history: [],
    bestEpoch: null,
    stopReason: 'completed',
    parameterCount: detectorFamilyOf(spec.kind).size(spec, data.train.features).parameters,
    trainSeconds,
    backend: { backend: DETECTOR_BACKEND, tfjsVersion: 'none', trainingStep: 'fitted' },
    dataFingerprint: data.fingerprint,
    splits,
    examples: {},
    series: seriesOf(data),
    modelInfo,
    blobs,
  };
}

/** What a baseline detector's trial records as its backend: plain JavaScript, no tfjs. */
export const DETECTOR_BACKEND = 'js';

/**
 * The row of median error among the rows labelled `label` (a typical example, neither best
 * nor worst); ties keep row order (a stable sort). The rows are a typed array, not an array
 * of numbers: on a large split that made garbage in the worker's old generation.
 */
export function medianRow(errors: Float32Array, y: Uint8Array, label: number): number | undefined {
  let count = 0;
  for (let i = 0; i < y.length; i++) if (y[i] === label) count++;
  if (count === 0) return undefined;
  const rows = new Uint32Array(count);
  for (let i = 0, k = 0; i < y.length; i++) if (y[i] === label) rows[k++] = i;
  rows.sort((a, b) => errors[a] - errors[b]);
  return rows[Math.floor(count / 2)];
}

async function examplesOf(model: Model, data: PreparedDataMessage, mse: Float32Array): Promise<ExamplesArtifact> {
  const split: SplitMessage = data.test;
  const chosen = { normal: medianRow(mse, split.y, 0), anomalous: medianRow(mse, split.y, 1) };
  const out: ExamplesArtifact = {};
  for (const [kind, row] of Object.entries(chosen) as [keyof ExamplesArtifact, number | undefined][]) {
    if (row === undefined) continue;
    const input = split.x.subarray(row * split.features, (row + 1) * split.features);
    const reconstruction = await reconstruct(model, { x: input, rows: 1, features: split.features });
    out[kind] = {
      row,
      label: labelOf(data, split, row),
      error: mse[row],
      input: Array.from(input),
      reconstruction: Array.from(reconstruction),
    };
  }
  return out;
}

function seriesOf(data: PreparedDataMessage): SeriesArtifact | undefined {
  const s = data.series;
  if (!s) return undefined;
  return {
    timestamps: s.timestamps,
    values: s.values,
    anomalyWindows: s.anomalyWindows,
    windowSize: s.windowSize,
    stride: s.stride,
    testWindowStarts: Array.from(data.test.index, (row) => s.windowStarts[row]),
  };
}
