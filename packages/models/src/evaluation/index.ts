// Thresholds and metrics: pure TypeScript, no tfjs, so the main thread of a sweep and
// the score command can evaluate saved errors without loading a backend.
export type { ThresholdRule, ThresholdSplit, ThresholdInputs, ComputedThreshold } from './thresholds.js';
export {
  computeThreshold,
  validateThresholdRule,
  percentile,
  meanAndStd,
  bestF1Threshold,
  flagAnomalies,
} from './thresholds.js';
export type {
  Confusion,
  BinaryMetrics,
  RocCurve,
  PrCurve,
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
  averagePrecision,
  rocCurve,
  prCurve,
  normalPositiveMetrics,
  classificationReport,
  formatClassificationReport,
  reconstructionSummary,
} from './metrics.js';
