import { createRng, stableStringify, type Distribution, type Json, type Rng, type SearchSpace } from '@aelab/core';
import { z } from 'zod';
import { SETTING_BOUNDS, settingsObject, SHARED_SETTINGS } from '../settings-registry.js';
import { fromUnit, isActive, orderedNames, toUnit } from '../space.js';
import { defineSampler, type Sampler, type SamplerDecision, type SampledTrial } from './sampler.js';

export interface TpeOptions {
  /** Training configurations to propose in all. */
  trials: number;
  seed: number;
  /** Configurations drawn uniformly at random before TPE takes over (counted as finished ones). */
  startupTrials?: number;
  /** Candidates drawn from the good estimator per parameter; the best l(x)/g(x) wins. */
  candidates?: number;
  /** Share of the finished configurations that count as good: ceil(gamma * n), at most 25. */
  gamma?: number;
}
type FilledTpeOptions = Required<TpeOptions>;

// gamma 0.1 is Optuna's `default_gamma` (ceil(0.1 * n), at most 25); hyperopt's 0.25 goes
// with sqrt(n), not n.
const kDefaultOptions = { startupTrials: 10, candidates: 24, gamma: 0.1 } as const;

/** Optuna's cap on the good set, whatever gamma says. */
const MAX_GOOD = 25;
/** Optuna's `prior_weight`: the prior counts as one more observation. */
const PRIOR_WEIGHT = 1;
/** TPE proposals that may repeat a sampled configuration before falling back to uniform draws. */
const MAX_MODEL_DRAWS = 50;
/** Uniform draws in a row that may hit sampled configurations before the space counts as exhausted. */
const MAX_DUPLICATE_DRAWS = 1000;

/**
 * Tree-structured Parzen Estimator (Bergstra et al. 2011), as Optuna's `TPESampler` with
 * its defaults (independent per parameter, prior, magic clip, no endpoints), in the unit
 * interval of each distribution (`toUnit`; log ranges are already in log space there).
 *
 * Until `startupTrials` configurations have finished, draws are uniform (as the random
 * sampler's). Then the finished configurations are split by objective: the best
 * ceil(gamma * n) (at most 25) are good, the rest, failed and pruned ones included, are bad.
 * Configurations still running are told a constant lie, the worst finished objective, so
 * they rank among the bad ones and parallel workers are steered away from what is
 * already being trained (Optuna's `constant_liar`). For each active parameter, a Parzen
 * estimator is fitted to the good (l) and bad (g) configurations that have it (a
 * conditional parameter only learns from the trials where it was active):
 *
 * - floats and ints: a mixture of Gaussians truncated to [0, 1], one per observation plus
 *   a prior N(0.5, 1), each observation's bandwidth by Optuna's (hyperopt's) neighbour rule:
 *   the larger distance to its sorted neighbours, the two extreme ones taking their inner
 *   neighbour's distance, clipped to [1 / min(100, 1 + kernels), 1];
 * - categoricals: a smoothed histogram, each observation's kernel putting
 *   1 + 1/kernels on its category and 1/kernels on every category, plus a uniform prior.
 *
 * Mixture weights follow Optuna's `default_weights` (older observations ramp down past 25).
 * `candidates` values are drawn from l and the one with the largest l(x)/g(x) is kept;
 * discrete values are scored where their bin sits, so equal values score equally.
 *
 * Pure: the stream depends on the seed and the history's length only, so a resumed study
 * replays its proposals. A configuration already in the history is drawn again, never
 * proposed twice; `done` once `trials` are proposed or the space runs out.
 */
export class TpeSampler implements Sampler {
  readonly name = 'tpe';
  private readonly options: FilledTpeOptions;

  constructor(options: TpeOptions) {
    this.options = { ...kDefaultOptions, ...withoutUndefined(options) } as FilledTpeOptions;
    const { trials, startupTrials, candidates, gamma } = this.options;
    if (!Number.isInteger(trials) || trials <= 0) throw new Error(`trials must be a positive integer, got ${trials}`);
    if (!Number.isInteger(startupTrials) || startupTrials < 0)
      throw new Error(`startupTrials must be a non-negative integer, got ${startupTrials}`);
    if (!Number.isInteger(candidates) || candidates <= 0)
      throw new Error(`candidates must be a positive integer, got ${candidates}`);
    if (!(gamma > 0 && gamma <= 1)) throw new Error(`gamma must be in (0, 1], got ${gamma}`);
  }

  ask(space: SearchSpace, history: readonly SampledTrial[]): SamplerDecision {
    if (history.length >= this.options.trials) return { status: 'done' };
    const seen = new Set(history.map((t) => stableStringify(t.params)));
    const rng = createRng(this.options.seed, `tpe-sampler:${history.length}`);
    const names = orderedNames(space);
    const split = this.split(history);
    const model = split && new TpeModel(space, split, this.options.candidates);
    for (let draw = 0; draw < MAX_MODEL_DRAWS + MAX_DUPLICATE_DRAWS; draw++) {
      const params: Record<string, Json> = {};
      for (const name of names) {
        if (!isActive(space[name], params)) continue;
        params[name] = model && draw < MAX_MODEL_DRAWS ? model.propose(name, rng) : fromUnit(space[name], rng.next());
      }
      if (!seen.has(stableStringify(params))) return { status: 'run', params };
    }
    return { status: 'done' };
  }

  /** Good and bad configurations, in history order; null while the startup draws last. */
  private split(history: readonly SampledTrial[]): { good: SampledTrial[]; bad: SampledTrial[] } | null {
    const finished = history.filter((t) => t.state !== 'running');
    if (finished.length < this.options.startupTrials) return null;
    const scored = new Set(
      finished.filter((t) => t.state === 'complete' && t.objective !== null && Number.isFinite(t.objective)),
    );
    if (scored.size === 0) return null;
    const worst = Math.min(...[...scored].map((t) => t.objective as number));
    const ranked = history.map((trial, order) => ({
      trial,
      order,
      lie: trial.state === 'running',
      value: trial.state === 'running' ? worst : scored.has(trial) ? (trial.objective as number) : -Infinity,
    }));
    // Larger is better; a lie never outranks a real objective it ties with; then history order.
    ranked.sort((a, b) => b.value - a.value || Number(a.lie) - Number(b.lie) || a.order - b.order);
    const goodCount = Math.min(Math.ceil(this.options.gamma * finished.length), MAX_GOOD, scored.size);
    const inOrder = (part: typeof ranked) => part.sort((a, b) => a.order - b.order).map((r) => r.trial);
    return { good: inOrder(ranked.slice(0, goodCount)), bad: inOrder(ranked.slice(goodCount)) };
  }
}

/** The good and bad estimators of each parameter, built on first use within one `ask`. */
class TpeModel {
  private readonly estimators = new Map<string, { good: ParzenEstimator; bad: ParzenEstimator }>();

  constructor(
    private readonly space: SearchSpace,
    private readonly split: { good: SampledTrial[]; bad: SampledTrial[] },
    private readonly candidates: number,
  ) {}

  /** The candidate drawn from l with the largest l(x) / g(x), as a value of the parameter. */
  propose(name: string, rng: Rng): Json {
    const dist = this.space[name];
    const { good, bad } = this.estimatorsOf(name);
    let best: { value: Json; score: number } | undefined;
    for (let i = 0; i < this.candidates; i++) {
      const position = good.sample(rng);
      const value =
        dist.type === 'categorical' ? dist.values[position] : fromUnit(dist, Math.min(position, 1 - Number.EPSILON));
      const at = dist.type === 'categorical' ? position : unitOf(dist, value);
      const score = good.logPdf(at) - bad.logPdf(at);
      if (!best || score > best.score) best = { value, score };
    }
    return best!.value;
  }

  private estimatorsOf(name: string) {
    let found = this.estimators.get(name);
    if (!found) {
      const dist = this.space[name];
      const fit = (trials: SampledTrial[]) => {
        const observations = trials
          .filter((t) => name in t.params)
          .map((t) => positionOf(dist, t.params[name]))
          .filter((p) => p >= 0);
        return dist.type === 'categorical'
          ? new CategoricalEstimator(observations, dist.values.length)
          : new TruncatedGaussianEstimator(observations);
      };
      found = { good: fit(this.split.good), bad: fit(this.split.bad) };
      this.estimators.set(name, found);
    }
    return found;
  }
}

/** Where a value sits for the estimators: a category's index (-1 if it is none), else its unit position. */
function positionOf(dist: Distribution, value: Json): number {
  if (dist.type !== 'categorical') return unitOf(dist, value);
  return dist.values.findIndex((v) => JSON.stringify(v) === JSON.stringify(value));
}

function unitOf(dist: Distribution, value: Json): number {
  return Math.min(1, Math.max(0, toUnit(dist, value)));
}

interface ParzenEstimator {
  /** A position (unit value, or category index) drawn from the mixture. */
  sample(rng: Rng): number;
  logPdf(position: number): number;
}

/**
 * Optuna's `default_weights` with the prior's weight appended, normalised: observations in
 * history order, equal up to 25, past that the oldest ramp linearly from 1/n up to 1.
 */
function mixtureWeights(observations: number): number[] {
  const ramp = Math.max(0, observations - 25);
  const weights = Array.from({ length: observations }, (_, i) => {
    if (i >= ramp) return 1;
    return ramp === 1 ? 1 / observations : 1 / observations + ((1 - 1 / observations) * i) / (ramp - 1);
  });
  weights.push(PRIOR_WEIGHT);
  const total = weights.reduce((a, b) => a + b, 0);
  return weights.map((w) => w / total);
}

function pick(weights: readonly number[], rng: Rng): number {
  let u = rng.next();
  for (let i = 0; i < weights.length - 1; i++) {
    u -= weights[i];
    if (u < 0) return i;
  }
  return weights.length - 1;
}

class TruncatedGaussianEstimator implements ParzenEstimator {
  private readonly mus: number[];
  private readonly sigmas: number[];
  private readonly logWeights: number[];
  private readonly weights: number[];
  private readonly logMass: number[];

  constructor(observations: number[]) {
    this.mus = [...observations, 0.5];
    this.sigmas = bandwidths(this.mus);
    this.sigmas[this.sigmas.length - 1] = 1;
    this.weights = mixtureWeights(observations.length);
    this.logWeights = this.weights.map(Math.log);
    this.logMass = this.mus.map((mu, i) =>
      Math.log(normalCdf((1 - mu) / this.sigmas[i]) - normalCdf(-mu / this.sigmas[i])),
    );
  }

  sample(rng: Rng): number {
    const i = pick(this.weights, rng);
    // Every kernel's mean lies in [0, 1], so at least a third of its mass does too.
    for (let tries = 0; tries < 100; tries++) {
      const x = rng.normal(this.mus[i], this.sigmas[i]);
      if (x >= 0 && x <= 1) return x;
    }
    return Math.min(1, Math.max(0, this.mus[i]));
  }

  logPdf(x: number): number {
    const terms = this.mus.map((mu, i) => {
      const z = (x - mu) / this.sigmas[i];
      return this.logWeights[i] - 0.5 * z * z - Math.log(this.sigmas[i] * Math.sqrt(2 * Math.PI)) - this.logMass[i];
    });
    return logSumExp(terms);
  }
}

/**
 * Optuna's univariate bandwidths on [0, 1] (`mus` ends with the prior's mean): the larger
 * gap to each sorted neighbour (the range's ends count as neighbours), the extreme kernels
 * taking their inner gap, clipped to [1 / min(100, 1 + kernels), 1].
 */
function bandwidths(mus: readonly number[]): number[] {
  const order = mus.map((_, i) => i).sort((a, b) => mus[a] - mus[b]);
  const sorted = [0, ...order.map((i) => mus[i]), 1];
  const sigmas = order.map((_, k) => Math.max(sorted[k + 1] - sorted[k], sorted[k + 2] - sorted[k + 1]));
  if (order.length >= 2) {
    sigmas[0] = sorted[2] - sorted[1];
    sigmas[order.length - 1] = sorted[order.length] - sorted[order.length - 1];
  }
  const minimum = 1 / Math.min(100, 1 + mus.length);
  const out = Array<number>(mus.length);
  order.forEach((i, k) => (out[i] = Math.min(1, Math.max(minimum, sigmas[k]))));
  return out;
}

class CategoricalEstimator implements ParzenEstimator {
  private readonly probabilities: number[];

  constructor(observations: number[], categories: number) {
    const weights = mixtureWeights(observations.length);
    const kernels = observations.length + 1;
    const smoothing = PRIOR_WEIGHT / kernels;
    const kernelTotal = 1 + smoothing * categories;
    // The prior kernel is uniform; each observation's puts 1 + smoothing on its category and smoothing on each.
    this.probabilities = Array.from({ length: categories }, () => weights[observations.length] / categories);
    observations.forEach((c, i) => {
      for (let k = 0; k < categories; k++)
        this.probabilities[k] += (weights[i] * (smoothing + (k === c ? 1 : 0))) / kernelTotal;
    });
  }

  sample(rng: Rng): number {
    return pick(this.probabilities, rng);
  }

  logPdf(category: number): number {
    return Math.log(this.probabilities[category]);
  }
}

function logSumExp(terms: number[]): number {
  const max = Math.max(...terms);
  if (max === -Infinity) return -Infinity;
  return max + Math.log(terms.reduce((sum, t) => sum + Math.exp(t - max), 0));
}

/** The standard normal CDF, through erfc (Numerical Recipes' Chebyshev fit, relative error < 1.2e-7). */
function normalCdf(z: number): number {
  const x = -z / Math.SQRT2;
  const t = 1 / (1 + 0.5 * Math.abs(x));
  const poly =
    -x * x -
    1.26551223 +
    t *
      (1.00002368 +
        t *
          (0.37409196 +
            t *
              (0.09678418 +
                t *
                  (-0.18628806 +
                    t * (0.27886807 + t * (-1.13520398 + t * (1.48851587 + t * (-0.82215223 + t * 0.17087277))))))));
  const erfc = t * Math.exp(poly);
  return 0.5 * (x >= 0 ? erfc : 2 - erfc);
}

function withoutUndefined<T extends object>(value: T): Partial<T> {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as Partial<T>;
}

export const tpeSampler = defineSampler({
  type: 'tpe',
  schema: settingsObject(
    'tpe',
    {
      trials: SHARED_SETTINGS.trials,
      seed: SHARED_SETTINGS.seed,
      startupTrials: SHARED_SETTINGS.startupTrials.describe(
        'Finished configurations drawn uniformly at random before TPE models the results (default 10).',
      ),
      candidates: z
        .number()
        .int()
        .positive()
        .max(SETTING_BOUNDS.candidates)
        .optional()
        .describe(
          'Candidates drawn from the good estimator per parameter; the best l(x)/g(x) is proposed (default 24).',
        ),
      gamma: z
        .number()
        .gt(0)
        .lte(1)
        .optional()
        .describe(
          'Share of the finished configurations that count as good: ceil(gamma * n), ' +
            'at most 25 (default 0.1, as Optuna).',
        ),
    },
    "Tree-structured Parzen Estimator (Optuna's TPESampler): " +
      'learns from finished configurations where the good ones lie.',
  ),
  create: (settings, context) =>
    new TpeSampler({
      trials: settings.trials,
      seed: settings.seed ?? context.seed,
      startupTrials: settings.startupTrials,
      candidates: settings.candidates,
      gamma: settings.gamma,
    }),
  plannedTrials: (settings) => settings.trials,
});
