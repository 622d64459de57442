import { mkdtemp, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Distribution, Json, Params } from '@aelab/core';
import { InMemoryRunStore, type RunStore } from '@aelab/store';
import { describe, expect, it } from 'vitest';
import { buildLeaderboard, renderReport } from '../src/index.js';
import { parameterImportance } from '../src/importance/parameter-importance.js';

const SPACE: Record<string, Distribution> = {
  'model.encoder': {
    type: 'categorical',
    values: [
      [32, 8],
      [64, 16],
      [128, 32],
      [64, 8],
    ],
  },
  'model.dropout': { type: 'float', low: 0, high: 0.4, step: 0.2 },
  'training.learningRate': { type: 'float', low: 1e-4, high: 1e-2, log: true },
  'training.batchSize': { type: 'int', low: 16, high: 64, step: 16 },
  'model.units': { type: 'categorical', values: [16, 32], when: { 'model.kind': 'lstm' } },
  'threshold.percentile': { type: 'categorical', values: [90, 95] },
};

interface Planned {
  sampled: Params;
  objective: number;
  /** Epochs trained; a pruned trial stops early. */
  epochs: number;
  status?: 'complete' | 'pruned';
  /** The value reported at each epoch. */
  curve?: number[];
}

/** A study whose objective (validation MSE, minimised) is what `plan` says, with recorded samples and distributions. */
async function writeStudy(
  store: RunStore,
  plan: Planned[],
  options: { recordSamples?: boolean } = {},
): Promise<string> {
  const study = await store.createStudy({
    name: 'analysis',
    experimentPath: 'analysis.json',
    experiment: { name: 'analysis' },
    experimentHash: 'h',
    gitCommit: null,
    dataset: 'synthetic-ecg',
    selection: { metric: 'mse', direction: 'minimize', split: 'validation' },
  });
  for (const [i, p] of plan.entries()) {
    const training = Object.fromEntries(Object.entries(p.sampled).filter(([k]) => !k.startsWith('threshold.')));
    const trial = await store.startTrial(study.id, {
      configHash: `cfg${i}`,
      params: training,
      sampled: options.recordSamples === false ? null : training,
      distributions: options.recordSamples === false ? null : SPACE,
      repeat: 0,
      seed: i,
      environment: { backend: 'wasm', versions: {}, gitCommit: null },
      dataFingerprint: null,
    });
    const history = (p.curve ?? Array.from({ length: p.epochs }, (_, e) => p.objective + 1 / (e + 1))).map(
      (valLoss, e) => ({ epoch: e + 1, loss: valLoss, valLoss, seconds: 0.1 }),
    );
    const status = p.status ?? 'complete';
    await store.finishTrial(trial.id, {
      status,
      reason: status === 'pruned' ? `pruned by the asha pruner after epoch ${history.length}` : undefined,
      history,
      trainSeconds: 1,
      bestEpoch: history.length,
      parameterCount: 100,
      artifacts: {},
    });
    if (status !== 'complete') continue;
    const scoring = { 'threshold.percentile': (p.sampled['threshold.percentile'] ?? 95) as Json };
    await store.addEvaluations(trial.id, [
      {
        configHash: `cfg${i}-s`,
        scoring,
        sampled: options.recordSamples === false ? null : scoring,
        threshold: 1,
        usesLabels: false,
        metrics: { validation: { rows: 10, positives: 0, mse: p.objective } },
      },
    ]);
  }
  return study.id;
}

/** 4 x 3 x 3 x 4 x 2 = 288 configurations with `objective` of their params. */
function grid(objective: (p: Params) => number): Planned[] {
  const plan: Planned[] = [];
  for (const encoder of (SPACE['model.encoder'] as { values: Json[] }).values)
    for (const dropout of [0, 0.2, 0.4])
      for (const learningRate of [1e-4, 1e-3, 1e-2])
        for (const batchSize of [16, 32, 48, 64])
          for (const percentile of [90, 95]) {
            const sampled = {
              'model.encoder': encoder,
              'model.dropout': dropout,
              'training.learningRate': learningRate,
              'training.batchSize': batchSize,
              'threshold.percentile': percentile,
            };
            plan.push({ sampled, objective: objective(sampled), epochs: 3 });
          }
  return plan;
}

async function importanceOf(plan: Planned[], options?: { recordSamples?: boolean }) {
  const store = new InMemoryRunStore();
  const id = await writeStudy(store, plan, options);
  const [study] = await store.listStudies();
  return parameterImportance(buildLeaderboard(study, await store.listTrials(id), await store.listEvaluations(id)).rows);
}

describe('parameter importance of a study', () => {
  it(
    'gives ~all the importance to the one parameter the objective depends on ' +
      '(categorical, float, log float, int, scoring)',
    async () => {
      const lrTerm = (p: Params) => Math.log10(p['training.learningRate'] as number);
      const cases: [string, (p: Params) => number][] = [
        ['model.encoder', (p) => JSON.stringify(p['model.encoder']).length % 3],
        ['model.dropout', (p) => (p['model.dropout'] as number) ** 2],
        ['training.learningRate', (p) => (lrTerm(p) + 3) ** 2],
        ['training.batchSize', (p) => p['training.batchSize'] as number],
        ['threshold.percentile', (p) => (p['threshold.percentile'] === 90 ? 1 : 2)],
      ];
      for (const [name, objective] of cases) {
        const result = await importanceOf(grid(objective));
        expect(result.computed, name).toBe(true);
        if (!result.computed) continue;
        expect(result.configurations).toBe(288);
        expect(result.params[0].name, name).toBe(name);
        expect(result.params[0].importance.mean, name).toBeGreaterThan(0.95);
        for (const other of result.params.slice(1))
          expect(other.importance.mean, `${name}: ${other.name}`).toBeLessThan(0.02);
      }
    },
  );

  it('splits the variance of an additive objective between its terms, and orders them', async () => {
    // Var(dropout term) = 8/3 x Var(encoder term) over the uniform space.
    const result = await importanceOf(
      grid((p) => 2 * (p['model.dropout'] as number) * 5 + ((p['training.batchSize'] as number) === 16 ? 1 : 0)),
    );
    expect(result.computed).toBe(true);
    if (!result.computed) return;
    expect(result.params.map((p) => p.name).slice(0, 2)).toEqual(['model.dropout', 'training.batchSize']);
    // Var(10 x dropout) over {0, 0.2, 0.4} = 8/3; Var([batch = 16]) over 4 values = 3/16.
    expect(result.params[0].importance.mean).toBeCloseTo(8 / 3 / (8 / 3 + 3 / 16), 1);
    expect(result.params[1].importance.mean).toBeCloseTo(3 / 16 / (8 / 3 + 3 / 16), 1);
    expect(result.params[0].importance.std).not.toBeNull();
  });

  it('leaves out conditional parameters and says why it computed nothing', async () => {
    const plan = grid((p) => p['training.batchSize'] as number).slice(0, 20);
    plan[0].sampled = { ...plan[0].sampled, 'model.units': 16 };
    const result = await importanceOf(plan);
    // The first 20 grid points share one encoder and one dropout.
    expect(result.computed && result.excluded).toEqual([
      { name: 'model.dropout', why: 'took one value only' },
      { name: 'model.encoder', why: 'took one value only' },
      { name: 'model.units', why: 'not sampled in every configuration (conditional)' },
    ]);
    expect(await importanceOf(plan.slice(0, 7))).toEqual({
      computed: false,
      reason: '7 scored configurations; it needs at least 8',
    });
    expect(await importanceOf(plan, { recordSamples: false })).toEqual({
      computed: false,
      reason: 'the trials did not record what they sampled (a version 1 store)',
    });
    expect(await importanceOf(plan.map((p) => ({ ...p, objective: 1 })))).toEqual({
      computed: false,
      reason: 'every configuration has the same objective',
    });
  });
});

describe('the study page', () => {
  it(
    'lists pruned trials with their rung, value and standing there, ' + 'and draws the importance with its note',
    async () => {
      const plan = grid((p) => (p['training.batchSize'] as number) / 100).slice(0, 24);
      // Two trials stopped at epoch 2: one by a clearly worse value, one nearly level.
      plan.push({ sampled: plan[0].sampled, objective: 0, epochs: 2, status: 'pruned', curve: [5, 4] });
      plan.push({ sampled: plan[1].sampled, objective: 0, epochs: 1, status: 'pruned', curve: [0.9] });
      const store = new InMemoryRunStore();
      const id = await writeStudy(store, plan);
      const outDir = await mkdtemp(join(tmpdir(), 'aelab-analysis-'));
      const report = await renderReport(store, { outDir, maxTrialPages: 1 });
      const html = await readFile(report.studyPaths[id], 'utf8');
      const table = html.slice(html.indexOf('id="pruned"'), html.indexOf('</table>', html.indexOf('id="pruned"')));
      const rows = table.split('<tr').slice(2);
      expect(rows).toHaveLength(2);
      // #24: rung 2, value 4, the highest of the 25 values reported at epoch 2.
      expect(rows[0]).toMatch(
        /#24(<\/a>)?<\/td>.*<td[^>]*>2<\/td><td[^>]*>4<\/td><td[^>]*>25 of 25<\/td><td>asha<\/td>/s,
      );
      expect(rows[1]).toMatch(/#25(<\/a>)?<\/td>.*<td[^>]*>1<\/td><td[^>]*>0\.9<\/td>/s);
      expect(html).toContain('<figure class="chart" id="fig-importance">');
      expect(html).toMatch(
        /fANOVA \(Hutter et al\. 2014\): a random forest of 64 regression trees .* of the 24 scored configurations/,
      );
      expect(html).toContain('± one standard deviation over those trees');
    },
  );
});
