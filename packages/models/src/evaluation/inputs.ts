// Moved to @aelab/core with the metrics (see metrics.ts); re-exported for the thresholds.
export { assertBinaryLabels, assertFinite, assertScores, quote } from '@aelab/core';
