// Thresholds and metrics: pure TypeScript, no tfjs, so the main thread of a sweep and
// the score command can evaluate saved errors without loading a backend. Rule and
// confusion types are core's (`ThresholdRule`, `ThresholdSplit`, `Confusion`).
export type { ThresholdInputs, ComputedThreshold } from './thresholds.js';
export {
  computeThreshold,
  validateThresholdRule,
  percentile,
  meanAndStd,
  bestF1Threshold,
  flagAnomalies,
} from './thresholds.js';
export type {
  BinaryMetrics,
  RocCurve,
  PrCurve,
  RocPoints,
  PrPoints,
  RankedCounts,
  ClassScores,
  ClassificationReport,
  ReconstructionSummary,
} from './metrics.js';
export {
  binaryClfCurve,
  binaryMetrics,
  confusionMatrix,
  rocAuc,
  rocAucOf,
  averagePrecision,
  averagePrecisionOf,
  rocCurve,
  rocCurveOf,
  rocPointsOf,
  prCurve,
  prCurveOf,
  prPointsOf,
  normalPositiveMetrics,
  classificationReport,
  formatClassificationReport,
  reconstructionSummary,
} from './metrics.js';
