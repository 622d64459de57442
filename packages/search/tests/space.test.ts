import { describe, expect, it } from 'vitest';
import type { Distribution, SearchSpace } from '@aelab/core';
import { enumerateGrid, fromUnit, gridSize, gridValues, splitSpace, toUnit } from '../src/space.js';

describe('distributions map to and from the unit interval', () => {
  const cases: [string, Distribution, unknown[]][] = [
    ['categorical', { type: 'categorical', values: ['a', [1, 2], 3] }, ['a', [1, 2], 3]],
    ['int with step', { type: 'int', low: 8, high: 32, step: 8 }, [8, 16, 24, 32]],
    ['float with step', { type: 'float', low: 0, high: 0.3, step: 0.1 }, [0, 0.1, 0.2, 0.3]],
  ];
  for (const [name, dist, values] of cases) {
    it(`${name}: every value round-trips and the grid lists them in order`, () => {
      expect(gridValues(dist)).toEqual(values);
      for (const v of values) expect(fromUnit(dist, toUnit(dist, v as never))).toEqual(v);
      expect(fromUnit(dist, 0)).toEqual(values[0]);
      expect(fromUnit(dist, 0.999999)).toEqual(values[values.length - 1]);
    });
  }

  it('log floats are uniform in log space', () => {
    const dist: Distribution = { type: 'float', low: 1e-4, high: 1e-2, log: true };
    expect(fromUnit(dist, 0.5)).toBeCloseTo(1e-3, 10);
    expect(toUnit(dist, 1e-3)).toBeCloseTo(0.5, 10);
  });

  it('a continuous float cannot be gridded and the error names the parameter', () => {
    expect(() => gridValues({ type: 'float', low: 0, high: 1 }, 'training.learningRate')).toThrow(
      /training\.learningRate: .*step/,
    );
  });
});

describe('grid enumeration', () => {
  it('multiplies independent parameters', () => {
    const space: SearchSpace = {
      'model.dropout': { type: 'categorical', values: [0, 0.2] },
      'training.batchSize': { type: 'int', low: 16, high: 64, step: 16 },
    };
    expect(enumerateGrid(space)).toHaveLength(8);
  });

  it('conditional parameters exist only where their condition holds', () => {
    const space: SearchSpace = {
      'model.units': { type: 'categorical', values: [16, 32], when: { 'model.kind': 'lstm' } },
      'model.kind': { type: 'categorical', values: ['dense', 'lstm'] },
      'model.encoder': {
        type: 'categorical',
        values: [
          [32, 8],
          [64, 16],
        ],
        when: { 'model.kind': 'dense' },
      },
    };
    const grid = enumerateGrid(space);
    expect(grid).toHaveLength(4);
    for (const p of grid) {
      if (p['model.kind'] === 'dense') expect(Object.keys(p).sort()).toEqual(['model.encoder', 'model.kind']);
      else expect(Object.keys(p).sort()).toEqual(['model.kind', 'model.units']);
    }
  });

  it('scoring parameters are split from training parameters', () => {
    const { training, scoring } = splitSpace({
      'model.dropout': { type: 'categorical', values: [0] },
      'threshold.percentile': { type: 'categorical', values: [90, 95] },
      'scoring.errorMetric': { type: 'categorical', values: ['mse', 'mae'] },
    });
    expect(Object.keys(training)).toEqual(['model.dropout']);
    expect(Object.keys(scoring).sort()).toEqual(['scoring.errorMetric', 'threshold.percentile']);
  });
});

describe('grid size', () => {
  it('counts the combinations without listing them, conditional parameters included', () => {
    const big: SearchSpace = { a: { type: 'int', low: 1, high: 1000 }, b: { type: 'int', low: 1, high: 1000 } };
    expect(gridSize(big)).toBe(1_000_000);
    const conditional: SearchSpace = {
      'model.kind': { type: 'categorical', values: ['dense', 'lstm'] },
      'model.encoder': { type: 'categorical', values: [[8], [16]], when: { 'model.kind': 'dense' } },
    };
    expect(gridSize(conditional)).toBe(enumerateGrid(conditional).length);
    expect(gridSize(conditional)).toBe(3);
  });
});
