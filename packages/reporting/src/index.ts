export { renderReport, fileSlug, mergeIntervals, type RenderReportOptions, type RenderedReport } from './render.js';
export {
  buildLeaderboard,
  representativeTrial,
  describeRule,
  LEADERBOARD_METRICS,
  METRIC_LABELS,
  FAMILY_PARAM,
  VARIANT_PARAMS,
  type Leaderboard,
  type LeaderboardRow,
  type LeaderboardMetric,
} from './leaderboard.js';
export { summarize, type Summary } from './stats.js';
export { renderChart, stabilizeSvgIds, type RenderedChart } from './svg.js';
export { VEGA_LITE_SCHEMA, CHART_CONFIG } from './charts/common.js';
export { lossCurvesSpec, MAX_EPOCHS_PER_CURVE, type LossCurve } from './charts/loss-curves.js';
export { metricVsParamSpec, type ParamPoint } from './charts/metric-vs-param.js';
export { parallelCoordinatesSpec, type ParallelRow } from './charts/parallel-coordinates.js';
export { thresholdSweepSpec, type SweepVariant } from './charts/threshold-sweep.js';
export { trialsOverTimeSpec, type TrialScore } from './charts/trials-over-time.js';
export { errorHistogramsSpec, type ErrorHistogramsInput, type ThresholdLine } from './charts/error-histograms.js';
export { rocPrSpec, MAX_CURVE_POINTS, type NamedCurves } from './charts/roc-pr.js';
export { confusionMatrixSpec, type Confusion } from './charts/confusion-matrix.js';
export { reconstructionSpec, MAX_EXAMPLE_POINTS } from './charts/reconstruction.js';
export { seriesWindowsSpec, MAX_SERIES_POINTS, type SeriesWindowsInput } from './charts/series-windows.js';
