import { mkdtemp, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Distribution, Params } from '@aelab/core';
import type { RunStore } from '@aelab/store';
import { beforeAll, describe, expect, it } from 'vitest';
import { buildLeaderboard, fileSlug, renderReport, representativeTrial, type Leaderboard } from '../src/index.js';
import { buildStudyView, type StudyView } from '../src/study-view.js';
import { newStore } from './synthetic-study.js';

const SPACE: Record<string, Distribution> = {
  'model.encoder': {
    type: 'categorical',
    values: [
      [32, 8],
      [16, 4],
    ],
  },
  'threshold.percentile': { type: 'categorical', values: [90, 99] },
};

/**
 * Test F1 per repeat of each configuration. A (wide at p90) has the best single repeat,
 * B (narrow at p90) the best mean: 0.75 against 0.80.
 */
const TRAININGS = [
  { encoder: [32, 8], f1: { 90: [0.95, 0.55], 99: [0.7, 0.7] } },
  { encoder: [16, 4], f1: { 90: [0.8, 0.8], 99: [0.5, 0.88] } },
];

/** Distinct thresholds, short enough to be shown in full. */
const thresholdOf = (training: number, percentile: number, repeat: number) =>
  Number((0.5 + training / 10 + percentile / 1000 + repeat / 100).toFixed(3));

async function writeStudy(store: RunStore): Promise<string> {
  const study = await store.createStudy({
    name: 'mean over repeats',
    experimentPath: 'experiments/mean.json',
    experiment: {},
    experimentHash: 'mean',
    gitCommit: null,
    dataset: 'synthetic-ecg',
    selection: { metric: 'f1', direction: 'maximize', split: 'test' },
  });
  for (const [ti, training] of TRAININGS.entries()) {
    const params: Params = { 'model.kind': 'dense', 'model.encoder': training.encoder, 'training.epochs': 2 };
    for (const repeat of [0, 1]) {
      const environment = { backend: 'cpu', versions: {}, gitCommit: null };
      const trial = await store.startTrial(study.id, {
        configHash: `training-${ti}`,
        params,
        sampled: { 'model.encoder': training.encoder },
        distributions: SPACE,
        repeat,
        seed: repeat,
        environment,
        dataFingerprint: null,
      });
      const history = [{ epoch: 1, loss: 1, valLoss: 1.1, seconds: 0.1 }];
      await store.finishTrial(trial.id, { status: 'complete', history, bestEpoch: 1, trainSeconds: 1 });
      await store.addEvaluations(
        trial.id,
        ([90, 99] as const).map((p) => ({
          configHash: `training-${ti}-p${p}`,
          scoring: { 'scoring.errorMetric': 'mse', 'threshold.rule': 'percentile', 'threshold.percentile': p },
          sampled: { 'threshold.percentile': p },
          threshold: thresholdOf(ti, p, repeat),
          usesLabels: false,
          metrics: {
            test: { rows: 20, positives: 10, f1: training.f1[p][repeat], confusion: { tp: 8, fp: 2, tn: 8, fn: 2 } },
          },
        })),
      );
    }
  }
  const pruned = await store.startTrial(study.id, {
    configHash: 'training-2',
    params: { 'model.kind': 'dense', 'model.encoder': [64, 2], 'training.epochs': 2 },
    sampled: { 'model.encoder': [64, 2] },
    distributions: SPACE,
    repeat: 0,
    seed: 0,
    environment: { backend: 'cpu', versions: {}, gitCommit: null },
    dataFingerprint: null,
  });
  await store.finishTrial(pruned.id, {
    status: 'pruned',
    reason: 'validation loss 0.9 at epoch 1 is worse than the median',
    history: [{ epoch: 1, loss: 1, valLoss: 0.9, seconds: 0.1 }],
  });
  return study.id;
}

/** The data of a chart embedded in a page, read back from its Vega-Lite spec. */
function chartData(html: string, id: string): Record<string, unknown>[] {
  const figure = html.slice(html.indexOf(`<figure class="chart" id="fig-${id}">`));
  const pre = figure.slice(figure.indexOf('<pre>') + 5, figure.indexOf('</pre>'));
  const text = pre
    .replace(/&quot;/g, '"')
    .replace(/&#x3D;/g, '=')
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&#x27;/g, "'")
    .replace(/&amp;/g, '&');
  return (JSON.parse(text) as { data: { values: Record<string, unknown>[] } }).data.values;
}

/** The starred row of a trial page's evaluations table. */
function featuredRow(html: string): string {
  const table = html.slice(html.indexOf('id="evaluations"'));
  const start = table.indexOf('<tr class="winner">');
  return start < 0 ? '' : table.slice(start, table.indexOf('</tr>', start));
}

describe('one rule for best: the mean over repeats', () => {
  let store: RunStore;
  let studyId: string;
  let board: Leaderboard;
  let view: StudyView;
  let outDir: string;

  beforeAll(async () => {
    store = newStore();
    studyId = await writeStudy(store);
    const study = (await store.getStudy(studyId))!;
    const [trials, evaluations] = [await store.listTrials(studyId), await store.listEvaluations(studyId)];
    board = buildLeaderboard(study, trials, evaluations);
    view = buildStudyView(study, trials, evaluations, 10);
    outDir = await mkdtemp(join(tmpdir(), 'aelab-report-best-'));
    await renderReport(store, { outDir });
  });

  const configuration = (training: number, percentile: number) =>
    board.rows.find(
      (r) => r.trainingHash === `training-${training}` && r.scoring['threshold.percentile'] === percentile,
    )!;
  const trialPage = (trialId: string) =>
    readFile(join(outDir, fileSlug(studyId), 'trials', `${fileSlug(trialId)}.html`), 'utf8');

  it('ranks B (the larger mean) first, though A has the larger single repeat', () => {
    const [a, b] = [configuration(0, 90), configuration(1, 90)];
    expect(Math.max(...a.evaluations.map((e) => e.metrics.test!.f1!))).toBeGreaterThan(
      Math.max(...b.evaluations.map((e) => e.metrics.test!.f1!)),
    );
    expect(board.rows.map((r) => r.configHash)).toEqual([
      'training-1-p90',
      'training-0-p90',
      'training-0-p99',
      'training-1-p99',
    ]);
    expect(board.winner).toBe(b);
    expect(b.rank).toBe(1);
    expect(b.score!.mean).toBeCloseTo(0.8, 12);
    expect(board.sweptParams).toEqual(['model.encoder']);
    expect(board.sweptScoring).toEqual(['threshold.percentile']);
  });

  it("features on each trial page the scoring variant the study keeps for the trial's training", async () => {
    const a = configuration(0, 90);
    // Repeat 1 of A scores better at p99 (0.70) than at p90 (0.55) on its own; its training keeps p90.
    for (const [i, trial] of a.trials.entries()) {
      expect(view.featured.get(trial.id)).toBe(a.evaluations[i]);
      const row = featuredRow(await trialPage(trial.id));
      expect(row).toContain('p90 (train) ★');
    }
  });

  it("shows B's evaluation and threshold on the page of B's representative repeat", async () => {
    const b = configuration(1, 90);
    const rep = representativeTrial(view.study, b);
    const evaluation = b.evaluations[b.trials.indexOf(rep)];
    expect(view.featured.get(rep.id)).toBe(evaluation);
    const html = await trialPage(rep.id);
    expect(html).toContain('<p class="badge">Winner under the study\'s selection rule</p>');
    expect(featuredRow(html)).toContain('p90 (train) ★');
    expect(featuredRow(html)).toContain(`>${evaluation.threshold}<`);
    expect(chartData(html, 'confusion').length).toBe(4);
    expect(html).toContain(`Test, threshold p90 (train) &#x3D; ${evaluation.threshold}`);
  });

  it('plots each trial at the score of its featured evaluation', async () => {
    const html = await readFile(join(outDir, fileSlug(studyId), 'index.html'), 'utf8');
    expect(chartData(html, 'over-time').map((p) => [p.number, p.score])).toEqual([
      [0, 0.95],
      [1, 0.55],
      [2, 0.8],
      [3, 0.8],
    ]);
    // The best-so-far line is the leader's mean over repeats: A at p90 leads with 0.95, falls to
    // 0.75 with its second repeat, and B at p90 (0.8) takes over; not the best single repeat (0.95).
    expect(chartData(html, 'over-time').map((p) => p.best)).toEqual([0.95, 0.75, 0.8, 0.8]);
    // Search efficiency: the same scores against the epochs trained so far, the pruned trial's included.
    const epochsSoFar = board.trials.map((_, i) =>
      board.trials.slice(0, i + 1).reduce((n, t) => n + t.history.length, 0),
    );
    expect(chartData(html, 'efficiency').map((p) => [p.number, p.epochs])).toEqual(
      [0, 1, 2, 3].map((n) => [n, epochsSoFar[n]]),
    );
  });

  it('lists the pruned trial with its reason among those that did not complete', async () => {
    const html = await readFile(join(outDir, fileSlug(studyId), 'index.html'), 'utf8');
    const table = html.slice(html.indexOf('id="failed"'), html.indexOf('</table>', html.indexOf('id="failed"')));
    expect(table).toContain('<td>pruned</td>');
    expect(table).toContain('validation loss 0.9 at epoch 1 is worse than the median');
    expect(board.statusCounts).toEqual({ complete: 4, pruned: 1 });
    expect(board.rows.every((r) => r.trials.every((t) => t.status === 'complete'))).toBe(true);
    // The intermediate values chart draws it, marked where it stopped.
    expect(html).toContain('<figure class="chart" id="fig-intermediate">');
    expect(html).toContain('1 trial was pruned (dots)');
  });

  it('lists the recorded search space', async () => {
    const html = await readFile(join(outDir, fileSlug(studyId), 'index.html'), 'utf8');
    expect(html).toContain('<tr><td>model.encoder</td><td>categorical</td><td class="wrap">[32,8] | [16,4]</td>');
  });
});
