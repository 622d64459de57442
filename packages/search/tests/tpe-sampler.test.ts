import type { Params, SearchSpace } from '@aelab/core';
import { describe, expect, it } from 'vitest';
import { parseExperiment } from '../src/experiment.js';
import { RandomSampler } from '../src/samplers/random.js';
import type { SampledTrial, Sampler } from '../src/samplers/sampler.js';
import { TpeSampler } from '../src/samplers/tpe.js';

/** Asks `count` times, telling each configuration's objective at once (one worker). */
function optimise(
  sampler: Sampler,
  space: SearchSpace,
  objective: (p: Params) => number,
  count: number,
  history: SampledTrial[] = [],
): SampledTrial[] {
  for (let i = history.length; i < count; i++) {
    const decision = sampler.ask(space, history);
    if (decision.status !== 'run') break;
    history.push({ params: decision.params, objective: objective(decision.params), state: 'complete' });
  }
  return history;
}

const best = (history: readonly SampledTrial[]) => Math.max(...history.map((t) => t.objective ?? -Infinity));

// A bowl over a float and a log float, plus a categorical offset; the optimum is (1.3, 10^0.2, "c").
const bowl: SearchSpace = {
  x: { type: 'float', low: -5, high: 5 },
  y: { type: 'float', low: 1e-3, high: 10, log: true },
  c: { type: 'categorical', values: ['a', 'b', 'c', 'd'] },
};
const offsets: Record<string, number> = { a: 0, b: -1, c: 0.5, d: -2 };
const bowlObjective = (p: Params) =>
  -(((p.x as number) - 1.3) ** 2) - 4 * (Math.log10(p.y as number) - 0.2) ** 2 + offsets[p.c as string];

describe('TPE sampler', () => {
  it(
    'is reproducible from its seed, differs across seeds, ' +
      'and a resumed study proposes the same next configuration',
    () => {
      const a = optimise(new TpeSampler({ trials: 30, seed: 7 }), bowl, bowlObjective, 30);
      const b = optimise(new TpeSampler({ trials: 30, seed: 7 }), bowl, bowlObjective, 30);
      const c = optimise(new TpeSampler({ trials: 30, seed: 8 }), bowl, bowlObjective, 30);
      expect(a).toHaveLength(30);
      expect(a).toEqual(b);
      expect(a).not.toEqual(c);
      // Past the startup draws: a fresh sampler given the first 25 proposes the 26th.
      expect(new TpeSampler({ trials: 30, seed: 7 }).ask(bowl, a.slice(0, 25))).toEqual({
        status: 'run',
        params: a[25].params,
      });
    },
  );

  it('draws the first startupTrials configurations at random, whatever their objectives, then follows them', () => {
    const up = optimise(new TpeSampler({ trials: 20, seed: 3, startupTrials: 5 }), bowl, bowlObjective, 20);
    const down = optimise(
      new TpeSampler({ trials: 20, seed: 3, startupTrials: 5 }),
      bowl,
      (p) => -bowlObjective(p),
      20,
    );
    expect(down.slice(0, 5).map((t) => t.params)).toEqual(up.slice(0, 5).map((t) => t.params));
    expect(down.slice(5).map((t) => t.params)).not.toEqual(up.slice(5).map((t) => t.params));
  });

  it('finds a better configuration than random search in 40 trials on most seeds', () => {
    const seeds = Array.from({ length: 10 }, (_, i) => i + 1);
    const wins = seeds.filter((seed) => {
      const tpe = optimise(new TpeSampler({ trials: 40, seed }), bowl, bowlObjective, 40);
      const random = optimise(new RandomSampler(40, seed), bowl, bowlObjective, 40);
      expect(tpe).toHaveLength(40);
      return best(tpe) > best(random);
    });
    expect(wins.length).toBeGreaterThanOrEqual(8);
  });

  it('on a 1-D quadratic, concentrates its samples near the optimum once the startup draws are done', () => {
    const line: SearchSpace = { x: { type: 'float', low: -5, high: 5 } };
    for (const seed of [1, 2, 3]) {
      const history = optimise(
        new TpeSampler({ trials: 60, seed, startupTrials: 10 }),
        line,
        (p) => -(((p.x as number) - 1.3) ** 2),
        60,
      );
      const distances = history.slice(30).map((t) => Math.abs((t.params.x as number) - 1.3));
      // Uniform draws on [-5, 5] land within 1 of 1.3 a fifth of the time, at a median distance of 2.5.
      expect(distances.filter((d) => d < 1).length, `seed ${seed}`).toBeGreaterThan(15);
      expect([...distances].sort((a, b) => a - b)[15], `seed ${seed}`).toBeLessThan(1.2);
    }
  });

  it('on a categorical, proposes the best category most often and the worst rarely', () => {
    const space: SearchSpace = {
      c: { type: 'categorical', values: ['a', 'b', 'c', 'd', 'e'] },
      x: { type: 'float', low: 0, high: 1 },
    };
    const scores: Record<string, number> = { a: 0, b: 1, c: 3, d: 0.5, e: -5 };
    for (const seed of [1, 2, 3]) {
      const history = optimise(
        new TpeSampler({ trials: 60, seed, startupTrials: 10 }),
        space,
        (p) => scores[p.c as string] - (p.x as number),
        60,
      );
      const late = history.slice(30).map((t) => t.params.c);
      expect(late.filter((c) => c === 'c').length, `seed ${seed}`).toBeGreaterThan(15);
      expect(late.filter((c) => c === 'e').length, `seed ${seed}`).toBeLessThan(4);
    }
  });

  it('keeps every value inside its distribution', () => {
    const space: SearchSpace = {
      'model.dropout': { type: 'categorical', values: [0, 0.1, 0.2] },
      'training.learningRate': { type: 'float', low: 1e-4, high: 1e-2, log: true },
      'training.batchSize': { type: 'int', low: 16, high: 128, step: 16 },
      'model.units': { type: 'int', low: 4, high: 512, log: true },
    };
    const objective = (p: Params) =>
      -Math.abs(Math.log10(p['training.learningRate'] as number) + 3) - (p['training.batchSize'] as number) / 128;
    for (const { params } of optimise(new TpeSampler({ trials: 50, seed: 1 }), space, objective, 50)) {
      expect([0, 0.1, 0.2]).toContain(params['model.dropout']);
      const lr = params['training.learningRate'] as number;
      expect(lr).toBeGreaterThanOrEqual(1e-4);
      expect(lr).toBeLessThanOrEqual(1e-2);
      expect((params['training.batchSize'] as number) % 16).toBe(0);
      expect(Number.isInteger(params['model.units'])).toBe(true);
      expect(params['model.units']).toBeGreaterThanOrEqual(4);
      expect(params['model.units']).toBeLessThanOrEqual(512);
    }
  });

  describe('conditional parameters', () => {
    const space: SearchSpace = {
      'model.kind': { type: 'categorical', values: ['dense', 'lstm'] },
      'model.units': { type: 'int', low: 8, high: 64, when: { 'model.kind': 'lstm' } },
      'model.dropout': { type: 'float', low: 0, high: 0.5, when: { 'model.kind': 'dense' } },
      'training.learningRate': { type: 'float', low: 1e-4, high: 1e-2, log: true },
    };

    it('proposes exactly the active parameters, before and after the startup draws', () => {
      const objective = (p: Params) =>
        p['model.kind'] === 'lstm' ? (p['model.units'] as number) / 64 : 0.5 - (p['model.dropout'] as number);
      const history = optimise(new TpeSampler({ trials: 40, seed: 5 }), space, objective, 40);
      expect(history).toHaveLength(40);
      for (const { params } of history) {
        const expected =
          params['model.kind'] === 'lstm'
            ? ['model.kind', 'model.units', 'training.learningRate']
            : ['model.kind', 'model.dropout', 'training.learningRate'];
        expect(Object.keys(params).sort()).toEqual(expected.sort());
      }
    });

    it('models a conditional parameter from the trials where it was active', () => {
      // Dense trials are all poor; among LSTMs the best have many units.
      const history: SampledTrial[] = [];
      for (let i = 0; i < 12; i++) {
        history.push({
          params: { 'model.kind': 'dense', 'model.dropout': i / 24, 'training.learningRate': 1e-3 },
          objective: 0,
          state: 'complete',
        });
        const units = 8 + i * 5;
        history.push({
          params: { 'model.kind': 'lstm', 'model.units': units, 'training.learningRate': 1e-3 },
          objective: units / 64,
          state: 'complete',
        });
      }
      const proposals = Array.from({ length: 20 }, (_, seed) =>
        new TpeSampler({ trials: 100, seed }).ask(space, history),
      );
      const lstm = proposals.flatMap((d) =>
        d.status === 'run' && d.params['model.kind'] === 'lstm' ? [d.params['model.units'] as number] : [],
      );
      expect(lstm.length).toBeGreaterThanOrEqual(15);
      const median = [...lstm].sort((a, b) => a - b)[Math.floor(lstm.length / 2)];
      expect(median).toBeGreaterThanOrEqual(50);
    });
  });

  describe('parallel workers', () => {
    it('never proposes a configuration twice, running ones included, and is done when the space runs out', () => {
      const space: SearchSpace = {
        x: { type: 'int', low: 0, high: 9 },
        c: { type: 'categorical', values: ['a', 'b'] },
      };
      const sampler = new TpeSampler({ trials: 100, seed: 2, startupTrials: 4 });
      const history = optimise(sampler, space, (p) => -Math.abs((p.x as number) - 3) + (p.c === 'a' ? 1 : 0), 6);
      // Four workers, then more asks while everything still runs: the liar must not repeat the best point.
      for (;;) {
        const decision = sampler.ask(space, history);
        if (decision.status !== 'run') {
          expect(decision.status).toBe('done');
          break;
        }
        history.push({ params: decision.params, objective: null, state: 'running' });
      }
      expect(history).toHaveLength(20);
      expect(new Set(history.map((t) => JSON.stringify(t.params))).size).toBe(20);
    });

    it('counts a running configuration as a bad one (constant liar), steering proposals away from it', () => {
      const space: SearchSpace = { x: { type: 'float', low: 0, high: 1 } };
      const finished: SampledTrial[] = Array.from({ length: 20 }, (_, i) => {
        const x = (i + 0.5) / 20;
        return { params: { x }, objective: -((x - 0.3) ** 2), state: 'complete' };
      });
      const running = (x: number): SampledTrial[] =>
        Array.from({ length: 4 }, (_, i) => ({ params: { x: x + i * 1e-3 }, objective: null, state: 'running' }));
      const distances = Array.from({ length: 10 }, (_, seed) => {
        const sampler = new TpeSampler({ trials: 100, seed });
        const at = (history: SampledTrial[]) => {
          const d = sampler.ask(space, history);
          return d.status === 'run' ? Math.abs((d.params.x as number) - 0.3) : NaN;
        };
        // Same history length (so the same candidates); only where the running ones sit differs.
        return { nearBest: at([...finished, ...running(0.3)]), farAway: at([...finished, ...running(0.9)]) };
      });
      const pushedAway = distances.filter((d) => d.nearBest > d.farAway).length;
      expect(distances.every((d) => d.nearBest >= d.farAway)).toBe(true);
      expect(pushedAway).toBeGreaterThanOrEqual(8);
    });

    it('counts failed and pruned configurations as bad ones', () => {
      const space: SearchSpace = {
        c: { type: 'categorical', values: ['a', 'b', 'c'] },
        x: { type: 'float', low: 0, high: 1 },
      };
      const history: SampledTrial[] = [];
      for (let i = 0; i < 10; i++) {
        history.push({ params: { c: 'a', x: i / 10 }, objective: null, state: i % 2 ? 'failed' : 'pruned' });
        history.push({ params: { c: 'b', x: i / 10 + 0.05 }, objective: 1, state: 'complete' });
      }
      const picks = Array.from({ length: 10 }, (_, seed) => new TpeSampler({ trials: 100, seed }).ask(space, history));
      expect(picks.every((d) => d.status === 'run' && d.params.c !== 'a')).toBe(true);
    });
  });

  it('rejects bad settings with exact messages, and its settings are part of the experiment schema', () => {
    expect(() => new TpeSampler({ trials: -3, seed: 1 })).toThrow('trials must be a positive integer, got -3');
    expect(() => new TpeSampler({ trials: 3, seed: 1, gamma: 0 })).toThrow('gamma must be in (0, 1], got 0');
    expect(() => new TpeSampler({ trials: 3, seed: 1, candidates: 0 })).toThrow(
      'candidates must be a positive integer, got 0',
    );
    const base = {
      name: 'tpe',
      seed: 1,
      data: { dataset: 'synthetic-ecg' },
      model: { kind: 'dense', encoder: [16, 4], activation: 'relu', outputActivation: 'linear', dropout: 0, l2: 0 },
      training: { epochs: 1, batchSize: 32, learningRate: 0.003, loss: 'mse' },
      scoring: { threshold: { rule: 'percentile', percentile: 95, on: 'train' } },
      selection: { metric: 'f1', direction: 'maximize', split: 'test', allowTest: true },
    };
    const experiment = parseExperiment({ ...base, sampler: { type: 'tpe', trials: 12, startupTrials: 4, gamma: 0.2 } });
    expect(experiment.sampler).toEqual({ type: 'tpe', trials: 12, startupTrials: 4, gamma: 0.2 });
    expect(() => parseExperiment({ ...base, sampler: { type: 'tpe', trials: 12, gama: 0.2 } })).toThrow(/gama/);
  });
});
