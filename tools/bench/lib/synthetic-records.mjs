// Records shaped like a sweep's, for the benches that fill a store without training.

/**
 * A percentile-rule scoring of configuration `configHash` at percentile `p` that scored
 * `f1` on a 4,500-row test split (1,900 anomalies); `test` adds or replaces test metrics.
 */
export function percentileEvaluation(configHash, p, f1, test = {}) {
  return {
    configHash: `${configHash}-p${p}`,
    scoring: { 'threshold.rule': 'percentile', 'threshold.percentile': p },
    threshold: 0.2 + p / 1000,
    usesLabels: false,
    metrics: {
      test: {
        rows: 4500,
        positives: 1900,
        accuracy: f1,
        precision: f1,
        recall: f1,
        f1,
        rocAuc: 0.66,
        prAuc: 0.75,
        mse: 0.3,
        ...test,
      },
    },
  };
}
