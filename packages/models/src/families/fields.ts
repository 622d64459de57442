/**
 * Field schemas the families share, each with the message it gives, so a bad value reads
 * the same in every family and wherever the schema is embedded (the experiment file):
 * `dropout must be in [0, 1), got 1.5`.
 */
import { z } from 'zod';
import { formatValue } from '@aelab/core';

/** Hidden-layer activations the builders accept (all are tfjs built-ins). */
export const ACTIVATIONS = ['relu', 'elu', 'selu', 'tanh', 'sigmoid', 'linear', 'swish'] as const;
export type Activation = (typeof ACTIVATIONS)[number];

/** Output activations: `linear` for standardised inputs, `sigmoid` for inputs scaled to [0, 1]. */
export const OUTPUT_ACTIVATIONS = ['linear', 'sigmoid'] as const;
export type OutputActivation = (typeof OUTPUT_ACTIVATIONS)[number];

/** A zod error option: `must be <requirement>, got <value>`. */
export function mustBe(requirement: string) {
  return { error: (issue: { input?: unknown }) => `must be ${requirement}, got ${formatValue(issue.input)}` };
}

export function oneOf<const T extends readonly [string, ...string[]]>(values: T) {
  return z.enum(values, mustBe(`one of ${values.join(', ')}`));
}

const POSITIVE_INTEGER = mustBe('a positive integer');
export const positiveInt = z.number(POSITIVE_INTEGER).int(POSITIVE_INTEGER).positive(POSITIVE_INTEGER);

/** A positive integer at most `max`: a count a detector holds in memory (trees, rows, neighbours). */
export const boundedCount = (max: number) =>
  positiveInt.max(max, mustBe(`a positive integer up to ${max.toLocaleString('en-US')}`));

const RATE = mustBe('in [0, 1)');
/** A dropout rate. */
export const rate = z.number(RATE).min(0, RATE).lt(1, RATE);

/**
 * The largest L2 penalty: above 1 the penalty outweighs any reconstruction loss and the weights go to 0 (or diverge).
 */
export const MAX_PENALTY = 1;
const PENALTY = mustBe(`in [0, ${MAX_PENALTY}]`);
/** An L2 penalty. */
export const penalty = z.number(PENALTY).min(0, PENALTY).max(MAX_PENALTY, PENALTY);

const WIDTHS = mustBe('a non-empty array of positive integers');
/** Layer widths, units or filters: at least one. */
export const widths = z.array(positiveInt, WIDTHS).min(1, WIDTHS);

export const activation = oneOf(ACTIVATIONS);
export const outputActivation = oneOf(OUTPUT_ACTIVATIONS);

/** The per-hidden-layer value of a `number | number[]` field (missing entries are 0). */
export function perLayer(value: number | readonly number[], layer: number): number {
  return Array.isArray(value) ? (value[layer] ?? 0) : (value as number);
}

/**
 * Weight initialisation schemes. `glorot` is Keras' default (Glorot-uniform kernels, zero
 * biases, orthogonal recurrent kernels); `pytorch` is torch.nn's default (Linear/Conv1d:
 * Kaiming-uniform with a = sqrt(5), i.e. U(+-1/sqrt(fan_in)) for weights and biases;
 * RNN/LSTM: every weight U(+-1/sqrt(units)) and two such biases summed).
 */
export const INITS = ['glorot', 'pytorch'] as const;
export type Init = (typeof INITS)[number];

/** The `init` field every family has; absent means glorot, so older specs keep their hashes and weights. */
export const init = oneOf(INITS)
  .optional()
  .describe(
    "Weight initialisation: glorot (Keras' default: Glorot-uniform kernels, zero biases; the default) " +
      "or pytorch (torch.nn's defaults: U(+-1/sqrt(fan_in)) weights and biases).",
  );
