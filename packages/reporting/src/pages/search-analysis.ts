/**
 * The study page's search analysis: the pruned trials with the rung where each stopped
 * (beside the leaderboard, which ranks complete trials only) and parameter importance.
 */
import { intermediateValue, type Json } from '@aelab/core';
import type { TrialRecord } from '@aelab/store';
import { parameterImportanceSpec } from '../charts/parameter-importance.js';
import { formatSummary, numberCell, paramCell } from '../format.js';
import { IMPORTANCE_TREES, parameterImportance, type ImportanceResult } from '../importance/parameter-importance.js';
import type { StudyView } from '../study-view.js';
import { chartView, numberColumn, textColumn, type ChartView } from './page.js';

/**
 * The name of the pruner that stopped a trial, from its recorded reason ("pruned by the asha pruner after epoch 4").
 */
function prunerOf(trial: TrialRecord): string {
  return /pruned by the (\S+) pruner/.exec(trial.reason ?? '')?.[1] ?? '–';
}

/** Per epoch, every trial's reported value there (finite ones), ascending: a pruned trial's standing at its rung. */
function valuesByEpoch(trials: readonly TrialRecord[]): Map<number, number[]> {
  const byEpoch = new Map<number, number[]>();
  for (const t of trials) {
    for (const record of t.history) {
      const value = intermediateValue(record);
      if (!Number.isFinite(value)) continue;
      const list = byEpoch.get(record.epoch);
      if (list) list.push(value);
      else byEpoch.set(record.epoch, [value]);
    }
  }
  for (const list of byEpoch.values()) list.sort((a, b) => a - b);
  return byEpoch;
}

/**
 * Pruned trials, each with the rung it stopped at (the epoch of its last report), the value
 * it reported there and its standing among every value reported at that epoch by the
 * study's trials (1 = lowest loss), so the pruner's verdict can be read off the table.
 */
function prunedTable(view: StudyView) {
  const { board } = view;
  const pruned = board.trials.filter((t) => t.status === 'pruned');
  // Every trial's every epoch, sorted: only worth it when some trial was pruned.
  const byEpoch = pruned.length ? valuesByEpoch(board.trials) : new Map<number, number[]>();
  const swept = board.sweptParams;
  const param = (t: TrialRecord, key: string): Json | undefined => (t.sampled ?? t.params)[key];
  return {
    id: 'pruned',
    columns: [
      numberColumn('Trial', 'asc'),
      ...swept.map((k) => textColumn(k)),
      numberColumn('Rung (epoch)', 'desc', 'The epoch after which the pruner stopped the trial'),
      numberColumn(
        'Value there',
        'asc',
        'The value reported to the pruner at that epoch: ' +
          'validation reconstruction error (no L2 penalty), else training loss',
      ),
      numberColumn(
        'Standing',
        'asc',
        "Its place among every value the study's trials reported at that epoch (1 = lowest)",
      ),
      textColumn('Pruner'),
    ],
    rows: pruned.map((t) => {
      const last = t.history[t.history.length - 1];
      const value = last ? intermediateValue(last) : undefined;
      const peers = last ? (byEpoch.get(last.epoch) ?? []) : [];
      const place = value === undefined ? -1 : peers.indexOf(value) + 1;
      return {
        cells: [
          { text: `#${t.number}`, sort: String(t.number), className: 'num', href: view.trialHref.get(t.id) },
          ...swept.map((k) => paramCell(param(t, k))),
          numberCell(last?.epoch, 'count'),
          numberCell(value, 'error'),
          place > 0
            ? { text: `${place} of ${peers.length}`, sort: String(place / peers.length), className: 'num' }
            : { text: '–', className: 'num' },
          { text: prunerOf(t) },
        ],
      };
    }),
  };
}

/** How the importance was computed and how far to trust it, in words. */
function importanceNote(result: Extract<ImportanceResult, { computed: true }>, metricLabel: string): string {
  const sum = result.params.reduce((s, p) => s + p.importance.mean, 0);
  const excluded = result.excluded.length
    ? ` Left out: ${result.excluded.map((e) => `${e.name} (${e.why})`).join('; ')}.`
    : '';
  return (
    `fANOVA (Hutter et al. 2014): a random forest of ${IMPORTANCE_TREES} regression trees (bootstrap samples, fixed ` +
    `seed) fitted to the objective (${metricLabel}, mean over repeats) of the ${result.configurations} scored ` +
    `configurations, each parameter mapped into its distribution's unit interval (log ranges in log space, ` +
    `categoricals and integers by bin). A bar is the fraction of the objective's variance over the whole search ` +
    `space that the parameter explains alone (its main effect), the mean over the ${result.trees} non-constant ` +
    `trees; the line is ± one standard deviation over those trees, the uncertainty of the forest as a model of the ` +
    `objective (not of the trainings' noise). The main effects sum to ${sum.toFixed(2)}; the rest is explained by ` +
    `interactions. Pruned and failed trials are not included; a model-based sampler or few configurations leave ` +
    `parts of the space unseen, where the forest extrapolates.${excluded}`
  );
}

async function importanceChart(view: StudyView, result: ImportanceResult): Promise<ChartView> {
  return chartView(
    'importance',
    'Parameter importance',
    () =>
      result.computed
        ? parameterImportanceSpec(
            result.params.map((p) => ({ name: p.name, mean: p.importance.mean, std: p.importance.std ?? 0 })),
          )
        : `Not computed: ${result.reason}.`,
    result.computed ? importanceNote(result, view.metricLabel) : undefined,
  );
}

function importanceTable(result: ImportanceResult) {
  if (!result.computed) return null;
  return {
    id: 'importance',
    columns: [
      textColumn('Parameter'),
      numberColumn('Importance', 'desc', 'Share of the variance explained by the main effect: mean ± std over trees'),
    ],
    rows: result.params.map((p) => ({
      cells: [
        { text: p.name },
        { text: formatSummary(p.importance, 'metric'), sort: String(p.importance.mean), className: 'num' },
      ],
    })),
  };
}

/**
 * The template slots of the search analysis; with `pending` (a reason), the importance is
 * not computed (a forest of regression trees: seconds for thousands of configurations) and
 * its slot says why, as the study page's pending chart slots do.
 */
export async function searchAnalysis(view: StudyView, pending?: string) {
  if (pending !== undefined)
    return {
      pruned: prunedTable(view),
      importance: { id: 'importance', title: 'Parameter importance', missing: pending },
      importanceTable: null,
    };
  const importance = parameterImportance(view.board.rows);
  return {
    pruned: prunedTable(view),
    importance: await importanceChart(view, importance),
    importanceTable: importanceTable(importance),
  };
}
