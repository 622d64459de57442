export { renderReport, type RenderReportOptions, type RenderedReport } from './render.js';
export { fileSlug } from './paths.js';
export { formatComparison } from './format.js';
export {
  baselineVerdict,
  baselineVerdictFromStore,
  type BaselineVerdict,
  type ErrorsLoader,
} from './baseline-verdict.js';
export { mergeIntervals } from './pages/trial-charts.js';
export {
  buildLeaderboard,
  representativeTrial,
  rowParameters,
  LEADERBOARD_METRICS,
  METRIC_LABELS,
  FAMILY_PARAM,
  VARIANT_PARAMS,
  type Leaderboard,
  type LeaderboardRow,
  type LeaderboardMetric,
  type RankedEvaluation,
  type RankedStudyConfiguration,
} from './leaderboard.js';
export { renderChart, stabilizeSvgIds, type RenderedChart } from './svg.js';
export { VEGA_LITE_SCHEMA, CHART_CONFIG } from './charts/common.js';
export { intermediateValuesSpec, type IntermediateCurve } from './charts/intermediate-values.js';
export { lossCurvesSpec, MAX_EPOCHS_PER_CURVE, type LossCurve } from './charts/loss-curves.js';
export { metricVsParamSpec, type ParamPoint } from './charts/metric-vs-param.js';
export { parallelCoordinatesSpec, type ParallelRow } from './charts/parallel-coordinates.js';
export { thresholdSweepSpec, type SweepVariant } from './charts/threshold-sweep.js';
export { trialsOverTimeSpec, type TrialScore } from './charts/trials-over-time.js';
export { errorHistogramsSpec, type ErrorHistogramsInput, type ThresholdLine } from './charts/error-histograms.js';
export { rocPrSpec, MAX_CURVE_POINTS, type NamedCurves } from './charts/roc-pr.js';
export { confusionMatrixSpec } from './charts/confusion-matrix.js';
export { reconstructionSpec, MAX_EXAMPLE_POINTS } from './charts/reconstruction.js';
export { seriesWindowsSpec, MAX_SERIES_POINTS, type SeriesWindowsInput } from './charts/series-windows.js';
export { parameterImportanceSpec, type ImportanceBar } from './charts/parameter-importance.js';
export {
  parameterImportance,
  IMPORTANCE_TREES,
  MIN_IMPORTANCE_CONFIGURATIONS,
  type ImportanceResult,
  type ParameterImportance,
} from './importance/parameter-importance.js';
export { leaderboardTextTable, markdownTable, type TextTable } from './markdown.js';
export { studyExport, formatExport, EXPORT_LEAD_COLUMNS, type ExportValue, type StudyExport } from './export.js';
export { createServeApp, serve, type ServeOptions } from './server/app.js';
export {
  MAX_COMPARED_STUDIES,
  MAX_QUERY_LENGTH,
  SERVE_LOOK_MS,
  SWEEP_RENDER_MS,
  type ServedStoreOptions,
} from './server/served-store.js';
export type { StudySummary, StudyState, LiveState, RunningTrial } from './server/study-state.js';
export { winnerIntervalsSpec, type IntervalRow } from './charts/winner-intervals.js';
