/**
 * The shapes every loader returns and every preparation step consumes.
 * Values are row-major Float32Array matrices; labels stay as the file wrote them
 * (strings) until {@link PreparedData} binarises them (1 = anomaly).
 */

/** Where a dataset's bytes came from. */
export interface DatasetSource {
  /** Absolute path(s) read, or `embedded:<name>` for generated data. */
  paths: string[];
  /** sha256 over the raw bytes of every file read, in order (hex). */
  sha256: string;
  format: 'arff' | 'ucr' | 'ts' | 'csv' | 'nab' | 'synthetic';
}

/** A loaded dataset: rows x features values plus one label per row. */
export interface Dataset {
  name: string;
  /** Row-major, length rows * features. May hold NaN for missing cells until preparation. */
  values: Float32Array;
  rows: number;
  features: number;
  /** One class label per row, as written in the file (e.g. "1", "1.0", "normal"). */
  labels: string[];
  featureNames: string[];
  /**
   * Rows that a loader marks as belonging to a predefined split (UCR TRAIN/TEST files);
   * absent when the format has no such notion.
   */
  predefinedSplit?: ('train' | 'test')[];
  /** For windowed series: the start timestamp (ms since epoch) of each window/row. */
  timestamps?: number[];
  /** For windowed series: the underlying series, so reports can plot detections on it. */
  series?: SeriesInfo;
  source: DatasetSource;
  /** Facts a user should see when inspecting (e.g. "TEST split absent in this data dir"). */
  notes?: string[];
}

/** The raw series behind a windowed dataset. */
export interface SeriesInfo {
  timestamps: number[];
  values: number[];
  /** Labelled anomaly windows, [start, end] in ms since epoch. */
  anomalyWindows: [number, number][];
  windowSize: number;
  stride: number;
  /** Index into `values` of the first point of each window row. */
  windowStarts: number[];
}

/** One split after preparation: scaled features and binary labels. */
export interface PreparedSplit {
  /** Row-major, length rows * features, scaled, no NaN. */
  x: Float32Array;
  rows: number;
  features: number;
  /** 1 = anomaly (positive class), 0 = normal. */
  y: Uint8Array;
  /** Original labels, for per-class reports. */
  labels: string[];
  /** Row index of each row in the loaded {@link Dataset}. */
  index: number[];
}

/** Everything a trial needs from the data side. */
export interface PreparedData {
  name: string;
  features: number;
  /** Rows the model trains on (normal rows only when `trainOn` is `normal`). */
  train: PreparedSplit;
  validation: PreparedSplit;
  test: PreparedSplit;
  /** sha256 over the raw bytes plus split and preparation config (hex). */
  fingerprint: string;
  /** Fitted, JSON-serialisable preparation (scaler parameters etc.), saved with a model. */
  preparation: unknown;
  /** Cells filled by interpolation / imputation, reported, never silent. */
  filledCells: number;
  /**
   * Anomalies of the training split neither trained on nor in validation (`trainOn: "normal"`,
   * beyond those `validationAnomalies: "keep"` carves into validation): reported, never silent.
   */
  droppedTrainingAnomalies: number;
  series?: SeriesInfo;
  /** Problems that do not stop a run but make results weaker (e.g. a test split without anomalies). */
  warnings?: string[];
}
