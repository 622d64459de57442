import { z } from 'zod';
import { binaryClfCurve } from '../ranked-counts.js';
import { assertBinaryLabels } from '../score-inputs.js';
import { assertFiniteScores, type ThresholdRuleDefinition } from './rule.js';

const schema = z
  .object({ rule: z.literal('bestF1'), on: z.enum(['validation', 'test']).optional() })
  .strict()
  .describe('The threshold with the best F1 on labelled errors: uses labels, so its score is optimistic.');

/** The threshold with the best F1 on a labelled split: the only rule that looks at labels. */
export const bestF1Rule: ThresholdRuleDefinition<typeof schema> = {
  name: 'bestF1',
  schema,
  usesLabels: true,
  fitsOn: (rule) => rule.on ?? 'validation',
  compute(rule, inputs) {
    const on = rule.on ?? 'validation';
    if (inputs.labelled === undefined) {
      throw new RangeError(`bestF1 on ${on} needs labelled scores (errors.labelled), got none`);
    }
    const { threshold, f1 } = bestF1Threshold(inputs.labelled.y, inputs.labelled.scores);
    return {
      threshold,
      usesLabels: true,
      description:
        `best F1 (${f1.toFixed(4)}) on ${on} labels (n=${inputs.labelled.scores.length}); ` +
        'uses labels, so optimistic',
      interval: null,
    };
  },
  label: () => 'bestF1',
};

/**
 * The F1-maximising threshold on labelled scores. Candidates are the distinct scores
 * (flag everything scoring at least that much); since a sample is anomalous when its
 * score is strictly greater than the threshold, the returned threshold sits halfway
 * between the chosen score and the next lower distinct score. Ties in F1 keep the higher
 * threshold (fewer alarms).
 */
export function bestF1Threshold(y: ArrayLike<number>, scores: ArrayLike<number>): { threshold: number; f1: number } {
  const positives = assertBinaryLabels('y', y, { name: 'scores', length: scores.length });
  assertFiniteScores('scores', scores);
  if (positives === 0) {
    throw new RangeError('bestF1 needs at least one anomaly (label 1) in the labelled scores, got none');
  }
  const { tps, fps, thresholds } = binaryClfCurve(y, scores);
  let best = 0;
  let bestF1 = -1;
  for (let k = 0; k < thresholds.length; k++) {
    const tp = tps[k]!;
    const precision = tp / (tp + fps[k]!);
    const recall = tp / positives;
    const f1 = precision + recall === 0 ? 0 : (2 * precision * recall) / (precision + recall);
    if (f1 > bestF1) {
      bestF1 = f1;
      best = k;
    }
  }
  const chosen = thresholds[best]!;
  let threshold: number;
  if (best + 1 < thresholds.length) {
    const lower = thresholds[best + 1]!;
    threshold = lower + (chosen - lower) / 2;
    // Adjacent doubles: the midpoint may round up to `chosen`, which would unflag it.
    if (!(threshold < chosen)) threshold = lower;
  } else {
    // Flag everything: go below the lowest score by half the nearest gap (or 1).
    const gap = best > 0 ? thresholds[best - 1]! - chosen : Math.max(1, Math.abs(chosen));
    threshold = chosen - gap / 2;
  }
  return { threshold, f1: bestF1 };
}
