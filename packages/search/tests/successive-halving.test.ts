import { describe, expect, it } from 'vitest';
import { parseExperiment } from '../src/experiment.js';
import { AshaPruner, recommendedMinEpochs } from '../src/pruners/asha.js';
import { HyperbandPruner } from '../src/pruners/hyperband.js';
import { createPruner } from '../src/pruners/index.js';
import type { Pruner, TrialCurve } from '../src/pruners/pruner.js';

/** A curve whose training key is its id (each trial a training of its own). */
const curve = (trialId: string, values: number[], state: TrialCurve['state'] = 'complete'): TrialCurve => ({
  trialId,
  training: trialId,
  values,
  state,
});

/** A decreasing loss curve: `level` is where it flattens, `epochs` long. */
const loss = (level: number, epochs = 20) => Array.from({ length: epochs }, (_, i) => level + 1 / (i + 1));

/**
 * Runs trials one after another (one worker) through the study's pruning channel: each
 * epoch's value is reported and the pruner asked with every other trial's curve so far.
 * Returns, per trial, the epoch it was pruned after, or null when it trained to its end.
 */
function sweep(
  pruner: Pruner,
  planned: { trialId: string; values: number[] }[],
  earlier: TrialCurve[] = [],
): { decisions: (number | null)[]; curves: TrialCurve[] } {
  const curves = earlier.map((c) => ({ ...c, values: [...c.values] }));
  const decisions = planned.map(({ trialId, values }) => {
    const trial = { trialId, training: trialId, values: [] as number[], state: 'running' as TrialCurve['state'] };
    curves.push(trial);
    for (const value of values) {
      trial.values.push(value);
      if (
        pruner.shouldPrune(
          trial,
          curves.filter((c) => c !== trial),
        )
      ) {
        trial.state = 'pruned';
        return trial.values.length;
      }
    }
    trial.state = 'complete';
    return null;
  });
  return { decisions, curves };
}

// Twelve trials of 20 epochs, in an order that is neither best-first nor worst-first.
const levels = [0.5, 0.2, 0.9, 0.4, 0.05, 0.7, 0.3, 0.8, 0.1, 0.6, 0.35, 0.15];
const planned = levels.map((level, i) => ({ trialId: `s-1.t${String(i).padStart(6, '0')}`, values: loss(level) }));

describe('ASHA pruner', () => {
  it('has rungs at r * eta^(k + s) epochs', () => {
    const rungs = (pruner: AshaPruner) => Array.from({ length: 30 }, (_, i) => i + 1).filter((e) => pruner.isRung(e));
    expect(rungs(new AshaPruner())).toEqual([1, 3, 9, 27]);
    expect(rungs(new AshaPruner({ minEpochs: 2, reductionFactor: 2 }))).toEqual([2, 4, 8, 16]);
    expect(rungs(new AshaPruner({ minEpochs: 1, reductionFactor: 3, minEarlyStoppingRate: 1 }))).toEqual([3, 9, 27]);
  });

  it('at a rung, promotes a trial in the top 1/eta of the values recorded there and prunes the others', () => {
    const pruner = new AshaPruner({ minEpochs: 1, reductionFactor: 3 });
    // Five others at epoch 1, finished, pruned and running alike; with the trial, six values: the best two go on.
    const others = [
      curve('a', [0.5]),
      curve('b', [0.6], 'pruned'),
      curve('c', [0.7, 0.6], 'running'),
      curve('d', [0.8], 'failed'),
      curve('e', [0.9]),
    ];
    expect(pruner.shouldPrune(curve('t', [0.55], 'running'), others)).toBe(false);
    expect(pruner.shouldPrune(curve('t', [0.65], 'running'), others)).toBe(true);
    // A tie with the last kept value goes on, as in Optuna.
    expect(pruner.shouldPrune(curve('t', [0.6], 'running'), others)).toBe(false);
    expect(pruner.shouldPrune(curve('t', [0.1], 'running'), others)).toBe(false);
  });

  it(
    'does not wait for a rung to fill: the first trial goes on, ' + 'and until eta values are there only the best does',
    () => {
      const pruner = new AshaPruner({ minEpochs: 1, reductionFactor: 3 });
      expect(pruner.shouldPrune(curve('t', [5], 'running'), [])).toBe(false);
      expect(pruner.shouldPrune(curve('t', [5], 'running'), [curve('a', [4])])).toBe(true);
      expect(pruner.shouldPrune(curve('t', [3], 'running'), [curve('a', [4])])).toBe(false);
    },
  );

  it('prunes nothing between rungs, however bad the value', () => {
    const pruner = new AshaPruner({ minEpochs: 2, reductionFactor: 2 });
    const others = [curve('a', loss(0.1)), curve('b', loss(0.2))];
    const hopeless = loss(100);
    for (const epoch of [1, 3, 5, 6, 7, 9, 15, 17, 20]) {
      expect(pruner.shouldPrune(curve('t', hopeless.slice(0, epoch), 'running'), others), `epoch ${epoch}`).toBe(false);
    }
    expect(pruner.shouldPrune(curve('t', hopeless.slice(0, 2), 'running'), others)).toBe(true);
  });

  it('prunes a trial whose value at a rung is not a number', () => {
    expect(new AshaPruner().shouldPrune(curve('t', [Number.NaN], 'running'), [])).toBe(true);
  });

  it('in a sweep, prunes only at rung epochs, at several rungs, and never the best trial', () => {
    const { decisions } = sweep(new AshaPruner({ minEpochs: 2, reductionFactor: 2 }), planned);
    const prunedAt = decisions.filter((d): d is number => d !== null);
    expect(prunedAt.length).toBeGreaterThan(0);
    expect(prunedAt.every((epoch) => [2, 4, 8, 16].includes(epoch))).toBe(true);
    expect(new Set(prunedAt).size).toBeGreaterThan(1);
    expect(decisions[levels.indexOf(Math.min(...levels))]).toBeNull();
    expect(decisions[0]).toBeNull(); // the first trial is alone at every rung
  });

  it('decides the same when run again on the same curves, and after a resume from the stored curves', () => {
    const once = sweep(new AshaPruner({ minEpochs: 2, reductionFactor: 2 }), planned);
    const twice = sweep(new AshaPruner({ minEpochs: 2, reductionFactor: 2 }), planned);
    expect(twice.decisions).toEqual(once.decisions);
    // Stop after six trials, keep the curves as the store would (JSON), resume with a new pruner.
    const first = sweep(new AshaPruner({ minEpochs: 2, reductionFactor: 2 }), planned.slice(0, 6));
    const stored = JSON.parse(JSON.stringify(first.curves)) as TrialCurve[];
    const resumed = sweep(new AshaPruner({ minEpochs: 2, reductionFactor: 2 }), planned.slice(6), stored);
    expect([...first.decisions, ...resumed.decisions]).toEqual(once.decisions);
  });

  it("is created from an experiment's settings, with exact errors for bad ones", () => {
    expect(createPruner({ type: 'asha', minEpochs: 2, reductionFactor: 2 }, { epochs: 20 }).name).toBe('asha');
    // Without minEpochs, the first rung is a sixteenth of the epochs (the benchmark's recommendation).
    const rungsOf = (pruner: AshaPruner, epochs: number) =>
      Array.from({ length: epochs }, (_, i) => i + 1).filter((e) => pruner.isRung(e));
    expect(rungsOf(createPruner({ type: 'asha' }, { epochs: 100 }) as AshaPruner, 100)).toEqual([6, 18, 54]);
    expect(rungsOf(createPruner({ type: 'asha' }, { epochs: 20 }) as AshaPruner, 20)).toEqual([1, 3, 9]);
    expect(recommendedMinEpochs(5)).toBe(1);
    expect((createPruner({ type: 'hyperband' }, { epochs: 27 }) as HyperbandPruner).bracketCount).toBe(4);
    expect(() => new AshaPruner({ reductionFactor: 1 })).toThrow('reductionFactor must be an integer >= 2, got 1');
    expect(() => new AshaPruner({ minEpochs: 0 })).toThrow('minEpochs must be a positive integer, got 0');
  });
});

describe('Hyperband pruner', () => {
  it('has floor(log_eta(R / r)) + 1 brackets', () => {
    expect(new HyperbandPruner({ maxEpochs: 27 }).bracketCount).toBe(4);
    expect(new HyperbandPruner({ maxEpochs: 26 }).bracketCount).toBe(3);
    expect(new HyperbandPruner({ minEpochs: 2, maxEpochs: 20, reductionFactor: 2 }).bracketCount).toBe(4);
    expect(new HyperbandPruner({ minEpochs: 5, maxEpochs: 5 }).bracketCount).toBe(1);
  });

  it('puts each trial in a bracket chosen from its training alone, more of them in the aggressive brackets', () => {
    const ids = Array.from({ length: 2000 }, (_, i) => `${(i * 7919).toString(16).padStart(16, '0')}#${i % 3}`);
    const a = new HyperbandPruner({ maxEpochs: 27 });
    const b = new HyperbandPruner({ maxEpochs: 27 });
    expect(ids.map((id) => b.bracketOf(id))).toEqual(ids.map((id) => a.bracketOf(id)));
    const counts = [0, 0, 0, 0];
    for (const id of ids) counts[a.bracketOf(id)]++;
    // Optuna's shares for 4 brackets, eta 3: 27, 12, 6, 4 of 49.
    expect(counts[0]).toBeGreaterThan(counts[1]);
    expect(counts[1]).toBeGreaterThan(counts[2]);
    expect(counts.every((c) => c > 0)).toBe(true);
    expect(counts[0] / ids.length).toBeCloseTo(27 / 49, 1);
  });

  it('decides the same for a training re-run under a new trial id (a resumed or a fresh study)', () => {
    const pruner = new HyperbandPruner({ minEpochs: 1, maxEpochs: 9, reductionFactor: 3 });
    const trainings = Array.from({ length: 60 }, (_, i) => `config${i}#0`);
    const others = trainings.slice(1).map((training, i) => ({
      trialId: `s-1.t${String(i + 1).padStart(6, '0')}`,
      training,
      values: Array<number>(9).fill(0.1 * i),
      state: 'complete' as const,
    }));
    const verdicts = (trialId: string) =>
      [1, 2, 3, 4, 5, 6, 7, 8, 9].map((epoch) =>
        pruner.shouldPrune({ trialId, training: trainings[0], values: Array(epoch).fill(4), state: 'running' }, others),
      );
    expect(verdicts('s-2.t000000')).toEqual(verdicts('s-1.t000000'));
    expect(verdicts('s-1.t000061')).toEqual(verdicts('s-1.t000000'));
    expect(verdicts('s-1.t000000')).toContain(true);
  });

  it("compares a trial only with the trials of its bracket, at that bracket's rungs", () => {
    const pruner = new HyperbandPruner({ minEpochs: 1, maxEpochs: 9, reductionFactor: 3 });
    const ids = Array.from({ length: 200 }, (_, i) => `s-1.t${String(i).padStart(6, '0')}`);
    const inBracket = (b: number) => ids.filter((id) => pruner.bracketOf(id) === b);
    const [first, second] = inBracket(0);
    const [elsewhere] = inBracket(1);
    // A much better trial in another bracket does not count; one in the same bracket does.
    expect(pruner.shouldPrune(curve(first, [1], 'running'), [curve(elsewhere, [0.1, 0.1, 0.1])])).toBe(false);
    expect(pruner.shouldPrune(curve(first, [1], 'running'), [curve(second, [0.1])])).toBe(true);
    // Bracket 1 starts at epoch 3: epoch 1 is no rung there.
    const [late, lateOther] = inBracket(1);
    expect(pruner.shouldPrune(curve(late, [1], 'running'), [curve(lateOther, [0.1, 0.1, 0.1])])).toBe(false);
    expect(pruner.shouldPrune(curve(late, [1, 1, 1], 'running'), [curve(lateOther, [0.1, 0.1, 0.1])])).toBe(true);
  });

  it('decides the same when run again on the same curves', () => {
    const make = () => new HyperbandPruner({ minEpochs: 1, maxEpochs: 20, reductionFactor: 2 });
    const once = sweep(make(), planned);
    expect(sweep(make(), planned).decisions).toEqual(once.decisions);
    expect(once.decisions.some((d) => d !== null)).toBe(true);
  });

  it('needs maxEpochs >= minEpochs, said exactly by the constructor and by the experiment schema', () => {
    expect(() => new HyperbandPruner({ minEpochs: 10, maxEpochs: 5 })).toThrow(
      'maxEpochs (5) must be >= minEpochs (10)',
    );
    const base = {
      name: 'hb',
      seed: 1,
      data: { dataset: 'synthetic-ecg' },
      model: { kind: 'dense', encoder: [16, 4], activation: 'relu', outputActivation: 'linear', dropout: 0, l2: 0 },
      training: { epochs: 20, batchSize: 32, learningRate: 0.003, loss: 'mse' },
      scoring: { threshold: { rule: 'percentile', percentile: 95, on: 'train' } },
      selection: { metric: 'f1', direction: 'maximize', split: 'test', allowTest: true },
    };
    expect(parseExperiment({ ...base, pruner: { type: 'hyperband', maxEpochs: 20 } }).pruner).toEqual({
      type: 'hyperband',
      maxEpochs: 20,
    });
    expect(() => parseExperiment({ ...base, pruner: { type: 'hyperband', minEpochs: 10, maxEpochs: 5 } })).toThrow(
      /pruner\.maxEpochs: maxEpochs \(5\) must be >= minEpochs \(10\)/,
    );
    // Without maxEpochs, the experiment's training.epochs is R.
    expect(parseExperiment({ ...base, pruner: { type: 'hyperband' } }).pruner).toEqual({ type: 'hyperband' });
  });
});
