/**
 * The files a trial leaves beside the run store's records, and the JSON each holds.
 * Workers produce them, the coordinator writes them, reporting and `aelab score` read
 * them: one definition for all three.
 */
import type { ErrorMetric, SplitName } from './vocabulary.js';

/** Artifact names a trial may carry in its record's `artifacts` map. */
export const ARTIFACT = {
  /** {@link ErrorsArtifact}: per-sample reconstruction errors and labels per split. */
  errors: 'errors.json',
  /** {@link CurvesArtifact}: ROC and PR curve points per labelled split. */
  curves: 'curves.json',
  /**
   * `ErrorHistograms` (histograms.ts): the errors binned for the trial page's histograms (so a report need not read
   * every row's).
   */
  histograms: 'histograms.json',
  /** {@link ExamplesArtifact}: a normal and an anomalous input with their reconstructions. */
  examples: 'examples.json',
  /** {@link SeriesArtifact}: for windowed time series, the series and its labelled windows. */
  series: 'series.json',
  /** The trained model: a directory of {@link MODEL_FILES}. */
  model: 'model',
} as const;

/** The files of a saved model directory. */
export const MODEL_FILES = {
  /** tfjs layers-format topology and weights manifest (`tf.loadLayersModel` reads it). */
  topology: 'model.json',
  /** The weights the manifest names. */
  weights: 'weights.bin',
  /** {@link SavedModelInfo}: what scoring new data needs besides the network. */
  info: 'aelab-model.json',
} as const;

/** What `aelab-model.json` holds. */
export interface SavedModelInfo {
  format: 'aelab-model';
  version: 1;
  /** The model spec it was built from (a model family's spec, see @aelab/models). */
  spec: { kind: string } & Record<string, unknown>;
  /** Fitted, JSON-serialisable data preparation (scaler etc.) from `@aelab/data`. */
  preparation: unknown;
  /** Anomaly threshold on the reconstruction error, when one was chosen. */
  threshold: number | null;
  /** What else the producer keeps with the model (the error metric, trial id, seed, scoring...). */
  extra: Record<string, unknown>;
  tfjsVersion: string;
  /**
   * sha256 (hex) of `weights.bin` as saved, checked on load so a changed or damaged file
   * is refused instead of scoring with wrong weights; absent in models saved before it
   * was recorded.
   */
  weightsSha256?: string;
}

/** The text of `aelab-model.json`, the one way it is written. */
export function savedModelInfoText(info: SavedModelInfo): string {
  return `${JSON.stringify(info, null, 2)}\n`;
}

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

export type ErrorsArtifact = Partial<Record<SplitName, SplitErrors>>;

export interface CurvePoints {
  roc: { fpr: number[]; tpr: number[]; thresholds: number[] };
  pr: { recall: number[]; precision: number[]; thresholds: number[] };
  rocAuc: number | null;
  prAuc: number | null;
}

/** Curves per split, computed from the errors named by `errorMetric`. */
export interface CurvesArtifact {
  errorMetric: ErrorMetric;
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
