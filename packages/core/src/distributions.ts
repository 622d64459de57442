import { z } from 'zod';
import type { Json } from './json.js';
import { jsonSchema } from './schemas.js';

const when = z
  .record(z.string(), jsonSchema)
  .optional()
  .describe('Makes the parameter conditional: it exists only in trials whose params equal these values, e.g. {"model.kind": "dense"}.');

/**
 * One hyperparameter's distribution, as written in an experiment's `space` and as kept
 * with every trial beside the value drawn from it (as Optuna stores a distribution with
 * each param), so reports read what was searched instead of guessing it.
 */
export const distributionSchema = z.discriminatedUnion('type', [
  z.object({ type: z.literal('categorical'), values: z.array(jsonSchema).min(1).describe('The choices, tried in this order by a grid.'), when }).strict(),
  z
    .object({ type: z.literal('int'), low: z.number().int(), high: z.number().int(), step: z.number().int().positive().optional(), log: z.boolean().optional(), when })
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
