// Threshold rules are core's (`THRESHOLD_RULES`: each rule's schema, computation and label in
// one file of core's threshold-rules/); this entry keeps offering them beside the metrics.
export {
  bestF1Threshold,
  computeThreshold,
  meanAndStd,
  percentile,
  validateThresholdRule,
  type ComputedThreshold,
  type ThresholdInputs,
} from '@aelab/core';

/**
 * 1 where the error is strictly greater than the threshold (an anomaly), else 0. Strict, so
 * the `max` rule flags no sample of its own split. (The TensorFlow tutorial's
 * `tf.math.less(loss, threshold)` calls a sample normal only below the threshold, i.e.
 * anomalous at equality; the two differ only for errors exactly equal to the threshold.)
 */
export function flagAnomalies(errors: ArrayLike<number>, threshold: number): Uint8Array {
  const flags = new Uint8Array(errors.length);
  for (let i = 0; i < errors.length; i++) flags[i] = errors[i]! > threshold ? 1 : 0;
  return flags;
}
