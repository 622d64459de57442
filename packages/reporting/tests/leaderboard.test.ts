import { describe, expect, it } from 'vitest';
import { buildLeaderboard, representativeTrial } from '../src/index.js';
import { newStore, writeSyntheticStudy } from './synthetic-study.js';

async function board(options: Parameters<typeof writeSyntheticStudy>[1] = {}) {
  const store = newStore();
  const id = await writeSyntheticStudy(store, options);
  const study = (await store.getStudy(id))!;
  const trials = await store.listTrials(id);
  const evaluations = await store.listEvaluations(id);
  return { study, trials, evaluations, board: buildLeaderboard(study, trials, evaluations) };
}

describe('buildLeaderboard', () => {
  it('has one row per evaluated configuration, summarising its repeats', async () => {
    const { board: lb, evaluations } = await board({
      families: ['dense', 'lstm'],
      versions: ['base'],
      learningRates: [0.001],
      repeats: 3,
    });
    // 2 trainings x 3 percentiles; each row gathers the 3 repeats of its training.
    expect(lb.rows).toHaveLength(6);
    for (const row of lb.rows) expect(row.trials.map((t) => t.repeat)).toEqual([0, 1, 2]);
    const row = lb.rows.find((r) => r.family === 'dense' && r.scoring['threshold.percentile'] === 90)!;
    const f1s = evaluations.filter((e) => e.configHash === row.configHash).map((e) => e.metrics.test!.f1!);
    const mean = f1s.reduce((a, b) => a + b, 0) / 3;
    const std = Math.sqrt(f1s.reduce((a, b) => a + (b - mean) ** 2, 0) / 2);
    expect(row.metrics.f1!.mean).toBeCloseTo(mean, 12);
    expect(row.metrics.f1!.std).toBeCloseTo(std, 12);
    expect(row.metrics.f1!.n).toBe(3);
    expect(lb.mseSplit).toBe('validation');
  });

  it('ranks by the selection rule and marks the single winner', async () => {
    const maximize = (await board({ selection: { metric: 'f1', direction: 'maximize', split: 'test' } })).board;
    const f1 = maximize.rows.map((r) => r.score!.mean);
    expect(f1).toEqual([...f1].sort((a, b) => b - a));
    expect(maximize.winner).toBe(maximize.rows[0]);
    expect(maximize.rows.filter((r) => r.isWinner)).toHaveLength(1);
    expect(maximize.ruleText).toBe('highest mean F1 on the test split over repeats');

    const minimize = (await board({ selection: { metric: 'mse', direction: 'minimize', split: 'validation' } })).board;
    const mse = minimize.rows.map((r) => r.score!.mean);
    expect(mse).toEqual([...mse].sort((a, b) => a - b));
    expect(minimize.winner!.score!.mean).toBe(Math.min(...mse));
  });

  it('leaves failed trials out of the rows but counts them', async () => {
    const { board: lb, trials } = await board({
      failures: 2,
      families: ['dense'],
      versions: ['base'],
      learningRates: [0.001],
      repeats: 3,
    });
    expect(lb.statusCounts).toEqual({ complete: 1, failed: 2 });
    for (const row of lb.rows) expect(row.trials.every((t) => t.status === 'complete')).toBe(true);
    expect(lb.trials).toHaveLength(trials.length);
  });

  it('lists the sampled parameters as swept, family and version apart', async () => {
    const { board: lb } = await board();
    expect(lb.sweptParams).toEqual(['model.units', 'train.learningRate']);
    expect(lb.sweptScoring).toEqual(['threshold.percentile']);
  });

  it('reads swept parameters from what was sampled, not from what happens to differ', async () => {
    const { study, trials, evaluations } = await board({
      families: ['dense'],
      versions: ['base'],
      learningRates: [0.001, 0.01],
      percentiles: [90, 95],
    });
    // A random sampler may draw the same batch size every time: still a searched parameter.
    const drewOneValue = trials.map((t) => ({ ...t, sampled: { ...t.sampled, 'train.batchSize': 32 } }));
    const lb = buildLeaderboard(study, drewOneValue, evaluations);
    expect(lb.sweptParams).toEqual(['train.batchSize', 'train.learningRate']);
    expect(lb.sweptScoring).toEqual(['threshold.percentile']);
  });

  it('falls back to the parameters that differ for a store that did not record what was sampled', async () => {
    const { study, trials, evaluations } = await board({
      families: ['dense', 'lstm'],
      versions: ['base'],
      learningRates: [0.001, 0.01],
    });
    const v1 = buildLeaderboard(
      study,
      trials.map((t) => ({ ...t, sampled: null, distributions: null, params: { ...t.params, 'train.batchSize': 32 } })),
      evaluations.map((e) => ({ ...e, sampled: null })),
    );
    expect(v1.sweptParams).toEqual(['model.units', 'train.learningRate']);
    expect(v1.sweptScoring).toEqual(['threshold.percentile']);
  });

  it('names a row by model.kind and model.variant, else model.preset', async () => {
    const { study, trials, evaluations } = await board({
      families: ['dense'],
      versions: ['base'],
      learningRates: [0.001],
    });
    expect(buildLeaderboard(study, trials, evaluations).rows[0]).toMatchObject({ family: 'dense', variant: 'base' });
    const presets = trials.map((t) => {
      const { 'model.variant': _variant, ...params } = t.params;
      return { ...t, params: { ...params, 'model.preset': 'V2' } };
    });
    expect(buildLeaderboard(study, presets, evaluations).rows[0]).toMatchObject({ family: 'dense', variant: 'V2' });
  });

  it('represents a row by its median-score repeat, not the luckiest', async () => {
    const { board: lb, study } = await board({
      repeats: 3,
      families: ['dense'],
      versions: ['base'],
      learningRates: [0.001],
    });
    const row = lb.rows[0];
    const scores = row.evaluations.map((e) => e.metrics.test!.rocAuc!);
    const median = [...scores].sort((a, b) => a - b)[1];
    const rep = representativeTrial(study, row);
    expect(row.evaluations[row.trials.indexOf(rep)].metrics.test!.rocAuc).toBe(median);
  });
});
