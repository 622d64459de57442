/**
 * The one rule for "best". A study's objective for an evaluated configuration (a training
 * configuration x a scoring variant) is the mean over its repeats of the selection metric
 * on the selection split. Ties go to the smaller spread over repeats, then to the smaller
 * config hash, so the order is total and stable. The sampler, the progress line,
 * `aelab runs best`, the leaderboard, the trial pages and the threshold saved with each
 * model all decide through the functions here. Baseline detectors (`baseline` inputs) are
 * ranked by the same rule but never win: the winner is the best autoencoder, and the best
 * baseline is found apart ({@link bestBaselineOf}) to be compared with it.
 */
import { z } from 'zod';
import { METRIC_NAMES, metricValue, type MetricSet } from './metrics.js';
import { closestName } from './zod-issues.js';
import { SPLIT_NAMES, type SplitName } from './vocabulary.js';

export const selectionSchema = z
  .object({
    metric: z
      .string()
      .refine((name) => (METRIC_NAMES as readonly string[]).includes(name), {
        error: (issue) => `is not a known metric${metricHint(String(issue.input))}`,
      })
      .meta({ enum: [...METRIC_NAMES] })
      .describe(`A metric name: ${METRIC_NAMES.join(', ')}.`),
    direction: z.enum(['maximize', 'minimize']),
    split: z.enum(SPLIT_NAMES),
    allowTest: z
      .boolean()
      .optional()
      .describe('Required to select on the test split: test labels then choose the winner, so its test scores are optimistic (reports say so).'),
  })
  .strict();

function metricHint(name: string): string {
  const closest = closestName(name, METRIC_NAMES);
  return closest ? `; did you mean "${closest}"?` : `; known: ${METRIC_NAMES.join(', ')}`;
}

/** What the CLI and the report print beside a study that lets test labels choose its winner. */
export const TEST_SELECTION_WARNING = 'selected on test data: optimistic';

/** The warning a study's selection rule calls for, if any (selecting on the test split). */
export function selectionWarning(rule: Pick<SelectionRule, 'split'>): string | undefined {
  return rule.split === 'test' ? TEST_SELECTION_WARNING : undefined;
}

/** How the winner of a study is chosen. */
export type SelectionRule = z.output<typeof selectionSchema>;

/** Mean and spread of one quantity over the repeats of an evaluated configuration. */
export interface Summary {
  mean: number;
  /** Sample standard deviation (n - 1); null with fewer than two values, where it is undefined. */
  std: number | null;
  n: number;
}

/** Summarises the finite values; null when there are none. */
export function summarize(values: readonly (number | null | undefined)[]): Summary | null {
  const finite = values.filter((v): v is number => typeof v === 'number' && Number.isFinite(v));
  if (finite.length === 0) return null;
  const mean = finite.reduce((a, b) => a + b, 0) / finite.length;
  if (finite.length < 2) return { mean, std: null, n: 1 };
  const variance = finite.reduce((a, b) => a + (b - mean) ** 2, 0) / (finite.length - 1);
  return { mean, std: Math.sqrt(variance), n: finite.length };
}

/** The selection metric of one evaluation on the selection split, or undefined. */
export function selectionValue(rule: SelectionRule, metrics: Partial<Record<SplitName, MetricSet>>): number | undefined {
  return metricValue(metrics[rule.split], rule.metric);
}

/** True when `a` is strictly better than `b` under the direction. */
export function isBetter(a: number, b: number, direction: SelectionRule['direction']): boolean {
  return direction === 'maximize' ? a > b : a < b;
}

/** The objective with larger = better, for samplers and pruners that always maximise. */
export function oriented(value: number, direction: SelectionRule['direction']): number {
  return direction === 'maximize' ? value : -value;
}

/** One evaluation as the objective sees it. */
export interface ObjectiveInput {
  /** The evaluated configuration: training configuration x scoring variant. */
  configHash: string;
  /** The training configuration it scores (the trial's config hash). */
  trainingHash: string;
  metrics: Partial<Record<SplitName, MetricSet>>;
  /** A baseline detector's evaluation (see vocabulary's BASELINE_PARAM): ranked, never the winner. */
  baseline?: boolean;
}

/** An evaluated configuration with its objective over repeats. */
export interface RankedConfiguration<E extends ObjectiveInput = ObjectiveInput> {
  configHash: string;
  trainingHash: string;
  /** Its evaluations, one per repeat, in input order. */
  evaluations: E[];
  /** The objective: the selection value summarised over repeats; null when no repeat has one. */
  score: Summary | null;
  /** 1-based position; configurations without a score come last. */
  rank: number;
  /** A baseline detector's configuration: ranked with the others, compared with the winner, never the winner. */
  baseline: boolean;
}

/** Orders two configurations best first (see the module comment for the tie rules). */
export function compareConfigurations(
  direction: SelectionRule['direction'],
  a: Pick<RankedConfiguration, 'score' | 'configHash'>,
  b: Pick<RankedConfiguration, 'score' | 'configHash'>,
): number {
  if (a.score && b.score) {
    if (a.score.mean !== b.score.mean) return isBetter(a.score.mean, b.score.mean, direction) ? -1 : 1;
    const sa = a.score.std ?? Infinity;
    const sb = b.score.std ?? Infinity;
    if (sa !== sb) return sa < sb ? -1 : 1;
  } else if (a.score || b.score) {
    return a.score ? -1 : 1;
  }
  return a.configHash < b.configHash ? -1 : a.configHash > b.configHash ? 1 : 0;
}

/** Groups evaluations into configurations and ranks them by the objective, best first. */
export function rankConfigurations<E extends ObjectiveInput>(rule: SelectionRule, evaluations: readonly E[]): RankedConfiguration<E>[] {
  const groups = new Map<string, E[]>();
  for (const e of evaluations) {
    const group = groups.get(e.configHash);
    if (group) group.push(e);
    else groups.set(e.configHash, [e]);
  }
  const ranked: RankedConfiguration<E>[] = [...groups].map(([configHash, group]) => ({
    configHash,
    trainingHash: group[0].trainingHash,
    evaluations: group,
    score: summarize(group.map((e) => selectionValue(rule, e.metrics))),
    rank: 0,
    baseline: group[0].baseline === true,
  }));
  ranked.sort((a, b) => compareConfigurations(rule.direction, a, b));
  ranked.forEach((r, i) => (r.rank = i + 1));
  return ranked;
}

/**
 * The best-ranked configuration of each training configuration: the scoring variant a
 * study uses for that training (its threshold is the one saved with the model, its
 * score is what the sampler is told). Input must be ranked.
 */
export function bestPerTraining<E extends ObjectiveInput>(ranked: readonly RankedConfiguration<E>[]): Map<string, RankedConfiguration<E>> {
  const best = new Map<string, RankedConfiguration<E>>();
  for (const r of ranked) if (!best.has(r.trainingHash)) best.set(r.trainingHash, r);
  return best;
}

/** The winner: the best-ranked autoencoder configuration (baselines never win), when it has a score. */
export function winnerOf<E extends ObjectiveInput>(ranked: readonly RankedConfiguration<E>[]): RankedConfiguration<E> | null {
  const first = ranked.find((r) => !r.baseline);
  return first?.score ? first : null;
}

/** The best baseline detector configuration, by the same rule, when it has a score; input must be ranked. */
export function bestBaselineOf<E extends ObjectiveInput>(
  ranked: readonly RankedConfiguration<E>[],
): RankedConfiguration<E> | null {
  const first = ranked.find((r) => r.baseline);
  return first?.score ? first : null;
}

/** The rule in words, e.g. "highest mean f1 on the test split over repeats". */
export function describeSelection(rule: SelectionRule, metricLabel: string = rule.metric): string {
  const word = rule.direction === 'maximize' ? 'highest' : 'lowest';
  return `${word} mean ${metricLabel} on the ${rule.split} split over repeats`;
}
