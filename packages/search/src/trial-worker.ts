import type { MessagePort } from 'node:worker_threads';
import { prepareData, stableStringify, type DataSpec, type PreparedData, type PreparedSplit } from '@aelab/data';
import {
  initBackend,
  reconstruct,
  reconstructionErrors,
  serializeModel,
  trainAutoencoder,
  validateModelSpec,
  type BackendInfo,
  type BackendName,
  type EpochRecord,
  type ModelSpec,
  type TrainingConfig as ModelTrainingConfig,
} from '@aelab/models';
import type { ExamplesArtifact, SeriesArtifact } from '@aelab/store';
import type { TrainingConfig } from './resolve.js';

/** One training, as the main thread hands it to a worker. */
export interface TrialTask {
  trialId: string;
  config: TrainingConfig;
  seed: number;
  backend: BackendName;
  dataDir?: string;
  maxSeconds?: number;
  /** Progress messages ({@link TrialProgress}) go here, one per epoch. */
  port?: MessagePort;
}

export type TrialProgress =
  | { type: 'accepted'; trialId: string }
  | { type: 'start'; trialId: string; epochs: number; backend: string }
  | { type: 'epoch'; trialId: string; record: EpochRecord; epochs: number };

export interface SplitErrorsResult {
  mse: Float32Array;
  mae: Float32Array;
  y: Uint8Array;
  labels: string[];
}

/** What a worker returns: everything the main thread needs to score and record the trial. */
export interface TrialResult {
  history: EpochRecord[];
  bestEpoch: number | null;
  stopReason: string | null;
  parameterCount: number;
  trainSeconds: number;
  backend: BackendInfo;
  dataFingerprint: string;
  filledCells: number;
  errors: { train: SplitErrorsResult; validation?: SplitErrorsResult; test: SplitErrorsResult };
  examples: ExamplesArtifact;
  series?: SeriesArtifact;
  /** The trained model's files (tfjs layers format plus preparation), written by the main thread. */
  modelFiles: { name: string; data: Uint8Array }[];
}

// One worker trains many trials on the same dataset: prepare it once per preparation config.
const preparedCache = new Map<string, Promise<PreparedData>>();

function prepared(spec: DataSpec, dataDir: string | undefined): Promise<PreparedData> {
  const key = stableStringify({ spec, dataDir });
  let entry = preparedCache.get(key);
  if (!entry) {
    entry = prepareData(spec, { dataDir });
    entry.catch(() => preparedCache.delete(key));
    preparedCache.set(key, entry);
  }
  return entry;
}

/** Picks the row of median error in `rows` (a typical example, neither best nor worst). */
function medianRow(errors: Float32Array, rows: number[]): number | undefined {
  if (rows.length === 0) return undefined;
  const sorted = [...rows].sort((a, b) => errors[a] - errors[b]);
  return sorted[Math.floor(sorted.length / 2)];
}

async function examplesOf(model: Parameters<typeof reconstruct>[0], split: PreparedSplit, mse: Float32Array): Promise<ExamplesArtifact> {
  const pick = (anomalous: number) => medianRow(mse, [...split.y.keys()].filter((i) => split.y[i] === anomalous));
  const chosen = { normal: pick(0), anomalous: pick(1) };
  const out: ExamplesArtifact = {};
  for (const [kind, row] of Object.entries(chosen) as [keyof ExamplesArtifact, number | undefined][]) {
    if (row === undefined) continue;
    const input = split.x.subarray(row * split.features, (row + 1) * split.features);
    const reconstruction = await reconstruct(model, { x: input, rows: 1, features: split.features });
    out[kind] = {
      row,
      label: split.labels[row],
      error: mse[row],
      input: Array.from(input),
      reconstruction: Array.from(reconstruction),
    };
  }
  return out;
}

async function splitErrors(model: Parameters<typeof reconstructionErrors>[0], split: PreparedSplit): Promise<SplitErrorsResult> {
  const { mse, mae } = await reconstructionErrors(model, split);
  return { mse, mae, y: split.y, labels: split.labels };
}

/** Trains and scores one configuration. The Piscina task: the module's default export. */
export default async function runTrial(task: TrialTask): Promise<TrialResult> {
  task.port?.postMessage({ type: 'accepted', trialId: task.trialId } satisfies TrialProgress);
  const backend = await initBackend(task.backend);
  const data = await prepared(task.config.data as DataSpec, task.dataDir);
  const spec: ModelSpec = validateModelSpec(task.config.model, data.features);
  const { training } = task.config;
  const trainingConfig: ModelTrainingConfig = {
    epochs: training.epochs,
    batchSize: training.batchSize,
    learningRate: training.learningRate,
    loss: training.loss,
    seed: task.seed,
    earlyStopping: training.earlyStopping ?? null,
    maxSeconds: task.maxSeconds,
  };
  task.port?.postMessage({ type: 'start', trialId: task.trialId, epochs: training.epochs, backend: backend.backend } satisfies TrialProgress);
  const started = performance.now();
  const trained = await trainAutoencoder({
    spec,
    train: data.train,
    validation: data.validation.rows > 0 ? data.validation : undefined,
    config: trainingConfig,
    onEpoch: (record) =>
      task.port?.postMessage({ type: 'epoch', trialId: task.trialId, record, epochs: training.epochs } satisfies TrialProgress),
  });
  const trainSeconds = (performance.now() - started) / 1000;
  try {
    const errors = {
      train: await splitErrors(trained.model, data.train),
      validation: data.validation.rows > 0 ? await splitErrors(trained.model, data.validation) : undefined,
      test: await splitErrors(trained.model, data.test),
    };
    const modelFiles = await serializeModel({
      model: trained.model,
      spec,
      preparation: data.preparation,
      extra: { trialId: task.trialId, seed: task.seed },
    });
    return {
      history: trained.history,
      bestEpoch: trained.bestEpoch,
      stopReason: trained.stopReason,
      parameterCount: trained.parameterCount,
      trainSeconds,
      backend,
      dataFingerprint: data.fingerprint,
      filledCells: data.filledCells,
      errors,
      examples: await examplesOf(trained.model, data.test, errors.test.mse),
      series: seriesOf(data),
      modelFiles,
    };
  } finally {
    trained.dispose();
  }
}

function seriesOf(data: PreparedData): SeriesArtifact | undefined {
  const s = data.series;
  if (!s) return undefined;
  return {
    timestamps: s.timestamps,
    values: s.values,
    anomalyWindows: s.anomalyWindows,
    windowSize: s.windowSize,
    stride: s.stride,
    testWindowStarts: data.test.index.map((row) => s.windowStarts[row]),
  };
}
