import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import type { EvaluationRecord, Json, RunStore, StudyRecord, TrialRecord } from '@aelab/store';
import type { TopLevelSpec } from 'vega-lite';
import { readTrialArtifacts, type TrialArtifacts } from './artifacts.js';
import { confusionMatrixSpec } from './charts/confusion-matrix.js';
import { errorHistogramsSpec, type ThresholdLine } from './charts/error-histograms.js';
import { lossCurvesSpec, type LossCurve } from './charts/loss-curves.js';
import { metricVsParamSpec } from './charts/metric-vs-param.js';
import { parallelCoordinatesSpec } from './charts/parallel-coordinates.js';
import { reconstructionSpec } from './charts/reconstruction.js';
import { rocPrSpec, type NamedCurves } from './charts/roc-pr.js';
import { seriesWindowsSpec } from './charts/series-windows.js';
import { thresholdSweepSpec } from './charts/threshold-sweep.js';
import { trialsOverTimeSpec } from './charts/trials-over-time.js';
import {
  formatDate,
  formatNumber,
  formatSummary,
  jsonText,
  paramCell,
  scoringLabel,
  summaryCell,
  type Cell,
} from './format.js';
import {
  LEADERBOARD_METRICS,
  METRIC_LABELS,
  buildLeaderboard,
  describeParams,
  familyOf,
  isBetter,
  metricValue,
  representativeTrial,
  selectionValue,
  variantOf,
  type Leaderboard,
  type LeaderboardRow,
} from './leaderboard.js';
import { renderChart, type RenderedChart } from './svg.js';
import { loadTemplates, type LayoutContext, type Templates } from './templates.js';

export interface RenderReportOptions {
  /** Folder to write into; created if absent. Existing files are overwritten, others left alone. */
  outDir: string;
  /** Render only this study's pages (the index still lists every study). */
  studyId?: string;
  /**
   * Trial pages per study. Studies with at most this many trials get a page for every
   * trial; larger ones get pages for the winner's repeats and then the trials of the
   * best-ranked configurations until the cap is reached. Default 10: each page renders five
   * or six charts, which dominate the render time (see tools/bench/reporting-render.mjs).
   */
  maxTrialPages?: number;
  /** Trials drawn per family in the study's loss-curve overlay (best-ranked first). Default 10. */
  maxCurveTrials?: number;
  /** Training configurations on the compare page (best-ranked, distinct trainings). Default 4. */
  compareCount?: number;
  /** Metric-vs-parameter charts per study (one per swept parameter). Default 12. */
  maxParamCharts?: number;
  /** Configurations drawn in the parallel-coordinates view (best-ranked). Default 150. */
  maxParallelRows?: number;
  /** Points per metric-vs-parameter chart (best-ranked configurations). Default 1000. */
  maxScatterPoints?: number;
}

type FilledOptions = Required<Omit<RenderReportOptions, 'studyId'>> & { studyId?: string };

const kDefaultOptions = {
  maxTrialPages: 10,
  maxCurveTrials: 10,
  compareCount: 4,
  maxParamCharts: 12,
  maxParallelRows: 150,
  maxScatterPoints: 1000,
} as const;

export interface RenderedReport {
  /** Absolute path of the index page. */
  indexPath: string;
  /** Study id -> absolute path of its page, for the studies rendered this time. */
  studyPaths: Record<string, string>;
  /** Every file written, absolute, sorted. */
  files: string[];
}

/** File-system-safe, collision-free name for an id: kept as is when already safe. */
export function fileSlug(id: string): string {
  const clean = id.replace(/[^A-Za-z0-9._-]/g, '_').slice(0, 80);
  if (clean === id && clean !== '' && !clean.startsWith('.')) return clean;
  return `${clean.replace(/^\.+/, '_')}-${createHash('sha256').update(id).digest('hex').slice(0, 10)}`;
}

function fillOptions(options: RenderReportOptions): FilledOptions {
  const filled = { ...kDefaultOptions, ...options } as FilledOptions;
  for (const key of Object.keys(kDefaultOptions) as (keyof typeof kDefaultOptions)[]) {
    const value = filled[key];
    if (!Number.isInteger(value) || value < 1) throw new Error(`renderReport: ${key} must be a positive integer, got ${String(value)}`);
  }
  if (typeof options.outDir !== 'string' || options.outDir === '') throw new Error('renderReport: outDir must be a non-empty path');
  return filled;
}

/**
 * Writes a self-contained static report of the run store: `index.html` listing every
 * study, and per study `<study>/index.html` (leaderboard and charts),
 * `<study>/compare.html` and `<study>/trials/<trial>.html`, plus one `report.css`. Charts
 * are rendered to inline SVG here, so the pages need no network and no JavaScript to
 * read (a small inline script adds sorting and filtering). The same store renders to the
 * same bytes.
 */
export async function renderReport(store: RunStore, options: RenderReportOptions): Promise<RenderedReport> {
  const opts = fillOptions(options);
  const outDir = resolve(opts.outDir);
  const templates = loadTemplates();
  const studies = await store.listStudies();
  if (opts.studyId !== undefined && !studies.some((s) => s.id === opts.studyId)) {
    const known = studies.map((s) => s.id).join(', ') || 'none';
    throw new Error(`renderReport: study "${opts.studyId}" is not in the run store (studies: ${known})`);
  }
  const files: string[] = [];
  const write = async (path: string, content: string) => {
    await mkdir(dirname(path), { recursive: true });
    await writeFile(path, content);
    files.push(path);
  };
  await write(join(outDir, 'report.css'), templates.css);

  const studyPaths: Record<string, string> = {};
  const indexRows: { study: StudyRecord; board: Leaderboard; dir: string }[] = [];
  for (const study of studies) {
    const [trials, evaluations] = await Promise.all([store.listTrials(study.id), store.listEvaluations(study.id)]);
    const board = buildLeaderboard(study, trials, evaluations);
    const dir = fileSlug(study.id);
    indexRows.push({ study, board, dir });
    if (opts.studyId === undefined || opts.studyId === study.id) {
      const page = new StudyPages(store, board, join(outDir, dir), templates, opts, write);
      studyPaths[study.id] = await page.render();
    }
  }

  const indexPath = join(outDir, 'index.html');
  const linked = (dir: string, id: string) => studyPaths[id] !== undefined || existsSync(join(outDir, dir, 'index.html'));
  const table = {
    id: 'studies',
    columns: [
      { label: 'Study', sort: 'text', first: 'asc' },
      { label: 'Dataset', sort: 'text', first: 'asc' },
      { label: 'Trials', sort: 'number', first: 'desc', className: 'num' },
      { label: 'Selection rule', sort: 'text', first: 'asc' },
      { label: 'Best', sort: 'number', first: 'desc', className: 'num' },
      { label: 'Winner', sort: 'text', first: 'asc' },
      { label: 'Created (UTC)', sort: 'text', first: 'desc' },
    ],
    rows: indexRows.map(({ study, board, dir }) => {
      const complete = board.statusCounts.complete ?? 0;
      return {
        cells: [
          { text: study.name, href: linked(dir, study.id) ? `${dir}/index.html` : undefined },
          { text: study.dataset },
          { text: `${complete} / ${board.trials.length}`, sort: String(complete), className: 'num' },
          { text: board.ruleText },
          board.winner ? { ...summaryCell(board.winner.score, 'metric'), className: 'num' } : { text: '–' },
          { text: board.winner ? rowName(board.winner) : '–' },
          { text: formatDate(study.createdAt), sort: study.createdAt },
        ],
      };
    }),
  };
  const body = templates.page('index', { studies: indexRows, single: indexRows.length === 1, table });
  await write(indexPath, page(templates, { title: 'aelab studies', cssHref: 'report.css', homeHref: 'index.html', breadcrumbs: [], body }));
  files.sort();
  return { indexPath, studyPaths, files };
}

function page(templates: Templates, context: LayoutContext): string {
  return templates.layout({ ...context, script: context.script ?? templates.script });
}

/** "lstm tuned · p90": family, version and scoring variant of a row. */
function rowName(row: LeaderboardRow): string {
  return `${row.family}${row.variant ? ` ${row.variant}` : ''} · ${scoringLabel(row.scoring)}`;
}

function trainingName(params: TrialRecord['params']): string {
  const variant = variantOf(params);
  return `${familyOf(params)}${variant ? ` ${variant}` : ''}`;
}

/** A chart slot on a page: the rendered chart, or the reason it could not be drawn. */
interface ChartView {
  id: string;
  title?: string;
  chart?: RenderedChart;
  missing?: string;
  note?: string;
}

async function chartView(id: string, title: string | undefined, build: () => TopLevelSpec | string, note?: string): Promise<ChartView> {
  const spec = build();
  if (typeof spec === 'string') return { id, title, missing: spec };
  return { id, title, chart: await renderChart(spec, id), note };
}

/** Union of [start, end] intervals, sorted, with overlapping or touching ones merged. */
export function mergeIntervals(intervals: readonly (readonly [number, number])[]): [number, number][] {
  const sorted = [...intervals].map(([a, b]) => [Math.min(a, b), Math.max(a, b)] as [number, number]).sort((x, y) => x[0] - y[0]);
  const out: [number, number][] = [];
  for (const [a, b] of sorted) {
    const last = out[out.length - 1];
    if (last && a <= last[1]) last[1] = Math.max(last[1], b);
    else out.push([a, b]);
  }
  return out;
}

/** The error metric a scoring variant thresholds (`...errorMetric` parameter), if it names one. */
function scoringErrorMetric(scoring: EvaluationRecord['scoring']): 'mse' | 'mae' | undefined {
  for (const [key, value] of Object.entries(scoring)) {
    if (key.endsWith('errorMetric') && (value === 'mse' || value === 'mae')) return value;
  }
  return undefined;
}

type Writer = (path: string, content: string) => Promise<void>;

/** Renders one study's pages: leaderboard, compare and trial pages. */
class StudyPages {
  private readonly study: StudyRecord;
  private readonly trialHref = new Map<string, string>();
  private readonly evaluationsByTrial = new Map<string, EvaluationRecord[]>();
  private readonly rowByConfig = new Map<string, LeaderboardRow>();
  private readonly metricLabel: string;

  constructor(
    private readonly store: RunStore,
    private readonly board: Leaderboard,
    private readonly dir: string,
    private readonly templates: Templates,
    private readonly opts: FilledOptions,
    private readonly write: Writer,
  ) {
    this.study = board.study;
    this.metricLabel = `${METRIC_LABELS[this.study.selection.metric] ?? this.study.selection.metric} (${this.study.selection.split})`;
    for (const row of board.rows) {
      this.rowByConfig.set(row.configHash, row);
      for (const e of row.evaluations) {
        const list = this.evaluationsByTrial.get(e.trialId);
        if (list) list.push(e);
        else this.evaluationsByTrial.set(e.trialId, [e]);
      }
    }
  }

  async render(): Promise<string> {
    const pageTrials = this.selectTrialPages();
    for (const t of pageTrials) this.trialHref.set(t.id, `trials/${fileSlug(t.id)}.html`);
    const artifacts = new Map<string, TrialArtifacts>();
    const artifactsOf = async (trial: TrialRecord) => {
      let loaded = artifacts.get(trial.id);
      if (!loaded) artifacts.set(trial.id, (loaded = await readTrialArtifacts(this.store, trial)));
      return loaded;
    };
    for (const trial of pageTrials) await this.renderTrialPage(trial, await artifactsOf(trial));
    await this.renderComparePage(artifactsOf);
    const indexPath = join(this.dir, 'index.html');
    await this.write(indexPath, await this.renderStudyPage(pageTrials.length));
    return indexPath;
  }

  /** See {@link RenderReportOptions.maxTrialPages}. */
  private selectTrialPages(): TrialRecord[] {
    const { trials, rows, winner } = this.board;
    if (trials.length <= this.opts.maxTrialPages) return trials;
    const chosen = new Map<string, TrialRecord>();
    for (const t of winner?.trials ?? []) chosen.set(t.id, t);
    for (const row of rows) {
      if (chosen.size >= this.opts.maxTrialPages) break;
      for (const t of row.trials) if (chosen.size < this.opts.maxTrialPages) chosen.set(t.id, t);
    }
    return [...chosen.values()];
  }

  private bestEvaluation(trial: TrialRecord): EvaluationRecord | undefined {
    const evaluations = this.evaluationsByTrial.get(trial.id) ?? [];
    const winning = evaluations.find((e) => this.board.winner?.configHash === e.configHash);
    if (winning) return winning;
    let best: EvaluationRecord | undefined;
    let bestValue: number | undefined;
    for (const e of evaluations) {
      const v = selectionValue(this.study, e);
      if (v !== undefined && (bestValue === undefined || isBetter(v, bestValue, this.study.selection.direction))) {
        best = e;
        bestValue = v;
      }
    }
    return best ?? evaluations[0];
  }

  private layout(title: string, depth: 1 | 2, body: string, extra: { href: string; text: string }[] = []): string {
    const up = depth === 1 ? '../' : '../../';
    return page(this.templates, {
      title,
      cssHref: `${up}report.css`,
      homeHref: `${up}index.html`,
      breadcrumbs: [{ href: depth === 1 ? 'index.html' : '../index.html', text: this.study.name }, ...extra],
      body,
    });
  }

  private trialLinks(row: LeaderboardRow, prefix = ''): { href: string; text: string }[] {
    return row.trials.filter((t) => this.trialHref.has(t.id)).map((t) => ({ href: prefix + this.trialHref.get(t.id)!, text: `#${t.number}` }));
  }

  /** False when the selection metric already is one of the standard columns (a test metric, or MSE on the MSE split). */
  private scoreNeedsOwnColumn(): boolean {
    const { metric, split } = this.study.selection;
    return !(
      (split === 'test' && (LEADERBOARD_METRICS as readonly string[]).includes(metric)) ||
      (metric === 'mse' && split === this.board.mseSplit)
    );
  }

  // ---------------------------------------------------------------- study page

  private async renderStudyPage(pageCount: number): Promise<string> {
    const { board, study } = this;
    const winner = board.winner;
    const scoreColumnNeeded = this.scoreNeedsOwnColumn();
    const higherFirst = study.selection.direction === 'maximize' ? 'desc' : 'asc';
    const hasVariant = board.rows.some((r) => r.variant !== null);
    const numberColumn = (label: string, first: 'asc' | 'desc', title?: string) => ({ label, sort: 'number', first, className: 'num', title });
    const paramColumn = (key: string, values: (Json | undefined)[]) => ({
      label: key,
      sort: values.every((v) => v === undefined || typeof v === 'number') ? 'number' : 'text',
      first: 'asc',
    });
    const columns = [
      numberColumn('#', 'asc', 'Rank under the selection rule'),
      { label: 'Family', sort: 'text', first: 'asc' },
      ...(hasVariant ? [{ label: 'Version', sort: 'text', first: 'asc' }] : []),
      ...board.sweptParams.map((k) => paramColumn(k, board.rows.map((r) => r.params[k]))),
      ...board.sweptScoring.map((k) => paramColumn(k, board.rows.map((r) => r.scoring[k]))),
      numberColumn('Repeats', 'desc'),
      numberColumn(`MSE (${board.mseSplit})`, 'asc', 'Mean reconstruction error, mean ± std over repeats'),
      ...LEADERBOARD_METRICS.map((m) => numberColumn(METRIC_LABELS[m], 'desc', `${METRIC_LABELS[m]} on the test split, mean ± std over repeats`)),
      ...(scoreColumnNeeded ? [numberColumn(this.metricLabel, higherFirst, 'The selection metric')] : []),
      numberColumn('Threshold', 'asc'),
      numberColumn('Train s', 'asc', 'Training seconds, mean over repeats'),
      { label: 'Trials' },
    ];
    const rows = board.rows.map((row) => {
      const cells: (Cell & { href?: string; links?: { href: string; text: string }[] })[] = [
        { text: `${row.rank}${row.isWinner ? ' ★' : ''}${row.usesLabels ? ' †' : ''}`, sort: String(row.rank), className: 'num' },
        { text: row.family },
        ...(hasVariant ? [{ text: row.variant ?? '–' }] : []),
        ...board.sweptParams.map((k) => paramCell(row.params[k])),
        ...board.sweptScoring.map((k) => paramCell(row.scoring[k])),
        { text: String(row.trials.length), sort: String(row.trials.length), className: 'num' },
        { ...summaryCell(row.mse, 'error'), className: 'num' },
        ...LEADERBOARD_METRICS.map((m) => ({ ...summaryCell(row.metrics[m], 'metric'), className: 'num' })),
        ...(scoreColumnNeeded ? [{ ...summaryCell(row.score, 'metric'), className: 'num' }] : []),
        { ...summaryCell(row.threshold, 'threshold'), className: 'num' },
        { ...summaryCell(row.trainSeconds, 'seconds'), className: 'num' },
        { text: '', links: this.trialLinks(row) },
      ];
      return { className: row.isWinner ? 'winner' : undefined, cells };
    });

    const byModel = this.byModelTable();
    const failedTrials = board.trials.filter((t) => t.status !== 'complete');
    const failed = {
      id: 'failed',
      columns: [
        { label: 'Trial', sort: 'number', first: 'asc', className: 'num' },
        { label: 'Status', sort: 'text', first: 'asc' },
        { label: 'Parameters' },
        { label: 'Reason' },
      ],
      rows: failedTrials.map((t) => ({
        cells: [
          { text: `#${t.number}`, sort: String(t.number), className: 'num', href: this.trialHref.get(t.id) },
          { text: t.status },
          { text: describeParams(t.params), className: 'wrap' },
          { text: t.reason ?? '–', className: 'wrap' },
        ],
      })),
    };

    const statusText = Object.entries(board.statusCounts)
      .map(([status, n]) => `${n} ${status}`)
      .join(', ');
    const context = {
      study,
      created: formatDate(study.createdAt),
      commit: study.gitCommit ?? 'unknown (not run from a git checkout)',
      statusText: statusText || 'none yet',
      ruleText: board.ruleText,
      ruleCode: `${study.selection.direction} ${study.selection.metric} on ${study.selection.split}`,
      mseSplit: board.mseSplit,
      labelTuned: board.rows.some((r) => r.usesLabels),
      winner: winner && {
        name: rowName(winner),
        scoreText: `${this.metricLabel} ${formatSummary(winner.score, 'metric')}`,
        repeats: winner.trials.length,
        href: this.trialHref.get(representativeTrial(study, winner).id),
        params: describeParams({ ...winner.params, ...winner.scoring }),
        usesLabels: winner.usesLabels,
      },
      leaderboard: { id: 'leaderboard', columns, rows },
      byModel,
      failed,
      ...(await this.studyCharts()),
      trialPagesNote:
        pageCount === board.trials.length
          ? `Every trial has a page (${pageCount}); follow the links in the Trials column.`
          : `${pageCount} of ${board.trials.length} trials have a page (the winner's repeats, then the best-ranked configurations; the cap is maxTrialPages = ${this.opts.maxTrialPages}).`,
    };
    return this.layout(study.name, 1, this.templates.page('study', context));
  }

  /** Best configuration per family and version, like the seed's nine-model table; null when there is one group only. */
  private byModelTable() {
    const best = new Map<string, LeaderboardRow>();
    for (const row of this.board.rows) {
      const key = JSON.stringify([row.family, row.variant]);
      if (!best.has(key)) best.set(key, row);
    }
    if (best.size < 2) return null;
    const groups = [...best.values()].sort((a, b) =>
      a.family !== b.family ? (a.family < b.family ? -1 : 1) : (a.variant ?? '') < (b.variant ?? '') ? -1 : (a.variant ?? '') > (b.variant ?? '') ? 1 : 0,
    );
    return {
      id: 'by-model',
      columns: [
        { label: 'Family', sort: 'text', first: 'asc' },
        { label: 'Version', sort: 'text', first: 'asc' },
        { label: 'Rank', sort: 'number', first: 'asc', className: 'num' },
        { label: this.metricLabel, sort: 'number', first: this.study.selection.direction === 'maximize' ? 'desc' : 'asc', className: 'num' },
        { label: `MSE (${this.board.mseSplit})`, sort: 'number', first: 'asc', className: 'num' },
        { label: 'F1', sort: 'number', first: 'desc', className: 'num' },
        { label: 'ROC-AUC', sort: 'number', first: 'desc', className: 'num' },
        { label: 'Configuration' },
      ],
      rows: groups.map((row) => ({
        className: row.isWinner ? 'winner' : undefined,
        cells: [
          { text: row.family },
          { text: row.variant ?? '–' },
          { text: String(row.rank), sort: String(row.rank), className: 'num' },
          { ...summaryCell(row.score, 'metric'), className: 'num' },
          { ...summaryCell(row.mse, 'error'), className: 'num' },
          { ...summaryCell(row.metrics.f1, 'metric'), className: 'num' },
          { ...summaryCell(row.metrics.rocAuc, 'metric'), className: 'num' },
          { text: describeParams({ ...row.params, ...row.scoring }, [...this.board.sweptParams, ...this.board.sweptScoring]), className: 'wrap' },
        ],
      })),
    };
  }

  private async studyCharts() {
    const { board, study, opts } = this;
    const scored = board.rows.filter((r) => r.score !== null);

    // Loss curves: per family, one representative repeat of each best-ranked training config.
    const familyNames = [...new Set(board.rows.map((r) => r.family))].sort();
    const families = [];
    for (const [i, name] of familyNames.entries()) {
      const curves: LossCurve[] = [];
      const seen = new Set<string>();
      for (const row of board.rows) {
        if (row.family !== name || curves.length >= opts.maxCurveTrials) continue;
        const trial = representativeTrial(study, row);
        if (seen.has(trial.id)) continue;
        seen.add(trial.id);
        if (trial.history.length > 0) curves.push({ label: `#${trial.number}${row.variant ? ` ${row.variant}` : ''} (rank ${row.rank})`, history: trial.history });
      }
      families.push({
        name,
        chart: await chartView(
          `loss-${i + 1}`,
          `Loss curves: ${name}`,
          () => (curves.length ? lossCurvesSpec(curves, { title: `${name}: training (solid) and validation (dashed) loss` }) : `No training history recorded for ${name}.`),
          `The ${curves.length} best-ranked training configurations of this family (at most ${opts.maxCurveTrials}), one median-score repeat each.`,
        ),
      });
    }

    const overTimePoints = board.trials.flatMap((t) => {
      let best: number | undefined;
      for (const e of this.evaluationsByTrial.get(t.id) ?? []) {
        const v = selectionValue(study, e);
        if (v !== undefined && (best === undefined || isBetter(v, best, study.selection.direction))) best = v;
      }
      return best === undefined ? [] : [{ number: t.number, score: best }];
    });
    const overTime = await chartView('over-time', 'Trials over time', () =>
      overTimePoints.length
        ? trialsOverTimeSpec(overTimePoints, { direction: study.selection.direction, metricLabel: this.metricLabel })
        : 'No trial has a selection score yet.',
    );

    const swept = [
      ...board.sweptParams.map((key) => ({ key, get: (r: LeaderboardRow) => r.params[key] })),
      ...board.sweptScoring.map((key) => ({ key, get: (r: LeaderboardRow) => r.scoring[key] })),
    ];
    const scatterRows = scored.slice(0, opts.maxScatterPoints);
    const paramCharts: ChartView[] = [];
    for (const [i, { key, get }] of swept.slice(0, opts.maxParamCharts).entries()) {
      paramCharts.push(
        await chartView(`param-${i + 1}`, undefined, () =>
          metricVsParamSpec(
            key,
            scatterRows.map((r) => ({ value: get(r), score: r.score!.mean, group: r.family })),
            this.metricLabel,
          ),
        ),
      );
    }
    const parallelRows = scored.slice(0, opts.maxParallelRows);
    const axes = [...(new Set(board.rows.map((r) => r.family)).size > 1 ? [{ key: 'family', get: (r: LeaderboardRow) => r.family as Json }] : []), ...swept];
    const parallel = await chartView(
      'parallel',
      'Parallel coordinates',
      () =>
        axes.length === 0 || parallelRows.length === 0
          ? 'Needs at least one swept parameter and one scored configuration.'
          : parallelCoordinatesSpec(
              axes.map((a) => a.key),
              parallelRows.map((r) => ({ id: r.configHash, values: Object.fromEntries(axes.map((a) => [a.key, a.get(r)])), score: r.score!.mean })),
              this.metricLabel,
            ),
      scored.length > parallelRows.length ? `The ${parallelRows.length} best-ranked of ${scored.length} configurations.` : undefined,
    );

    const anchor = board.winner ?? board.rows[0];
    const trainingKey = (r: LeaderboardRow) => r.trials.map((t) => t.id).join('\n');
    const variants = anchor
      ? board.rows
          .filter((r) => trainingKey(r) === trainingKey(anchor))
          .map((r) => ({
            label: scoringLabel(r.scoring),
            order: Number(r.scoring['threshold.percentile'] ?? NaN),
            precision: r.metrics.precision?.mean,
            recall: r.metrics.recall?.mean,
            f1: r.metrics.f1?.mean,
          }))
          .sort((a, b) => (Number.isFinite(a.order) && Number.isFinite(b.order) && a.order !== b.order ? a.order - b.order : a.label < b.label ? -1 : a.label > b.label ? 1 : 0))
      : [];
    const sweep = await chartView(
      'sweep',
      'Threshold sweep',
      () =>
        variants.length
          ? thresholdSweepSpec(variants, { title: `Threshold variants of ${anchor ? trainingName(anchor.params) : ''} (test, mean over repeats)` })
          : 'No evaluated configuration yet.',
      anchor ? `Scoring variants of the ${board.winner ? 'winning' : 'top'} training configuration (${describeParams(anchor.params, board.sweptParams) || trainingName(anchor.params)}).` : undefined,
    );
    return { families, familySelector: families.length > 1, overTime, paramCharts, parallel, sweep };
  }

  // ---------------------------------------------------------------- trial pages

  private async renderTrialPage(trial: TrialRecord, artifacts: TrialArtifacts): Promise<void> {
    const evaluations = this.evaluationsByTrial.get(trial.id) ?? [];
    const featured = this.bestEvaluation(trial);
    const isWinner = this.board.winner?.trials.some((t) => t.id === trial.id) ?? false;

    const params = {
      id: 'params',
      columns: [{ label: 'Parameter' }, { label: 'Value' }],
      rows: Object.keys(trial.params)
        .sort()
        .map((k) => ({ cells: [{ text: k }, { text: jsonText(trial.params[k]), className: 'wrap' }] })),
    };
    const metricCols = LEADERBOARD_METRICS.map((m) => ({ label: METRIC_LABELS[m], sort: 'number', first: 'desc', className: 'num' }));
    const evaluationTable = {
      id: 'evaluations',
      columns: [
        { label: 'Scoring', sort: 'text', first: 'asc' },
        { label: 'Threshold', sort: 'number', first: 'asc', className: 'num' },
        { label: 'Labels used', sort: 'text', first: 'asc' },
        ...metricCols,
        { label: 'MSE (validation)', sort: 'number', first: 'asc', className: 'num' },
        { label: 'MSE (test)', sort: 'number', first: 'asc', className: 'num' },
        { label: 'Rank', sort: 'number', first: 'asc', className: 'num' },
      ],
      rows: evaluations.map((e) => {
        const num = (v: number | undefined, style: 'metric' | 'error' | 'threshold') => ({
          text: formatNumber(v, style),
          sort: v === undefined ? undefined : String(v),
          className: 'num',
        });
        const row = this.rowByConfig.get(e.configHash);
        return {
          className: e === featured ? 'winner' : undefined,
          cells: [
            { text: `${scoringLabel(e.scoring)}${e === featured ? ' ★' : ''}` },
            num(e.threshold, 'threshold'),
            { text: e.usesLabels ? 'yes (optimistic)' : 'no' },
            ...LEADERBOARD_METRICS.map((m) => num(metricValue(e.metrics.test, m), 'metric')),
            num(metricValue(e.metrics.validation, 'mse'), 'error'),
            num(metricValue(e.metrics.test, 'mse'), 'error'),
            { text: row ? String(row.rank) : '–', sort: row ? String(row.rank) : undefined, className: 'num', href: row ? '../index.html' : undefined },
          ],
        };
      }),
    };

    const errorMetric = artifacts.curves.value?.errorMetric ?? (featured && scoringErrorMetric(featured.scoring)) ?? 'mse';
    const thresholds: ThresholdLine[] = evaluations
      .filter((e) => (scoringErrorMetric(e.scoring) ?? errorMetric) === errorMetric && Number.isFinite(e.threshold))
      .map((e) => ({ label: scoringLabel(e.scoring), value: e.threshold }));

    const loss = await chartView('loss', 'Loss curve', () =>
      trial.history.length
        ? lossCurvesSpec([{ label: `#${trial.number}`, history: trial.history }], {
            title: `Training (solid) and validation (dashed) loss${trial.bestEpoch !== null ? `, weights kept from epoch ${trial.bestEpoch}` : ''}`,
          })
        : `No training history recorded (status ${trial.status}${trial.reason ? `: ${trial.reason}` : ''}).`,
    );
    const histograms = await chartView('histograms', 'Reconstruction error histograms', () => {
      const errors = artifacts.errors;
      if (!errors.value) return errors.missing;
      const test = errors.value.test;
      const pick = (split: typeof test) => split?.[errorMetric];
      const testErrors = pick(test);
      const label = (wanted: number) => (testErrors ?? []).filter((_, i) => test!.y[i] === wanted);
      if (!pick(errors.value.train) && !testErrors) return `The errors artifact has no ${errorMetric} errors for the train or test split.`;
      return errorHistogramsSpec({
        train: pick(errors.value.train),
        testNormal: label(0),
        testAnomalous: label(1),
        thresholds,
        errorLabel: `Reconstruction ${errorMetric.toUpperCase()}`,
      });
    });
    const rocPr = await chartView('roc-pr', 'ROC and precision-recall', () => {
      const curves = artifacts.curves;
      if (!curves.value) return curves.missing;
      const sets: NamedCurves[] = [];
      if (curves.value.test) sets.push({ label: 'test', curves: curves.value.test });
      if (curves.value.validation) sets.push({ label: 'validation', curves: curves.value.validation });
      return sets.length ? rocPrSpec(sets) : 'The curves artifact holds no split.';
    });
    const confusion = await chartView('confusion', 'Confusion matrix', () => {
      const matrix = featured?.metrics.test?.confusion;
      return matrix
        ? confusionMatrixSpec(matrix, { title: `Test, threshold ${scoringLabel(featured.scoring)} = ${formatNumber(featured.threshold, 'threshold')}` })
        : 'No test confusion matrix was recorded for this trial.';
    });
    const examples = await chartView('examples', 'Reconstruction examples', () => {
      const ex = artifacts.examples;
      if (!ex.value) return ex.missing;
      return ex.value.normal || ex.value.anomalous ? reconstructionSpec(ex.value) : 'The examples artifact holds no example.';
    });
    let series: ChartView | undefined;
    if (artifacts.series.value || trial.artifacts.series !== undefined || trial.artifacts['series.json'] !== undefined) {
      series = await chartView('series', 'Series with anomaly windows', () => {
        const s = artifacts.series;
        if (!s.value) return s.missing;
        const testErrors = artifacts.errors.value?.test?.[errorMetric];
        const detected: [number, number][] = [];
        if (featured && testErrors) {
          const last = s.value.timestamps.length - 1;
          s.value.testWindowStarts.forEach((start, i) => {
            if (testErrors[i] > featured.threshold) {
              detected.push([s.value.timestamps[start], s.value.timestamps[Math.min(start + s.value.windowSize - 1, last)]]);
            }
          });
        }
        return seriesWindowsSpec({
          timestamps: s.value.timestamps,
          values: s.value.values,
          labelled: s.value.anomalyWindows,
          detected: mergeIntervals(detected),
          title: featured ? `Labelled windows and windows flagged at ${scoringLabel(featured.scoring)}` : 'Labelled windows (no evaluation to flag windows)',
        });
      });
    }

    const context = {
      trial,
      name: trainingName(trial.params),
      isWinner,
      started: formatDate(trial.startedAt),
      trainSeconds: trial.trainSeconds === null ? '–' : `${formatNumber(trial.trainSeconds, 'seconds')} s`,
      bestEpoch: trial.bestEpoch ?? '–',
      parameterCount: trial.parameterCount ?? '–',
      versions:
        Object.entries(trial.environment.versions)
          .sort(([a], [b]) => (a < b ? -1 : 1))
          .map(([k, v]) => `${k} ${v}`)
          .join(', ') || '–',
      fingerprint: trial.dataFingerprint ?? '–',
      params,
      evaluations: evaluationTable,
      loss,
      histograms,
      rocPr,
      confusion,
      examples,
      series,
    };
    const body = this.templates.page('trial', context);
    await this.write(
      join(this.dir, this.trialHref.get(trial.id)!),
      this.layout(`Trial #${trial.number}: ${this.study.name}`, 2, body, [{ href: `${fileSlug(trial.id)}.html`, text: `Trial #${trial.number}` }]),
    );
  }

  // ---------------------------------------------------------------- compare page

  private async renderComparePage(artifactsOf: (t: TrialRecord) => Promise<TrialArtifacts>): Promise<void> {
    const { board, study } = this;
    const picked: LeaderboardRow[] = [];
    const trainings = new Set<string>();
    for (const row of board.rows) {
      if (picked.length >= this.opts.compareCount) break;
      const key = row.trials.map((t) => t.id).join('\n');
      if (trainings.has(key)) continue;
      trainings.add(key);
      picked.push(row);
    }
    const reps = picked.map((row) => representativeTrial(study, row));
    const columns = picked.map((row, i) => ({
      label: `Rank ${row.rank}: ${rowName(row)}${row.isWinner ? ' ★' : ''}`,
      href: this.trialHref.get(reps[i].id),
    }));
    const keys = [...new Set(picked.flatMap((r) => Object.keys(r.params)))].sort();
    const scoringKeys = [...new Set(picked.flatMap((r) => Object.keys(r.scoring)))].sort();
    const paramRow = (name: string, values: string[]) => ({ name, values, differs: new Set(values).size > 1 });
    const paramRows = [
      ...keys.map((k) => paramRow(k, picked.map((r) => (r.params[k] === undefined ? '–' : jsonText(r.params[k]))))),
      ...scoringKeys.map((k) => paramRow(k, picked.map((r) => (r.scoring[k] === undefined ? '–' : jsonText(r.scoring[k]))))),
    ];
    const metricRows = [
      ...(this.scoreNeedsOwnColumn() ? [{ name: this.metricLabel, values: picked.map((r) => formatSummary(r.score, 'metric')) }] : []),
      { name: `MSE (${board.mseSplit})`, values: picked.map((r) => formatSummary(r.mse, 'error')) },
      ...LEADERBOARD_METRICS.map((m) => ({ name: `${METRIC_LABELS[m]} (test)`, values: picked.map((r) => formatSummary(r.metrics[m], 'metric')) })),
      { name: 'Threshold', values: picked.map((r) => formatSummary(r.threshold, 'threshold')) },
      { name: 'Training seconds', values: picked.map((r) => formatSummary(r.trainSeconds, 'seconds')) },
      { name: 'Repeats', values: picked.map((r) => String(r.trials.length)) },
      { name: 'Trial shown in charts', values: reps.map((t) => `#${t.number}`) },
    ];
    const label = (i: number) => `rank ${picked[i].rank}: ${trainingName(reps[i].params)} #${reps[i].number}`;
    const loss = await chartView('loss', 'Loss curves', () => {
      const curves = reps.map((t, i) => ({ label: label(i), history: t.history })).filter((c) => c.history.length > 0);
      return curves.length ? lossCurvesSpec(curves) : 'None of these trials recorded a training history.';
    });
    const curveSets: NamedCurves[] = [];
    const lacking: string[] = [];
    for (const [i, t] of reps.entries()) {
      const curves = (await artifactsOf(t)).curves.value?.test;
      if (curves) curveSets.push({ label: label(i), curves });
      else lacking.push(`#${t.number}`);
    }
    const rocPr = await chartView(
      'roc-pr',
      'ROC and precision-recall (test)',
      () => (curveSets.length ? rocPrSpec(curveSets) : 'None of these trials recorded ROC/PR curves.'),
      lacking.length ? `No curves artifact for ${lacking.join(', ')}.` : undefined,
    );
    const body = this.templates.page('compare', {
      studyName: study.name,
      intro: `The ${picked.length} best-ranked distinct training configurations under the rule (${board.ruleText}), each with its best scoring variant; charts show one median-score repeat of each.`,
      columns,
      paramRows,
      metricRows,
      loss,
      rocPr,
    });
    await this.write(join(this.dir, 'compare.html'), this.layout(`Compare: ${study.name}`, 1, body, [{ href: 'compare.html', text: 'Compare' }]));
  }
}
