/** The charts of a trial's page, drawn from its record, its featured evaluation and its artifacts. */
import {
  binErrors,
  ERROR_METRICS,
  type ErrorHistograms,
  type ErrorMetric,
  type Params,
  type SeriesArtifact,
} from '@aelab/core';
import type { EvaluationRecord, TrialRecord } from '@aelab/store';
import { artifactPath, type TrialArtifacts } from '../artifacts.js';
import { confusionMatrixSpec } from '../charts/confusion-matrix.js';
import { errorHistogramsSpec, type ThresholdLine } from '../charts/error-histograms.js';
import { lossCurvesSpec } from '../charts/loss-curves.js';
import { reconstructionSpec } from '../charts/reconstruction.js';
import { rocPrSpec, type NamedCurves } from '../charts/roc-pr.js';
import { seriesWindowsSpec } from '../charts/series-windows.js';
import { formatNumber, scoringLabel } from '../format.js';
import { chartView, type ChartView } from './page.js';

/** The error metric a scoring thresholds (`scoring.errorMetric`), when it names a known one. */
export function errorMetricOf(scoring: Params): ErrorMetric | undefined {
  const value = scoring['scoring.errorMetric'];
  return (ERROR_METRICS as readonly unknown[]).includes(value) ? (value as ErrorMetric) : undefined;
}

/** Union of [start, end] intervals, sorted, with overlapping or touching ones merged. */
export function mergeIntervals(intervals: readonly (readonly [number, number])[]): [number, number][] {
  const sorted = [...intervals]
    .map(([a, b]) => [Math.min(a, b), Math.max(a, b)] as [number, number])
    .sort((x, y) => x[0] - y[0]);
  const out: [number, number][] = [];
  for (const [a, b] of sorted) {
    const last = out[out.length - 1];
    if (last && a <= last[1]) last[1] = Math.max(last[1], b);
    else out.push([a, b]);
  }
  return out;
}

/** What a trial's charts are drawn from. */
interface TrialChartInput {
  trial: TrialRecord;
  artifacts: TrialArtifacts;
  /** The trial's evaluations, and the one its page features. */
  evaluations: EvaluationRecord[];
  featured: EvaluationRecord | undefined;
  /** The error metric the errors are read as: the curves artifact's, else the featured scoring's, else MSE. */
  errorMetric: ErrorMetric;
}

/** True when the trial's training restored its best epoch's weights (early stopping with `restoreBestWeights`). */
export function restoredBestWeights(trial: TrialRecord): boolean {
  return trial.params['training.earlyStopping.restoreBestWeights'] === true;
}

/**
 * Which epoch's weights the trial's errors come from. The record's `bestEpoch` is the epoch
 * of the lowest monitored loss whether or not its weights were kept, so it is named as
 * kept only when the training restored them.
 */
export function weightsText(trial: TrialRecord): string {
  const last = trial.history.at(-1)?.epoch;
  const lastText = last === undefined ? 'the last epoch' : `epoch ${last}, the last`;
  if (trial.bestEpoch === null) return `from ${lastText}`;
  if (restoredBestWeights(trial)) {
    return `from epoch ${trial.bestEpoch}, the lowest monitored loss (early stopping restored it)`;
  }
  const withoutStopping = trial.params['training.earlyStopping.patience'] === undefined;
  const stopping = withoutStopping ? 'no early stopping' : 'best weights not restored';
  return `from ${lastText} (${stopping}); the lowest monitored loss was at epoch ${trial.bestEpoch}`;
}

function lossChart({ trial }: TrialChartInput): Promise<ChartView> {
  return chartView('loss', 'Loss curve', () =>
    trial.history.length
      ? lossCurvesSpec([{ label: `#${trial.number}`, history: trial.history }], {
          title: `Training (solid) and validation (dashed) loss; weights ${weightsText(trial)}`,
        })
      : `No training history recorded (status ${trial.status}${trial.reason ? `: ${trial.reason}` : ''}).`,
  );
}

/**
 * The trial's errors of `errorMetric` binned: its histograms artifact, else its errors artifact binned the same way; or
 * why there are none.
 */
async function binnedErrors(
  artifacts: TrialArtifacts,
  errorMetric: ErrorMetric,
  thresholds: readonly ThresholdLine[],
): Promise<ErrorHistograms | string> {
  if (artifacts.histograms.value?.errorMetric === errorMetric) return artifacts.histograms.value;
  const errors = await artifacts.errors();
  if (!errors.value) return errors.missing;
  const test = errors.value.test;
  const train = errors.value.train?.[errorMetric];
  const testErrors = test?.[errorMetric];
  if (!train && !testErrors) return `The errors artifact has no ${errorMetric} errors for the train or test split.`;
  // JSON writes NaN as null, which binErrors leaves out as it does NaN (Number.isFinite(null) is false).
  const rows = { train, test: testErrors && { errors: testErrors, y: test!.y } };
  return binErrors(
    errorMetric,
    rows,
    thresholds.map((t) => t.value),
  );
}

/** Train and test error histograms with a line at every threshold of the same error metric. */
async function histogramsChart({ artifacts, evaluations, errorMetric }: TrialChartInput): Promise<ChartView> {
  const thresholds: ThresholdLine[] = evaluations
    .filter((e) => (errorMetricOf(e.scoring) ?? errorMetric) === errorMetric && Number.isFinite(e.threshold))
    .map((e) => ({ label: scoringLabel(e.scoring), value: e.threshold }));
  const histograms = await binnedErrors(artifacts, errorMetric, thresholds);
  return chartView('histograms', 'Reconstruction error histograms', () =>
    typeof histograms === 'string'
      ? histograms
      : errorHistogramsSpec({ histograms, thresholds, errorLabel: `Reconstruction ${errorMetric.toUpperCase()}` }),
  );
}

function rocPrChart({ artifacts }: TrialChartInput): Promise<ChartView> {
  return chartView('roc-pr', 'ROC and precision-recall', () => {
    const curves = artifacts.curves;
    if (!curves.value) return curves.missing;
    const sets: NamedCurves[] = [];
    if (curves.value.test) sets.push({ label: 'test', curves: curves.value.test });
    if (curves.value.validation) sets.push({ label: 'validation', curves: curves.value.validation });
    return sets.length ? rocPrSpec(sets) : 'The curves artifact holds no split.';
  });
}

function confusionChart({ featured }: TrialChartInput): Promise<ChartView> {
  return chartView('confusion', 'Confusion matrix', () => {
    const matrix = featured?.metrics.test?.confusion;
    return matrix
      ? confusionMatrixSpec(matrix, {
          title: `Test, threshold ${scoringLabel(featured.scoring)} = ${formatNumber(featured.threshold, 'threshold')}`,
        })
      : 'No test confusion matrix was recorded for this trial.';
  });
}

function examplesChart({ artifacts }: TrialChartInput): Promise<ChartView> {
  return chartView('examples', 'Reconstruction examples', () => {
    const ex = artifacts.examples;
    if (!ex.value) return ex.missing;
    return ex.value.normal || ex.value.anomalous
      ? reconstructionSpec(ex.value)
      : 'The examples artifact holds no example.';
  });
}

/** The time spans of the test windows whose error exceeds the threshold, merged. */
function flaggedWindows(series: SeriesArtifact, testErrors: readonly number[], threshold: number): [number, number][] {
  const last = series.timestamps.length - 1;
  const flagged: [number, number][] = [];
  series.testWindowStarts.forEach((start, i) => {
    if (testErrors[i] > threshold)
      flagged.push([series.timestamps[start], series.timestamps[Math.min(start + series.windowSize - 1, last)]]);
  });
  return mergeIntervals(flagged);
}

/**
 * The series with its labelled windows and those the featured evaluation flags; undefined when the trial has no series.
 */
async function seriesChart({
  trial,
  artifacts,
  featured,
  errorMetric,
}: TrialChartInput): Promise<ChartView | undefined> {
  if (artifactPath(trial, 'series') === undefined) return undefined;
  const errors = artifacts.series.value && featured ? await artifacts.errors() : undefined;
  return chartView('series', 'Series with anomaly windows', () => {
    const s = artifacts.series;
    if (!s.value) return s.missing;
    const testErrors = errors?.value?.test?.[errorMetric];
    return seriesWindowsSpec({
      timestamps: s.value.timestamps,
      values: s.value.values,
      labelled: s.value.anomalyWindows,
      detected: featured && testErrors ? flaggedWindows(s.value, testErrors, featured.threshold) : [],
      title: featured
        ? `Labelled windows and windows flagged at ${scoringLabel(featured.scoring)}`
        : 'Labelled windows (no evaluation to flag windows)',
    });
  });
}

/** The chart slots of the trial page's template, rendered in page order. */
export async function trialCharts(input: Omit<TrialChartInput, 'errorMetric'>) {
  const errorMetric =
    input.artifacts.curves.value?.errorMetric ?? (input.featured && errorMetricOf(input.featured.scoring)) ?? 'mse';
  const full = { ...input, errorMetric };
  return {
    loss: await lossChart(full),
    histograms: await histogramsChart(full),
    rocPr: await rocPrChart(full),
    confusion: await confusionChart(full),
    examples: await examplesChart(full),
    series: await seriesChart(full),
  };
}
