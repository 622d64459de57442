import { z } from 'zod';
import type { Json } from './json.js';
import { jsonSchema } from './schemas.js';

const when = z
  .record(z.string(), jsonSchema)
  .optional()
  .describe(
    'Makes the parameter conditional: it exists only in trials whose params equal these values, ' +
      'e.g. {"model.kind": "dense"}.',
  );

/**
 * One hyperparameter's distribution, as written in an experiment's `space` and as kept
 * with every trial beside the value drawn from it (as Optuna stores a distribution with
 * each param), so reports read what was searched instead of guessing it.
 */
export const distributionSchema = z.discriminatedUnion('type', [
  z
    .object({
      type: z.literal('categorical'),
      values: z.array(jsonSchema).min(1).describe('The choices, tried in this order by a grid.'),
      when,
    })
    .strict(),
  z
    .object({
      type: z.literal('int'),
      low: z.number().int(),
      high: z.number().int(),
      step: z.number().int().positive().optional(),
      log: z.boolean().optional(),
      when,
    })
    .strict(),
  z
    .object({
      type: z.literal('float'),
      low: z.number(),
      high: z.number(),
      step: z.number().positive().optional().describe('Required for grid search over a float.'),
      log: z.boolean().optional().describe('Sample uniformly in log space (learning rates, L2).'),
      when,
    })
    .strict(),
]);

export type Distribution =
  | { type: 'categorical'; values: Json[]; when?: Record<string, Json> }
  | { type: 'int'; low: number; high: number; step?: number; log?: boolean; when?: Record<string, Json> }
  | { type: 'float'; low: number; high: number; step?: number; log?: boolean; when?: Record<string, Json> };

/** Parameter name (dotted path into the experiment's base config) -> distribution. */
export type SearchSpace = Record<string, Distribution>;

// Compile-time proof that the schema and the type are the same shape.
const schemaMatchesType = (d: z.output<typeof distributionSchema>): Distribution => d;
void schemaMatchesType;

/** Maps u in [0, 1) to a value of the distribution. */
export function fromUnit(dist: Distribution, u: number): Json {
  if (dist.type === 'categorical')
    return dist.values[Math.min(dist.values.length - 1, Math.floor(u * dist.values.length))];
  const { low, high } = dist;
  if (dist.log) {
    const value = Math.exp(Math.log(low) + u * (Math.log(high) - Math.log(low)));
    return dist.type === 'int' ? Math.min(high, Math.max(low, Math.round(value))) : value;
  }
  if (dist.step !== undefined || dist.type === 'int') {
    const values = gridValues(dist);
    return values[Math.min(values.length - 1, Math.floor(u * values.length))];
  }
  return low + u * (high - low);
}

/** Inverse of {@link fromUnit}: the unit-interval position of a value (the middle of its bin for discrete values). */
export function toUnit(dist: Distribution, value: Json): number {
  if (dist.type === 'categorical') {
    const i = dist.values.findIndex((v) => JSON.stringify(v) === JSON.stringify(value));
    if (i < 0) throw new Error(`value ${JSON.stringify(value)} is not one of the categories`);
    return (i + 0.5) / dist.values.length;
  }
  const v = Number(value);
  if (dist.log) return (Math.log(v) - Math.log(dist.low)) / (Math.log(dist.high) - Math.log(dist.low));
  if (dist.step !== undefined || dist.type === 'int') {
    const values = gridValues(dist);
    const i = values.findIndex((x) => x === v);
    if (i < 0) throw new Error(`value ${v} is not on the grid [${dist.low}, ${dist.high}]`);
    return (i + 0.5) / values.length;
  }
  return (v - dist.low) / (dist.high - dist.low);
}

/**
 * The finite values a grid sampler visits. Continuous floats without a step cannot be
 * gridded; the caller gets a clear error naming the parameter.
 */
export function gridValues(dist: Distribution, name = 'parameter'): Json[] {
  if (dist.type === 'categorical') return dist.values;
  const step = dist.step ?? (dist.type === 'int' ? 1 : undefined);
  if (step === undefined) {
    throw new Error(`${name}: a float range needs "step" (or use "type": "categorical") to be searched by a grid`);
  }
  const values: number[] = [];
  // Rounding to 12 significant digits keeps 0.1 + 0.2 style drift out of params and hashes.
  for (let i = 0; ; i++) {
    const v = Number((dist.low + i * step).toPrecision(12));
    if (v > dist.high + step * 1e-9) break;
    values.push(v);
  }
  return values;
}
