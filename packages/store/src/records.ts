/**
 * The records a run store holds. Everything here is plain JSON (no classes, no typed
 * arrays): large arrays such as reconstruction errors live in artifact files beside
 * the store and records only name them.
 */

/** A JSON value, as records carry user-supplied parameters. */
export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

/** Flat parameter map: dotted names (`model.kind`, `train.learningRate`) to values. */
export type Params = Record<string, Json>;

/** How the winner of a study is chosen. */
export interface SelectionRule {
  /** Metric name as it appears in {@link MetricSet} (e.g. `f1`, `rocAuc`, `mse`). */
  metric: string;
  direction: 'maximize' | 'minimize';
  /** The split whose metric decides. */
  split: 'train' | 'validation' | 'test';
}

export interface StudyRecord {
  id: string;
  /** Human name, usually the experiment file's name. User-controlled: escape when rendering. */
  name: string;
  /** Path of the experiment file the study came from, relative to the working directory. */
  experimentPath: string;
  /** The experiment file's parsed content, as it was when the study started. */
  experiment: Json;
  /** sha256 of the canonical JSON of `experiment`; a re-run with the same hash resumes. */
  experimentHash: string;
  /** ISO 8601. */
  createdAt: string;
  /** `git rev-parse HEAD` of the code that ran the study, or null outside a repository. */
  gitCommit: string | null;
  /** Dataset name as the registry knows it (e.g. `synthetic-ecg`, `ecg5000`). */
  dataset: string;
  selection: SelectionRule;
}

export type TrialStatus = 'running' | 'complete' | 'failed' | 'interrupted' | 'pruned';

/** Statuses that never change once written. */
export const FINISHED_STATUSES: readonly TrialStatus[] = ['complete', 'failed', 'pruned'];

/** One epoch of training, as the trainer reports it. */
export interface EpochRecord {
  epoch: number;
  loss: number;
  /** Null when the trial has no validation data. */
  valLoss: number | null;
  seconds: number;
}

/** Versions and environment that produced a trial, for reproducibility. */
export interface RunEnvironment {
  /** tfjs backend actually used: `wasm`, `cpu`, `tensorflow`, `tensorflow-gpu`. */
  backend: string;
  versions: Record<string, string>;
  gitCommit: string | null;
  hostname?: string;
  cpus?: number;
}

/**
 * One training: a distinct training configuration x repeat. Scoring variants
 * (threshold rules, percentiles) are {@link EvaluationRecord}s of a trial, never
 * trials of their own, because they do not retrain.
 */
export interface TrialRecord {
  id: string;
  studyId: string;
  /** 0-based order of creation within the study. */
  number: number;
  /** sha256 of the canonical JSON of the training parameters (without repeat and seed). */
  configHash: string;
  /** Training parameters only (model, training, data preparation). */
  params: Params;
  repeat: number;
  seed: number;
  status: TrialStatus;
  /** Why a trial failed or was interrupted or pruned; null when complete. */
  reason: string | null;
  startedAt: string;
  finishedAt: string | null;
  /** Wall seconds of the training alone (not queueing). */
  trainSeconds: number | null;
  environment: RunEnvironment;
  /** sha256 over raw data bytes plus split and preparation config. */
  dataFingerprint: string | null;
  history: EpochRecord[];
  /** Epoch whose weights were kept (early stopping with restore), or null. */
  bestEpoch: number | null;
  /** Number of trainable parameters of the model. */
  parameterCount: number | null;
  /** Artifact name -> path relative to the store root (e.g. errors, weights). */
  artifacts: Record<string, string>;
}

/** Metrics of one split, anomaly = positive class. Absent values mean "not defined". */
export interface MetricSet {
  rows: number;
  positives: number;
  accuracy?: number;
  precision?: number;
  recall?: number;
  f1?: number;
  specificity?: number;
  rocAuc?: number;
  prAuc?: number;
  /** Mean reconstruction error (MSE per sample, averaged) of the split. */
  mse?: number;
  mae?: number;
  rmse?: number;
  confusion?: { tp: number; fp: number; tn: number; fn: number };
  [extra: string]: number | undefined | { tp: number; fp: number; tn: number; fn: number };
}

/** One scoring variant of a trial: a threshold rule applied to its saved errors. */
export interface EvaluationRecord {
  id: string;
  studyId: string;
  trialId: string;
  /** sha256 of training params + scoring params: identifies an evaluated configuration across repeats. */
  configHash: string;
  /** Scoring parameters only (threshold rule, percentile, k, error metric). */
  scoring: Params;
  threshold: number;
  /** True when the threshold was chosen with labels (e.g. best-F1): not an honest test score. */
  usesLabels: boolean;
  metrics: Partial<Record<'train' | 'validation' | 'test', MetricSet>>;
  createdAt: string;
}

/**
 * Artifact names a trial may carry in {@link TrialRecord.artifacts}, and the JSON each
 * file holds. Search writes them; reporting reads them.
 */
export const ARTIFACT = {
  /** {@link ErrorsArtifact}: per-sample reconstruction errors and labels per split. */
  errors: 'errors.json',
  /** {@link CurvesArtifact}: ROC and PR curve points on the test split. */
  curves: 'curves.json',
  /** {@link ExamplesArtifact}: a normal and an anomalous input with their reconstructions. */
  examples: 'examples.json',
  /** {@link SeriesArtifact}: for windowed time series, the series and its labelled windows. */
  series: 'series.json',
  /** The trained model in tfjs layers format plus its preparation (a directory). */
  model: 'model',
} as const;

export interface SplitErrors {
  /** Per-sample mean squared reconstruction error. */
  mse: number[];
  /** Per-sample mean absolute reconstruction error. */
  mae: number[];
  /** 1 = anomaly, 0 = normal, aligned with the errors. */
  y: number[];
  /** Original class labels, aligned with the errors. */
  labels: string[];
}

export interface ErrorsArtifact {
  train?: SplitErrors;
  validation?: SplitErrors;
  test?: SplitErrors;
}

export interface CurvePoints {
  roc: { fpr: number[]; tpr: number[]; thresholds: number[] };
  pr: { recall: number[]; precision: number[]; thresholds: number[] };
  rocAuc: number | null;
  prAuc: number | null;
}

/** Curves per split, computed from the errors named by `errorMetric`. */
export interface CurvesArtifact {
  errorMetric: 'mse' | 'mae';
  test?: CurvePoints;
  validation?: CurvePoints;
}

export interface ReconstructionExample {
  /** Row index in the split. */
  row: number;
  label: string;
  error: number;
  input: number[];
  reconstruction: number[];
}

export interface ExamplesArtifact {
  normal?: ReconstructionExample;
  anomalous?: ReconstructionExample;
}

export interface SeriesArtifact {
  timestamps: number[];
  values: number[];
  anomalyWindows: [number, number][];
  windowSize: number;
  stride: number;
  /** Start index into `values` of each test window, aligned with test errors. */
  testWindowStarts: number[];
}
