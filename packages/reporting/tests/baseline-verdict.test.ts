import type { ErrorsArtifact, SelectionRule } from '@aelab/core';
import type { EvaluationRecord, StudyRecord, TrialRecord } from '@aelab/store';
import { describe, expect, it } from 'vitest';
import { baselineVerdict } from '../src/baseline-verdict.js';
import { buildLeaderboard } from '../src/leaderboard.js';

const rule: SelectionRule = { metric: 'prAuc', direction: 'maximize', split: 'validation' };
const study = { id: 's-1', name: 'verdict', selection: rule } as unknown as StudyRecord;
const y = [0, 0, 0, 0, 1, 0, 0, 1, 0, 1];

/** A complete trial of `kind` (a baseline when `baseline`), its one evaluation, and its validation errors. */
function run(number: number, kind: string, baseline: boolean, scores: number[], labels = y, repeat = 0) {
  const params = { 'model.kind': kind, ...(baseline ? { 'model.baseline': true, 'model.components': 2 } : {}) };
  const trial = {
    id: `t${number}`,
    number,
    status: 'complete',
    params,
    sampled: params,
    configHash: `${kind}-training`,
    repeat,
    dataFingerprint: `draw-${repeat}`,
    trainSeconds: 1,
  } as unknown as TrialRecord;
  const evaluation = {
    trialId: trial.id,
    configHash: `${kind}-p95`,
    scoring: { 'scoring.errorMetric': 'mse', 'threshold.rule': 'percentile', 'threshold.percentile': 95 },
    metrics: { validation: { rows: labels.length, positives: 3, prAuc: number / 10 } },
    sampled: {},
    threshold: 0.5,
    usesLabels: false,
  } as unknown as EvaluationRecord;
  const errors: ErrorsArtifact = { validation: { mse: scores, mae: scores, y: labels, labels: labels.map(String) } };
  return { trial, evaluation, errors };
}

function verdictOf(runs: ReturnType<typeof run>[], missing?: string) {
  const board = buildLeaderboard(
    study,
    runs.map((r) => r.trial),
    runs.map((r) => r.evaluation),
  );
  const byId = new Map(runs.map((r) => [r.trial.id, r.errors]));
  return baselineVerdict(board, async (trial) => (missing ? { missing } : { value: byId.get(trial.id)! }));
}

const good = y.map((label, i) => label + i / 100);
const poor = y.map((_, i) => i / 10);

describe('the verdict against the best baseline', () => {
  it(
    'is null without a baseline, ' + 'and the paired comparison of the winner with the best baseline otherwise',
    async () => {
      expect(await verdictOf([run(1, 'dense', false, good)])).toBeNull();
      const verdict = await verdictOf([
        run(1, 'dense', false, good),
        run(2, 'dense', false, good),
        run(3, 'pca', true, poor),
      ]);
      expect(verdict?.baseline.family).toBe('pca');
      expect(verdict?.sentence).toMatch(
        new RegExp(
          /^the best autoencoder \(dense · p95 \(train\)\) (beats|does not beat|is beaten by) /.source +
            /the best baseline \(pca components = 2 · p95 \(train\)\) on validation PR-AUC: difference /.source,
        ),
      );
      expect(verdict?.comparison?.rows).toBe(10);
    },
  );

  it('pairs the repeats of re-drawn splits by repeat, and says why when they cannot be paired', async () => {
    const shuffled = [1, 0, 0, 0, 0, 0, 0, 1, 0, 1];
    const paired = await verdictOf([
      run(1, 'dense', false, good, y, 0),
      run(2, 'dense', false, good, shuffled, 1),
      run(3, 'pca', true, poor, y, 0),
      run(4, 'pca', true, poor, shuffled, 1),
    ]);
    expect(paired?.comparison?.rows).toBe(20);
    expect(paired?.sentence).toContain(
      '(paired bootstrap over the validation rows of each of the 2 repeats, paired by repeat',
    );
    const unpaired = await verdictOf([
      run(1, 'dense', false, good, y, 0),
      run(2, 'dense', false, good, shuffled, 1),
      run(3, 'pca', true, poor, y, 0),
      run(4, 'pca', true, poor, y, 1),
    ]);
    expect(unpaired?.comparison).toBeUndefined();
    expect(unpaired?.sentence).toBe(
      'the best baseline is pca components = 2 · p95 (train) (validation PR-AUC 0.350 ± 0.071); ' +
        'no paired comparison with the best autoencoder: ' +
        'repeat 1 of the two was not scored on the same validation rows',
    );
    const missingRepeat = await verdictOf([
      run(1, 'dense', false, good, y, 0),
      run(2, 'dense', false, good, shuffled, 1),
      run(3, 'pca', true, poor, y, 0),
    ]);
    expect(missingRepeat?.sentence).toContain('they were not scored on the same repeats of the validation split');
  });

  it('names the best baseline and why there is no interval when errors are missing', async () => {
    const missing = await verdictOf(
      [run(1, 'dense', false, good), run(3, 'pca', true, poor)],
      'No errors.json artifact was recorded for trial #1.',
    );
    expect(missing?.sentence).toContain(
      'no paired comparison with the best autoencoder: No errors.json artifact was recorded for trial #1.',
    );
  });
});
