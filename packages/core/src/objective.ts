/**
 * The one rule for "best". A study's objective for an evaluated configuration (a training
 * configuration x a scoring variant) is the mean over its repeats of the selection metric
 * on the selection split. Equal means go to the better mean of each tie-break metric in
 * turn (`selection.tieBreak`, see {@link tieBreakMetrics}), then to the smaller spread over
 * repeats. Configurations still equal are a tie, and say so (`tiedWith`): the config hash
 * only orders them for display, so the order is total and stable but never decides
 * silently. The sampler, the progress line, `aelab runs best`, the leaderboard, the trial
 * pages and the threshold saved with each model all decide through the functions here.
 * Baseline detectors (`baseline` inputs) are ranked by the same rule but never win: the
 * winner is the best autoencoder, and the best baseline is found apart ({@link bestBaselineOf})
 * to be compared with it.
 */
import { z } from 'zod';
import { METRIC_NAMES, metricDirection, metricValue, THRESHOLD_FREE_METRICS, type MetricSet } from './metrics.js';
import { closestName } from './zod-issues.js';
import { SPLIT_NAMES, type SplitName } from './vocabulary.js';

const metricName = z
  .string()
  .refine((name) => (METRIC_NAMES as readonly string[]).includes(name), {
    error: (issue) => `is not a known metric${metricHint(String(issue.input))}`,
  })
  .meta({ enum: [...METRIC_NAMES] });

export const selectionSchema = z
  .object({
    metric: metricName.describe(`A metric name: ${METRIC_NAMES.join(', ')}.`),
    direction: z.enum(['maximize', 'minimize']),
    split: z.enum(SPLIT_NAMES),
    allowTest: z
      .boolean()
      .optional()
      .describe(
        'Required to select on the test split: test labels then choose the winner, ' +
          'so its test scores are optimistic (reports say so).',
      ),
    tieBreak: z
      .array(metricName)
      .optional()
      .describe(
        'Metrics that order configurations with equal means, in turn, each its mean on the selection split, higher ' +
          'better (lower for mse, mae, rmse). Default ["f1"] after a threshold-free metric (rocAuc, prAuc, mse, mae, ' +
          'rmse), else none. Configurations still equal are reported as a tie.',
      ),
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

/**
 * A spread below this share of the largest magnitude is rounding, not variation: five copies
 * of 0.88235 summed and divided give a mean one unit in the last place off, and so a
 * variance of 1.5e-32 instead of 0, which made a p-value "< 0.001" or undefined by chance.
 */
export const NO_SPREAD_TOLERANCE = 1e-12;

/**
 * Summarises the finite values; null when there are none. Values equal up to rounding
 * (spread within {@link NO_SPREAD_TOLERANCE} of the largest magnitude) have std exactly 0.
 * A function of the values, not of their order: they are added smallest first, since
 * repeats are recorded in the order they end (two workers) and a float sum's last bit
 * depends on its order, which would turn a tie into a rank.
 */
export function summarize(values: readonly (number | null | undefined)[]): Summary | null {
  const finite = values.filter((v): v is number => typeof v === 'number' && Number.isFinite(v)).sort((a, b) => a - b);
  if (finite.length === 0) return null;
  const mean = finite.reduce((a, b) => a + b, 0) / finite.length;
  if (finite.length < 2) return { mean, std: null, n: 1 };
  const variance = finite.reduce((a, b) => a + (b - mean) ** 2, 0) / (finite.length - 1);
  const scale = Math.max(...finite.map(Math.abs));
  const std = Math.sqrt(variance);
  return { mean, std: std <= NO_SPREAD_TOLERANCE * scale ? 0 : std, n: finite.length };
}

/** The selection metric of one evaluation on the selection split, or undefined. */
export function selectionValue(
  rule: SelectionRule,
  metrics: Partial<Record<SplitName, MetricSet>>,
): number | undefined {
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

/** What the rule compares of a configuration: its objective and its tie-break metrics, over repeats. */
export interface ConfigurationScore {
  /** The objective: the selection value summarised over repeats; null when no repeat has one. */
  score: Summary | null;
  /** Each of {@link tieBreakMetrics} on the selection split, summarised over repeats, in order. */
  tieBreaks: (Summary | null)[];
}

/** An evaluated configuration with its objective over repeats. */
export interface RankedConfiguration<E extends ObjectiveInput = ObjectiveInput> extends ConfigurationScore {
  configHash: string;
  trainingHash: string;
  /** Its evaluations, one per repeat, in input order. */
  evaluations: E[];
  /** 1-based position; configurations without a score come last. Tied ones are in config-hash order. */
  rank: number;
  /** The config hashes of the other configurations the rule cannot tell from this one (an exact tie). */
  tiedWith: string[];
  /** A baseline detector's configuration: ranked with the others, compared with the winner, never the winner. */
  baseline: boolean;
}

/**
 * The metrics that order configurations whose selection means are equal, in turn: the
 * rule's `tieBreak`, else F1 after a threshold-free metric (whose scoring variants always
 * tie), else none.
 */
export function tieBreakMetrics(rule: Pick<SelectionRule, 'metric' | 'tieBreak'>): readonly string[] {
  return rule.tieBreak ?? (THRESHOLD_FREE_METRICS.includes(rule.metric) ? ['f1'] : []);
}

/** The objective and tie-break summaries of a configuration's evaluations. */
export function scoreConfiguration(rule: SelectionRule, evaluations: readonly ObjectiveInput[]): ConfigurationScore {
  return {
    score: summarize(evaluations.map((e) => selectionValue(rule, e.metrics))),
    tieBreaks: tieBreakMetrics(rule).map((metric) =>
      summarize(evaluations.map((e) => metricValue(e.metrics[rule.split], metric))),
    ),
  };
}

/** Orders two summaries' means best first; a missing one comes last; 0 when equal. */
function compareMeans(direction: SelectionRule['direction'], a: Summary | null, b: Summary | null): number {
  if (a && b) return a.mean === b.mean ? 0 : isBetter(a.mean, b.mean, direction) ? -1 : 1;
  return a ? -1 : b ? 1 : 0;
}

/**
 * Orders two configurations best first by the rule alone (see the module comment): 0 when
 * it cannot tell them apart, which is a tie.
 */
export function compareObjective(rule: SelectionRule, a: ConfigurationScore, b: ConfigurationScore): number {
  const byMean = compareMeans(rule.direction, a.score, b.score);
  if (byMean !== 0 || !a.score || !b.score) return byMean;
  const metrics = tieBreakMetrics(rule);
  for (let i = 0; i < metrics.length; i++) {
    const byTieBreak = compareMeans(metricDirection(metrics[i]), a.tieBreaks[i] ?? null, b.tieBreaks[i] ?? null);
    if (byTieBreak !== 0) return byTieBreak;
  }
  const sa = a.score.std ?? Infinity;
  const sb = b.score.std ?? Infinity;
  return sa === sb ? 0 : sa < sb ? -1 : 1;
}

/** Orders two configurations best first: {@link compareObjective}, then (display only) the config hash. */
export function compareConfigurations(
  rule: SelectionRule,
  a: ConfigurationScore & Pick<RankedConfiguration, 'configHash'>,
  b: ConfigurationScore & Pick<RankedConfiguration, 'configHash'>,
): number {
  const byRule = compareObjective(rule, a, b);
  if (byRule !== 0) return byRule;
  return a.configHash < b.configHash ? -1 : a.configHash > b.configHash ? 1 : 0;
}

/** Groups evaluations into configurations and ranks them by the objective, best first. */
export function rankConfigurations<E extends ObjectiveInput>(
  rule: SelectionRule,
  evaluations: readonly E[],
): RankedConfiguration<E>[] {
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
    ...scoreConfiguration(rule, group),
    rank: 0,
    tiedWith: [],
    baseline: group[0].baseline === true,
  }));
  ranked.sort((a, b) => compareConfigurations(rule, a, b));
  ranked.forEach((r, i) => (r.rank = i + 1));
  // Sorted, so a tie is a run of neighbours the rule cannot tell apart.
  for (let start = 0; start < ranked.length;) {
    let end = start + 1;
    const same = (other: RankedConfiguration<E>) => compareObjective(rule, ranked[start], other) === 0;
    while (end < ranked.length && ranked[start].score && same(ranked[end])) end++;
    const run = ranked.slice(start, end);
    if (run.length > 1) for (const r of run) r.tiedWith = run.filter((o) => o !== r).map((o) => o.configHash);
    start = end;
  }
  return ranked;
}

/**
 * The best-ranked configuration of each training configuration: the scoring variant a
 * study uses for that training (its threshold is the one saved with the model, its
 * score is what the sampler is told). Input must be ranked.
 */
export function bestPerTraining<E extends ObjectiveInput>(
  ranked: readonly RankedConfiguration<E>[],
): Map<string, RankedConfiguration<E>> {
  const best = new Map<string, RankedConfiguration<E>>();
  for (const r of ranked) if (!best.has(r.trainingHash)) best.set(r.trainingHash, r);
  return best;
}

/** The winner: the best-ranked autoencoder configuration (baselines never win), when it has a score. */
export function winnerOf<E extends ObjectiveInput>(
  ranked: readonly RankedConfiguration<E>[],
): RankedConfiguration<E> | null {
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
