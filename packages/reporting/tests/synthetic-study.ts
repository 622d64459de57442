import {
  ARTIFACT,
  binErrors,
  mulberry32,
  type CurvePoints,
  type Distribution,
  type EpochRecord,
  type ErrorsArtifact,
  type Json,
  type MetricSet,
  type Params,
  type SelectionRule,
} from '@aelab/core';
import { InMemoryRunStore, type NewEvaluation, type RunStore } from '@aelab/store';

/** Deterministic PRNG (core's mulberry32), so fixtures are the same on every run. */
export const seeded = (seed: number): (() => number) => mulberry32(seed);

export interface SyntheticStudyOptions {
  name?: string;
  families?: string[];
  versions?: string[];
  learningRates?: number[];
  repeats?: number;
  percentiles?: number[];
  selection?: SelectionRule;
  /** Write errors/histograms/curves/examples artifacts (and series for a windowed study). */
  artifacts?: boolean;
  /** Write the histograms artifact, as the recorder does (default); false: as stores recorded before it was. */
  histograms?: boolean;
  windowed?: boolean;
  /** Number of trials (by number) that fail instead of completing. */
  failures?: number;
  epochs?: number;
  seed?: number;
  /** Parameters added to every trial's (e.g. `training.earlyStopping.patience`). */
  trainingParams?: Params;
  /** The recorded best epoch of every trial (default: the last). */
  bestEpoch?: number;
  /** Score each percentile on these splits' errors (`threshold.on`); default: train, unnamed as in old stores. */
  thresholdOn?: ('train' | 'validation')[];
}

/** A clock that advances one second per call, for byte-stable timestamps. */
export function fixedClock(start = Date.UTC(2025, 0, 2, 3, 4, 5)): () => Date {
  let t = start;
  return () => new Date((t += 1000));
}

function confusionMetrics(errors: number[], y: number[], threshold: number, mse: number): MetricSet {
  let tp = 0;
  let fp = 0;
  let tn = 0;
  let fn = 0;
  errors.forEach((e, i) => {
    const predicted = e > threshold ? 1 : 0;
    if (predicted === 1 && y[i] === 1) tp++;
    else if (predicted === 1) fp++;
    else if (y[i] === 1) fn++;
    else tn++;
  });
  const precision = tp + fp ? tp / (tp + fp) : undefined;
  const recall = tp + fn ? tp / (tp + fn) : undefined;
  return {
    rows: y.length,
    positives: tp + fn,
    accuracy: (tp + tn) / y.length,
    precision,
    recall,
    f1:
      precision !== undefined && recall !== undefined && precision + recall > 0
        ? (2 * precision * recall) / (precision + recall)
        : undefined,
    mse,
    confusion: { tp, fp, tn, fn },
  };
}

function curves(errors: number[], y: number[]): CurvePoints {
  const order = errors.map((e, i) => [e, y[i]] as const).sort((a, b) => b[0] - a[0]);
  const positives = y.filter((v) => v === 1).length;
  const negatives = y.length - positives;
  const roc = { fpr: [0], tpr: [0], thresholds: [Infinity] };
  const pr = { recall: [0], precision: [1], thresholds: [Infinity] };
  let tp = 0;
  let fp = 0;
  let auc = 0;
  let ap = 0;
  for (const [e, label] of order) {
    if (label === 1) tp++;
    else fp++;
    const tpr = tp / positives;
    const fpr = fp / negatives;
    auc += ((fpr - roc.fpr[roc.fpr.length - 1]) * (tpr + roc.tpr[roc.tpr.length - 1])) / 2;
    ap += (tpr - pr.recall[pr.recall.length - 1]) * (tp / (tp + fp));
    roc.fpr.push(fpr);
    roc.tpr.push(tpr);
    roc.thresholds.push(e);
    pr.recall.push(tpr);
    pr.precision.push(tp / (tp + fp));
    pr.thresholds.push(e);
  }
  return { roc, pr, rocAuc: auc, prAuc: ap };
}

function percentile(values: number[], p: number): number {
  const s = [...values].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * (s.length - 1)))];
}

/**
 * The search space of a synthetic study, as an experiment file would write it: a list
 * with more than one value is a dimension (a single value belongs in the base config);
 * `model.units` exists only for lstm trials, as a conditional parameter.
 */
function syntheticSpace(
  families: string[],
  versions: string[],
  learningRates: number[],
  percentiles: number[],
): Record<string, Distribution> {
  const space: Record<string, Distribution> = {};
  const dimension = (name: string, values: Json[], when?: Record<string, Json>) => {
    if (values.length > 1 || when)
      space[name] = when ? { type: 'categorical', values, when } : { type: 'categorical', values };
  };
  dimension('model.kind', families);
  dimension('model.variant', versions);
  dimension('train.learningRate', learningRates);
  if (families.length > 1 && families.includes('lstm')) dimension('model.units', [32], { 'model.kind': 'lstm' });
  dimension('threshold.percentile', percentiles);
  return space;
}

/** The parameters of `params` that the space samples. */
function sampledOf(params: Params, space: Record<string, Distribution>): Params {
  return Object.fromEntries(
    Object.keys(params)
      .filter((k) => k in space)
      .map((k) => [k, params[k]]),
  );
}

/** A synthetic trial's reconstruction errors and the test curves they give. */
interface TrialErrors {
  train: number[];
  testErrors: number[];
  testY: number[];
  curve: CurvePoints;
}

/**
 * Writes the errors, histograms (given the thresholds), curves, examples (and, windowed, series) artifacts of a trial;
 * returns the artifacts map.
 */
async function writeTrialArtifacts(
  store: RunStore,
  ids: { studyId: string; trialId: string },
  e: TrialErrors,
  options: { windowed: boolean; thresholds?: number[] },
): Promise<Record<string, string>> {
  const { studyId, trialId } = ids;
  const { train, testErrors, testY } = e;
  const errors: ErrorsArtifact = {
    train: { mse: train, mae: train.map(Math.sqrt), y: train.map(() => 0), labels: train.map(() => '1') },
    test: { mse: testErrors, mae: testErrors.map(Math.sqrt), y: testY, labels: testY.map((v) => (v ? '2' : '1')) },
  };
  const write = (name: string, value: unknown) => store.writeArtifact(studyId, trialId, name, JSON.stringify(value));
  const wave = (shift: number) => Array.from({ length: 140 }, (_, t) => Math.sin(t / 9 + shift));
  const artifacts: Record<string, string> = {
    errors: await write(ARTIFACT.errors, errors),
    ...(options.thresholds && {
      histograms: await write(
        ARTIFACT.histograms,
        binErrors('mse', { train, test: { errors: testErrors, y: testY } }, options.thresholds),
      ),
    }),
    curves: await write(ARTIFACT.curves, { errorMetric: 'mse', test: e.curve }),
    examples: await write(ARTIFACT.examples, {
      normal: { row: 3, label: '1', error: 0.04, input: wave(0), reconstruction: wave(0.1) },
      anomalous: { row: 100, label: '2', error: 0.9, input: wave(2), reconstruction: wave(0.3) },
    }),
  };
  if (options.windowed) {
    const n = 150 + testErrors.length;
    const timestamps = Array.from({ length: n }, (_, i) => Date.UTC(2024, 0, 1) + i * 300_000);
    artifacts.series = await write(ARTIFACT.series, {
      timestamps,
      values: timestamps.map((_, i) => 80 + 5 * Math.sin(i / 20) + (i > 250 && i < 270 ? 20 : 0)),
      anomalyWindows: [[timestamps[248], timestamps[272]]],
      windowSize: 10,
      stride: 1,
      testWindowStarts: testErrors.map((_, i) => Math.min(n - 10, 140 + i)),
    });
  }
  return artifacts;
}

/** One evaluation per percentile threshold on the train errors, in percentile order. */
function percentileVariants(
  e: TrialErrors,
  percentiles: number[],
  configHash: string,
  space: Record<string, Distribution>,
  validationMse: () => number,
  thresholdOn?: ('train' | 'validation')[],
): NewEvaluation[] {
  const variants = (thresholdOn ?? [undefined]).flatMap((on) => percentiles.map((p) => ({ on, p })));
  return variants.map(({ on, p }) => {
    // Validation normals stand in as the training errors, 20% higher (a held-out set reconstructs worse).
    const threshold = percentile(e.train, p) * (on === 'validation' ? 1.2 : 1);
    const test = confusionMetrics(
      e.testErrors,
      e.testY,
      threshold,
      e.testErrors.reduce((a, b) => a + b, 0) / e.testErrors.length,
    );
    test.rocAuc = e.curve.rocAuc ?? undefined;
    test.prAuc = e.curve.prAuc ?? undefined;
    const scoring: Params = {
      'scoring.errorMetric': 'mse',
      'threshold.rule': 'percentile',
      'threshold.percentile': p,
      ...(on && { 'threshold.on': on }),
    };
    return {
      configHash: `${configHash}${on ? `-${on}` : ''}-p${p}`,
      scoring,
      sampled: sampledOf(scoring, space),
      threshold,
      usesLabels: false,
      metrics: { test, validation: { rows: 30, positives: 0, mse: validationMse() } },
    };
  });
}

/**
 * Writes a study shaped like the seed nine-model sweep (families x versions x learning
 * rates x repeats, each trial scored at several percentiles) into a store, with
 * artifacts whose numbers are consistent with the recorded metrics.
 */
export async function writeSyntheticStudy(store: RunStore, options: SyntheticStudyOptions = {}): Promise<string> {
  const rand = seeded(options.seed ?? 7);
  const families = options.families ?? ['dense', 'conv1d', 'lstm'];
  const versions = options.versions ?? ['base', 'regularized', 'tuned'];
  const learningRates = options.learningRates ?? [0.001, 0.01];
  const repeats = options.repeats ?? 2;
  const percentiles = options.percentiles ?? [85, 90, 95];
  const epochs = options.epochs ?? 12;
  const withArtifacts = options.artifacts ?? true;
  const study = await store.createStudy({
    name: options.name ?? 'Nine models on synthetic ECG',
    experimentPath: 'experiments/nine-models.json',
    experiment: { name: 'nine-models' },
    experimentHash: `hash-${options.name ?? 'nine'}`,
    gitCommit: 'abc1234',
    dataset: options.windowed ? 'nab-machine-temperature' : 'synthetic-ecg',
    selection: options.selection ?? { metric: 'rocAuc', direction: 'maximize', split: 'test' },
  });
  const space = syntheticSpace(families, versions, learningRates, percentiles);
  let number = 0;
  for (const [fi, family] of families.entries()) {
    for (const [vi, version] of versions.entries()) {
      for (const lr of learningRates) {
        const params: Params = {
          'model.kind': family,
          'model.variant': version,
          'train.learningRate': lr,
          'train.epochs': epochs,
          ...options.trainingParams,
        };
        if (family === 'lstm') params['model.units'] = 32;
        const configHash = `cfg-${family}-${version}-${lr}`;
        const quality = 0.3 + 0.15 * fi + 0.12 * vi + (lr === 0.001 ? 0.05 : 0);
        for (let repeat = 0; repeat < repeats; repeat++) {
          const trial = await store.startTrial(study.id, {
            configHash,
            params,
            sampled: sampledOf(params, space),
            distributions: space,
            repeat,
            seed: 1000 + repeat,
            environment: { backend: 'wasm', versions: { '@tensorflow/tfjs': '4.22.0' }, gitCommit: 'abc1234' },
            dataFingerprint: 'fp-1',
          });
          const trialNumber = number++;
          if (trialNumber < (options.failures ?? 0)) {
            await store.finishTrial(trial.id, { status: 'failed', reason: 'loss became NaN at epoch 3 <b>bold?</b>' });
            continue;
          }
          const history: EpochRecord[] = Array.from({ length: epochs }, (_, e) => ({
            epoch: e + 1,
            loss: 0.5 / (1 + e * quality) + 0.01 * rand(),
            valLoss: 0.55 / (1 + e * quality * 0.9) + 0.02 * rand(),
            seconds: 0.2,
          }));
          const errorsOf = (n: number, anomalous: boolean) =>
            Array.from({ length: n }, () =>
              anomalous ? 0.2 + quality * 0.6 * rand() + 0.3 * rand() : 0.05 + 0.25 * rand(),
            );
          const train = errorsOf(120, false);
          const testNormal = errorsOf(90, false);
          const testAnomalous = errorsOf(60, true);
          const testErrors = [...testNormal, ...testAnomalous];
          const testY = [...testNormal.map(() => 0), ...testAnomalous.map(() => 1)];
          const curve = curves(testErrors, testY);
          const errors = { train, testErrors, testY, curve };
          const thresholds = options.histograms === false ? undefined : percentiles.map((p) => percentile(train, p));
          const artifacts = withArtifacts
            ? await writeTrialArtifacts(store, { studyId: study.id, trialId: trial.id }, errors, {
                windowed: options.windowed ?? false,
                thresholds,
              })
            : {};
          await store.finishTrial(trial.id, {
            status: 'complete',
            trainSeconds: 10 + 5 * fi + rand(),
            history,
            bestEpoch: options.bestEpoch ?? epochs,
            parameterCount: 5000 + 1000 * fi,
            artifacts,
          });
          const validationMse = () => 0.1 / quality + 0.01 * rand();
          const evaluations = percentileVariants(
            errors,
            percentiles,
            configHash,
            space,
            validationMse,
            options.thresholdOn,
          );
          await store.addEvaluations(trial.id, evaluations);
        }
      }
    }
  }
  return study.id;
}

/** A fresh in-memory store with a pinned clock. */
export function newStore(): InMemoryRunStore {
  return new InMemoryRunStore({ now: fixedClock() });
}
