import { describe, expect, it } from 'vitest';
import { GridSampler } from '../src/samplers/grid.js';
import { RandomSampler } from '../src/samplers/random.js';
import type { SampledTrial, Sampler } from '../src/samplers/sampler.js';
import type { SearchSpace } from '@aelab/core';

function drain(sampler: Sampler, space: SearchSpace, limit = 1000): SampledTrial[] {
  const history: SampledTrial[] = [];
  for (let i = 0; i < limit; i++) {
    const d = sampler.ask(space, history);
    if (d.status !== 'run') break;
    history.push({ params: d.params, objective: null, state: 'running' });
  }
  return history;
}

const space: SearchSpace = {
  'model.dropout': { type: 'categorical', values: [0, 0.1, 0.2] },
  'training.learningRate': { type: 'float', low: 1e-4, high: 1e-2, log: true },
  'training.batchSize': { type: 'int', low: 16, high: 128, step: 16 },
};

describe('grid sampler', () => {
  it('visits each combination once, then is done', () => {
    const grid: SearchSpace = {
      a: { type: 'categorical', values: [1, 2, 3] },
      b: { type: 'categorical', values: ['x', 'y'] },
    };
    const trials = drain(new GridSampler(), grid);
    expect(trials).toHaveLength(6);
    expect(new Set(trials.map((t) => JSON.stringify(t.params))).size).toBe(6);
  });
});

describe('random sampler', () => {
  it('is reproducible from its seed and differs across seeds', () => {
    const a = drain(new RandomSampler(10, 7), space);
    const b = drain(new RandomSampler(10, 7), space);
    const c = drain(new RandomSampler(10, 8), space);
    expect(a).toHaveLength(10);
    expect(a).toEqual(b);
    expect(a).not.toEqual(c);
  });

  it('keeps values inside their ranges', () => {
    for (const { params } of drain(new RandomSampler(50, 1), space)) {
      expect([0, 0.1, 0.2]).toContain(params['model.dropout']);
      const lr = params['training.learningRate'] as number;
      expect(lr).toBeGreaterThanOrEqual(1e-4);
      expect(lr).toBeLessThanOrEqual(1e-2);
      expect((params['training.batchSize'] as number) % 16).toBe(0);
    }
  });

  it('a resumed sweep proposes the same next configuration', () => {
    const full = drain(new RandomSampler(6, 3), space);
    const resumed = new RandomSampler(6, 3).ask(space, full.slice(0, 4));
    expect(resumed).toEqual({ status: 'run', params: full[4].params });
  });

  it('never proposes a configuration twice, ending early when a small space is exhausted', () => {
    const small: SearchSpace = { x: { type: 'categorical', values: [1, 2, 3] } };
    const trials = drain(new RandomSampler(10, 1), small);
    expect(trials.map((t) => t.params.x).sort()).toEqual([1, 2, 3]);
  });

  it('rejects a non-positive trial count with an exact message', () => {
    expect(() => new RandomSampler(-3, 1)).toThrow('trials must be a positive integer, got -3');
  });
});
