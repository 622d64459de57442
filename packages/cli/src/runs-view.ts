import {
  baselineVerdictFromStore,
  buildLeaderboard,
  formatComparison,
  leaderboardTextTable,
  markdownTable,
  type LeaderboardRow,
} from '@aelab/reporting';
import type { RunStore, StudyRecord } from '@aelab/store';
import { printable } from '@aelab/data';

// What a store holds (dataset and experiment paths, names, failure reasons, parameters) is
// shown, never obeyed, by the terminal: a store may be shared or crafted, and its text may
// carry escape sequences. Cells are escaped one by one so the table's own tabs stay.
const say = (text: string) => console.log(printable(text));
const cells = (values: unknown[]) => console.log(values.map((value) => printable(String(value))).join('\t'));

const num = (v: number | null | undefined, digits = 4) =>
  v === null || v === undefined || !Number.isFinite(v) ? '-' : v.toFixed(digits);
const pm = (s: { mean: number; std: number | null } | null, digits = 4) =>
  s ? (s.std === null ? num(s.mean, digits) : `${num(s.mean, digits)} ± ${num(s.std, digits)}`) : '-';

/** The parameters that vary across the study (the rest is the experiment's base config). */
function paramText(row: LeaderboardRow, board: { sweptParams: string[]; sweptScoring: string[] }): string {
  const keys = [...board.sweptParams, ...board.sweptScoring];
  const all: Record<string, unknown> = { ...row.params, ...row.scoring };
  const text = keys
    .filter((k) => k in all)
    .map((k) => `${k}=${JSON.stringify(all[k])}`)
    .join(' ');
  return text || '(the base configuration)';
}

/** Resolves a study id or name (latest with that name) to its record. */
export async function findStudy(store: RunStore, idOrName: string | undefined): Promise<StudyRecord> {
  const studies = await store.listStudies();
  if (studies.length === 0)
    throw new Error(`no studies in the store at ${store.root ?? '(memory)'}: run "npx aelab search grid" first`);
  if (!idOrName) return studies[studies.length - 1];
  const found = studies.find((s) => s.id === idOrName) ?? [...studies].reverse().find((s) => s.name === idOrName);
  if (!found) throw new Error(`no study "${idOrName}"; known: ${studies.map((s) => `${s.id} (${s.name})`).join(', ')}`);
  return found;
}

export async function leaderboardOf(store: RunStore, study: StudyRecord) {
  return buildLeaderboard(study, await store.listTrials(study.id), await store.listEvaluations(study.id));
}

const interval = (i: { low: number; high: number } | null | undefined, digits = 4) =>
  i ? `[${num(i.low, digits)}, ${num(i.high, digits)}]` : '-';

/**
 * Prints a study's leaderboard as the study page shows it (rank order, the selection metric
 * with its interval and p, then the test metrics): tab-separated, or Markdown for the docs.
 */
export async function printTable(store: RunStore, idOrName: string | undefined, markdown: boolean): Promise<void> {
  const study = await findStudy(store, idOrName);
  const board = await leaderboardOf(store, study);
  // On stderr, so the table itself stays a table (the docs paste it).
  if (board.warning) console.error(printable(`warning: ${board.warning} (selection.split is "test")`));
  const table = leaderboardTextTable(board);
  if (!markdown) {
    for (const row of [table.header, ...table.rows]) cells(row);
    return;
  }
  const printed = { header: table.header.map(printable), rows: table.rows.map((row) => row.map(printable)) };
  console.log(markdownTable(printed).trimEnd());
}

/** Prints the winner under the study's selection rule; every metric names its split. */
export async function printBest(store: RunStore, studyId: string): Promise<void> {
  const study = await findStudy(store, studyId);
  const board = await leaderboardOf(store, study);
  const w = board.winner;
  if (board.warning) say(`warning: ${board.warning} (selection.split is "test")`);
  if (!w) {
    say(`no winner yet: no complete trial has a ${study.selection.split} ${study.selection.metric}`);
    return;
  }
  say(`best (${board.ruleText}): ${w.family}${w.variant ? ` ${w.variant}` : ''} ${paramText(w, board)}`);
  const selection = `${study.selection.split} ${study.selection.metric}`;
  say(
    `  ${selection} ${pm(w.score)}  95% CI ${interval(w.scoreInterval)}  ` +
      `(${w.trials.length} repeat${w.trials.length === 1 ? '' : 's'})`,
  );
  say(`  variance in the intervals: ${board.intervalVariance}`);
  const m = w.metrics;
  const t = board.metricsSplit;
  say(
    `  ${t} accuracy ${pm(m.accuracy)}  ${t} precision ${pm(m.precision)}  ${t} recall ${pm(m.recall)}` +
      `  ${t} F1 ${pm(m.f1)}  ${t} ROC-AUC ${pm(m.rocAuc)}  ${t} PR-AUC ${pm(m.prAuc)}`,
  );
  const thresholds = w.evaluations.map((e) => interval(e.thresholdInterval, 6));
  say(
    `  ${board.mseSplit} MSE ${pm(w.mse, 6)}  threshold ${pm(w.threshold, 6)} ` +
      `(95% interval per repeat: ${thresholds.join(' ')})  trials ${w.trials.map((t) => t.id).join(', ')}`,
  );
  if (w.usesLabels) say('  note: this threshold was chosen with labels; its test score is optimistic');
  const tied = board.rows.filter((r) => w.tiedWith.includes(r.configHash));
  if (tied.length > 0) {
    const equal = `${tied.length + 1} configurations are equal under the rule, tie-breaks included`;
    say(`  tie: ${equal}; listed first by config hash only:`);
    for (const r of [w, ...tied]) {
      say(`    ${r.configHash.slice(0, 8)} ${r.family}${r.variant ? ` ${r.variant}` : ''} ${paramText(r, board)}`);
    }
  }
  const verdict = await baselineVerdictFromStore(store, board);
  if (verdict) say(`  ${verdict.sentence}`);
}

export async function printStudies(store: RunStore): Promise<void> {
  const studies = await store.listStudies();
  if (studies.length === 0) {
    say(`no studies in ${store.root}`);
    return;
  }
  cells(['study', 'name', 'dataset', 'trials', 'best', 'created']);
  for (const study of studies) {
    const board = await leaderboardOf(store, study);
    const best = board.winner?.score
      ? `${study.selection.split} ${study.selection.metric} ${pm(board.winner.score)}`
      : '-';
    cells([study.id, study.name, study.dataset, board.trials.length, best, study.createdAt]);
  }
}

export async function printStudy(store: RunStore, idOrName: string | undefined): Promise<void> {
  const study = await findStudy(store, idOrName);
  const board = await leaderboardOf(store, study);
  say(
    `study ${study.id} (${study.name}) dataset ${study.dataset}, experiment ${study.experimentPath}, ` +
      `commit ${study.gitCommit ?? '-'}`,
  );
  say(
    `trials: ${
      Object.entries(board.statusCounts)
        .map(([k, v]) => `${v} ${k}`)
        .join(', ') || 'none'
    }; rule: ${board.ruleText}`,
  );
  say(`variance in the 95% CIs: ${board.intervalVariance}`);
  if (board.warning) say(`warning: ${board.warning} (selection.split is "test")`);
  const selection = `${study.selection.split} ${study.selection.metric}`;
  const t = board.metricsSplit;
  cells([
    'rank',
    'config',
    'model',
    selection,
    '95% CI',
    'p vs best',
    `${t} F1`,
    `${t} ROC-AUC`,
    `${t} PR-AUC`,
    `${board.mseSplit} MSE`,
    'params',
  ]);
  for (const row of board.rows) {
    const vs = row.versusWinner;
    const tested = `${vs.significant === false ? '~' : ''}${num(vs.pValue, 3)}`;
    const p = row.isWinner ? 'best' : vs.noVariance ? formatComparison(vs) : tested;
    cells([
      row.tiedWith.length ? `${row.rank} tie` : row.rank,
      row.configHash.slice(0, 8),
      `${row.family}${row.variant ? ` ${row.variant}` : ''}`,
      pm(row.score),
      interval(row.scoreInterval),
      p,
      pm(row.metrics.f1),
      pm(row.metrics.rocAuc),
      pm(row.metrics.prAuc),
      pm(row.mse, 6),
      paramText(row, board),
    ]);
  }
  for (const t of board.trials.filter((t) => t.status !== 'complete')) say(`${t.id} ${t.status}: ${t.reason ?? ''}`);
}

export async function printTrial(store: RunStore, trialId: string): Promise<void> {
  const trial = await store.getTrial(trialId);
  if (!trial) throw new Error(`no trial "${trialId}"`);
  const evaluations = (await store.listEvaluations(trial.studyId)).filter((e) => e.trialId === trial.id);
  for (const line of JSON.stringify({ ...trial, evaluations }, null, 2).split('\n')) say(line);
}
