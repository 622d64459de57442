/**
 * The records a run store holds. Everything here is plain JSON (no classes, no typed
 * arrays): large arrays such as reconstruction errors live in artifact files beside
 * the store and records only name them. Their building blocks (params, metric sets,
 * epoch records, the selection rule, artifact shapes) are defined once in @aelab/core.
 */
import type {
  Distribution,
  EpochRecord,
  Interval,
  Json,
  LabelUse,
  MetricSet,
  Params,
  SelectionRule,
  SplitName,
  TrialStatus,
} from '@aelab/core';

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
  /**
   * Where the study's labelled anomalies went, per prepared data section (core's
   * `LabelUse`, worded by `describeLabelUse`); absent in studies recorded before it was.
   */
  labelUse?: LabelUse[];
}

/** Versions and environment that produced a trial, for reproducibility. */
export interface RunEnvironment {
  /** tfjs backend actually used: `wasm`, `cpu`, `tensorflow`, `tensorflow-gpu`. */
  backend: string;
  /**
   * The training step that trained it (`lean-dense`, `layers`, ...): steps agree only to float rounding. Absent in runs
   * recorded before it was.
   */
  trainingStep?: string;
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
  /** The full resolved training configuration, flattened to dotted names (model, training, data). */
  params: Params;
  /**
   * The training parameters the sampler chose for this trial (a subset of the search
   * space, `model.variant` included); null in stores written before they were recorded.
   */
  sampled: Params | null;
  /**
   * The distribution each sampled parameter, training and scoring, was drawn from (as
   * Optuna keeps one with each param); null in stores written before they were recorded.
   */
  distributions: Record<string, Distribution> | null;
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

/** One scoring variant of a trial: a threshold rule applied to its saved errors. */
export interface EvaluationRecord {
  id: string;
  studyId: string;
  trialId: string;
  /** sha256 of training params + scoring params: identifies an evaluated configuration across repeats. */
  configHash: string;
  /** The full resolved scoring (`scoring.errorMetric`, `threshold.*`), flattened. */
  scoring: Params;
  /** The scoring parameters this variant sampled from the space; null in stores written before they were recorded. */
  sampled: Params | null;
  threshold: number;
  /**
   * The threshold's 95% interval over other draws of the rows it was fit on (order
   * statistics for a percentile, normal theory for mean + k * std); null where the rule has
   * none, absent in stores written before it was recorded.
   */
  thresholdInterval?: Interval | null;
  /** True when the threshold was chosen with labels (e.g. best-F1): not an honest test score. */
  usesLabels: boolean;
  metrics: Partial<Record<SplitName, MetricSet>>;
  createdAt: string;
}
