/**
 * What travels between the coordinator and whatever runs a training (a worker thread,
 * another process, a machine behind a queue): plain data only. A task is JSON; a result
 * is JSON plus named binary blobs (reconstruction errors as float32, model files), so
 * any executor can carry both without knowing what they mean.
 */
import {
  sha256Hex,
  stableStringify,
  type EpochRecord,
  type ErrorMetric,
  type ExamplesArtifact,
  type SavedModelInfo,
  type SeriesArtifact,
  type SplitName,
  type TrainingSettings,
} from '@aelab/core';
import type { DataSpec } from '@aelab/data';
import type { BackendName } from '@aelab/models/registry';

/** The fully resolved inputs of one training: what a worker needs and what the config hash covers. */
export interface TrainingConfig {
  data: DataSpec;
  /** The model spec, with its labels (see {@link MODEL_LABELS}). */
  model: { kind: string } & Record<string, unknown>;
  training: TrainingSettings;
}

/**
 * Names a resolved model spec may carry besides its family's fields: which preset and
 * which variant it came from, kept so reports can show the version (and so config hashes
 * stay those of earlier versions), and `baseline` (core's BASELINE_PARAM: the training is
 * one of the experiment's baselines). They are stripped before the spec is validated or built.
 */
export const MODEL_LABELS = ['preset', 'variant', 'baseline'] as const;

/** The model spec of a resolved config, without its labels (see {@link MODEL_LABELS}). */
export function modelSpecOf(config: TrainingConfig): unknown {
  const spec: Record<string, unknown> = { ...config.model };
  for (const label of MODEL_LABELS) delete spec[label];
  return spec;
}

/** The hash of a training's resolved inputs: its identity in the store (with the repeat) and in a remote job. */
export function trainingHash(config: TrainingConfig): string {
  return sha256Hex(stableStringify(config));
}

/** One training, as the coordinator hands it to an executor. JSON. */
export interface TrialTask {
  trialId: string;
  config: TrainingConfig;
  seed: number;
  backend: BackendName;
  /** Where the worker looks up named datasets (its own machine's path). */
  dataDir?: string;
  /** Wall-time budget of the training, seconds. */
  maxSeconds?: number;
  /**
   * The study prunes: after each epoch the trial waits for the coordinator's verdict
   * (`continue` or `prune`) before training the next, so a pruned trial stops exactly
   * where its pruner decided. Without it, trials never wait.
   */
  pruning?: boolean;
  /**
   * With `pruning`, the only epochs whose verdict the trial waits for: those at which its
   * pruner can stop it (ASHA's rungs, see `Pruner.decidesAt`). A verdict is a round trip
   * through the coordinator, which a short trial paid after every epoch. Absent: every epoch.
   */
  verdictEpochs?: number[];
  /**
   * Which training of which study this is (the store's key of a training: config hash and
   * repeat). An executor that keys its jobs on it (`redis`: one job id per training, so a
   * restarted coordinator finds its jobs again) requires it; the study always sets it.
   */
  training?: { studyId: string; configHash: string; repeat: number };
}

/** Whether the trial of `task` waits for the coordinator's verdict after `epoch` (and the coordinator sends one). */
export function awaitsVerdict(task: Pick<TrialTask, 'pruning' | 'verdictEpochs'>, epoch: number): boolean {
  return task.pruning === true && (task.verdictEpochs?.includes(epoch) ?? true);
}

/** Messages from a running trial to the coordinator, in order. JSON. */
export type TrialProgress =
  | { type: 'accepted'; trialId: string }
  | { type: 'start'; trialId: string; epochs: number; backend: string }
  | { type: 'epoch'; trialId: string; record: EpochRecord; epochs: number };

/** What the coordinator answers to an epoch of a pruned study: go on, or stop after this epoch. */
export type TrialDirective = 'continue' | 'prune';

/** What a worker-thread executor sends a running trial over its port: a verdict on its last epoch, or stop now. */
export type WorkerDirective = TrialDirective | 'abort';

/**
 * What a pool worker's port carries to the coordinator: its progress, then `end` once it
 * has sent the last of it. The task's result travels on Piscina's own channel, which is not
 * ordered with the port: waiting for `end` is what guarantees no epoch is lost.
 */
export type PortMessage = TrialProgress | { type: 'end' };

/** What a population member's port carries to the coordinator: its progress, then its result or its error. */
export type MemberMessage =
  TrialProgress | { type: 'result'; result: TrialResult } | { type: 'error'; message: string };

/**
 * Each row's class label: as written, or as codes into the few distinct classes (the
 * coordinator's prepared data, which keeps no string per row).
 */
export type RowLabels = readonly string[] | { classes: readonly string[]; codes: ArrayLike<number> };

/**
 * Labels of one split, always carried by the result; its errors are the blobs
 * `errors/<split>/mse` and `errors/<split>/mae`. A worker that trained on the coordinator's
 * own prepared data (a local executor) refers to its typed arrays in shared memory (`y`
 * and the class codes) instead of copying every row's label into every result (tens of
 * MiB on a large dataset); one that prepared its own data sends them as JSON arrays.
 */
export interface SplitLabels {
  rows: number;
  /** 1 = anomaly, 0 = normal. */
  y: ArrayLike<number>;
  labels: RowLabels;
}

/**
 * The labels as JSON arrays: what a result carries across a process boundary (a worker that
 * trained on its own pool's shared arrays sends them so), unchanged when they already are.
 */
export function jsonSplitLabels({ rows, y, labels }: SplitLabels): SplitLabels {
  const names = 'codes' in labels ? Array.from(labels.codes, (code) => labels.classes[code]) : labels;
  return { rows, y: Array.from(y), labels: names };
}

/**
 * What a training returns. `blobs` holds every large array; everything else is JSON. A
 * pruned training (`stopReason: 'pruned'`) carries its curve only: no splits, examples,
 * series, model info or blobs (the coordinator records no errors or model for it).
 */
export interface TrialResult {
  history: EpochRecord[];
  bestEpoch: number | null;
  /** `completed`, `early-stopping`, `time-limit` or `pruned`. */
  stopReason: string;
  parameterCount: number;
  trainSeconds: number;
  /** The backend that trained it, its tfjs version and the training step (`TrainedAutoencoder.trainingStep`). */
  backend: { backend: string; tfjsVersion: string; trainingStep?: string };
  dataFingerprint: string;
  splits: Partial<Record<SplitName, SplitLabels>>;
  examples: ExamplesArtifact;
  series?: SeriesArtifact;
  /** The model's `aelab-model.json` content but the threshold, which the coordinator decides; absent when pruned. */
  modelInfo?: SavedModelInfo;
  /** `errors/<split>/<metric>` (float32 little-endian) and `model/<file>` (the model's files). */
  blobs: Record<string, Uint8Array>;
}

/** The blob name of a split's per-sample errors. */
export function errorsBlob(split: SplitName, metric: ErrorMetric): string {
  return `errors/${split}/${metric}`;
}

export const MODEL_BLOB_PREFIX = 'model/';

/** Float32 values as little-endian bytes (a copy: safe to transfer or send). */
export function float32Bytes(values: Float32Array): Uint8Array {
  const out = new Uint8Array(values.byteLength);
  const view = new DataView(out.buffer);
  values.forEach((v, i) => view.setFloat32(i * 4, v, true));
  return out;
}

const LITTLE_ENDIAN = new Uint8Array(Uint16Array.of(1).buffer)[0] === 1;

/**
 * The bytes of {@link float32Bytes} without the copy where the machine is little-endian:
 * a view of `values`' memory, so `values` must not change after (a trial's errors, handed
 * over with its result: two copies of every row's errors fewer).
 */
export function float32Blob(values: Float32Array): Uint8Array {
  return LITTLE_ENDIAN ? new Uint8Array(values.buffer, values.byteOffset, values.byteLength) : float32Bytes(values);
}

/** Inverse of {@link float32Bytes}: on a little-endian machine, a view of `bytes` where they are aligned (no copy). */
export function float32FromBytes(bytes: Uint8Array, name = 'blob'): Float32Array {
  if (bytes.byteLength % 4 !== 0)
    throw new Error(`${name}: ${bytes.byteLength} bytes is not a whole number of float32 values`);
  if (LITTLE_ENDIAN && bytes.byteOffset % 4 === 0)
    return new Float32Array(bytes.buffer, bytes.byteOffset, bytes.byteLength / 4);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  return Float32Array.from({ length: bytes.byteLength / 4 }, (_, i) => view.getFloat32(i * 4, true));
}
