import type { ErrorsArtifact, SelectionRule } from '@aelab/core';
import type { EvaluationRecord, StudyRecord, TrialRecord } from '@aelab/store';
import { describe, expect, it } from 'vitest';
import { baselineVerdict } from '../src/baseline-verdict.js';
import { buildLeaderboard } from '../src/leaderboard.js';

const rule: SelectionRule = { metric: 'prAuc', direction: 'maximize', split: 'validation' };
const study = { id: 's-1', name: 'verdict', selection: rule } as unknown as StudyRecord;
const y = [0, 0, 0, 0, 1, 0, 0, 1, 0, 1];

/** A complete trial of `kind` (a baseline when `baseline`), its one evaluation, and its validation errors. */
function run(number: number, kind: string, baseline: boolean, scores: number[], labels = y) {
  const params = { 'model.kind': kind, ...(baseline ? { 'model.baseline': true, 'model.components': 2 } : {}) };
  const trial = {
    id: `t${number}`,
    number,
    status: 'complete',
    params,
    sampled: params,
    configHash: `${kind}-training`,
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
          /^the best autoencoder \(dense · p95\) (beats|does not beat) /.source +
            /the best baseline \(pca components = 2 · p95\) on validation PR-AUC: difference /.source,
        ),
      );
      expect(verdict?.comparison?.rows).toBe(10);
    },
  );

  it(
    'names the best baseline and why there is no interval when repeats were scored on other rows, ' +
      'or errors are missing',
    async () => {
      const shuffled = [1, 0, 0, 0, 0, 0, 0, 1, 0, 1];
      const redrawn = await verdictOf([
        run(1, 'dense', false, good),
        run(2, 'dense', false, good, shuffled),
        run(3, 'pca', true, poor),
      ]);
      expect(redrawn?.comparison).toBeUndefined();
      expect(redrawn?.sentence).toBe(
        'the best baseline is pca components = 2 · p95 (validation PR-AUC 0.300); ' +
          'no paired comparison with the best autoencoder: ' +
          'the repeats of dense · p95 were scored on different validation rows',
      );
      const missing = await verdictOf(
        [run(1, 'dense', false, good), run(3, 'pca', true, poor)],
        'No errors.json artifact was recorded for trial #1.',
      );
      expect(missing?.sentence).toContain(
        'no paired comparison with the best autoencoder: No errors.json artifact was recorded for trial #1.',
      );
    },
  );
});
