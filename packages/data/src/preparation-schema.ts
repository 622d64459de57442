/**
 * A fitted {@link Preparation}, as saved beside a model, and its schema: what `aelab score`
 * checks before it applies a preparation read from a model folder. Every number finite (JSON's `1e999` parses as
 * Infinity), scales positive, and every per-feature list as long as `features`, so a
 * tampered preparation is refused naming its field instead of scoring every row NaN.
 */
import { z } from 'zod';
import { schemaProblems } from '@aelab/core';
import { DataPreparationError } from './errors.js';
import type { LoaderOptions } from './load.js';
import type { MissingPolicy, ScalerParams } from './scaling.js';
import type { SplitSpec } from './splits.js';

/**
 * The fitted preparation, JSON-serialisable, saved beside a model so new data can be
 * scored exactly as the training data was (`applyPreparation`).
 */
export interface Preparation {
  format: 'aelab-preparation/1';
  dataset: string;
  features: number;
  featureNames: string[];
  normalClass: string[];
  missing: MissingPolicy;
  /** Training column means used to impute what interpolation left. */
  fillValues: number[];
  perSampleNormalize: boolean;
  scaler: ScalerParams;
  /** The resolved split configuration (for the record; not needed to apply). */
  split: SplitSpec;
  trainOn: 'normal' | 'all';
  validationFraction: number;
  seed: number;
  options: LoaderOptions;
  droppedTrainingAnomalies: number;
}

const finite = z.number();
const scale = z.number().positive();

const scalerSchema: z.ZodType<ScalerParams> = z.discriminatedUnion('kind', [
  z.strictObject({ kind: z.literal('standard'), mean: z.array(finite), std: z.array(scale) }),
  z.strictObject({ kind: z.literal('minmax'), min: z.array(finite), range: z.array(scale) }),
  z.strictObject({ kind: z.literal('minmax-global'), min: finite, range: scale }),
  z.strictObject({ kind: z.literal('none') }),
]);

/** The split is kept for the record only (scoring does not split): its shape, not its every field. */
const splitSchema = z.looseObject({
  kind: z.enum(['predefined', 'rows', 'random', 'chronological']),
}) as unknown as z.ZodType<SplitSpec>;
const optionsSchema: z.ZodType<LoaderOptions> = z.record(
  z.string(),
  z.union([z.string(), finite, z.boolean(), z.array(z.union([z.string(), finite]))]),
);

/** Per-feature lists of a scaler, by field name. */
function scalerLists(scaler: ScalerParams): [string, number[]][] {
  if (scaler.kind === 'standard')
    return [
      ['mean', scaler.mean],
      ['std', scaler.std],
    ];
  if (scaler.kind === 'minmax')
    return [
      ['min', scaler.min],
      ['range', scaler.range],
    ];
  return [];
}

const preparationSchema: z.ZodType<Preparation> = z
  .strictObject({
    format: z.literal('aelab-preparation/1'),
    dataset: z.string(),
    features: z.number().int().positive(),
    featureNames: z.array(z.string()),
    normalClass: z.array(z.string()).min(1),
    missing: z.enum(['interpolate', 'impute']),
    fillValues: z.array(finite),
    perSampleNormalize: z.boolean(),
    scaler: scalerSchema,
    split: splitSchema,
    trainOn: z.enum(['normal', 'all']),
    validationFraction: z.number().min(0).max(1),
    seed: finite,
    options: optionsSchema,
    droppedTrainingAnomalies: z.number().int().min(0),
  })
  .superRefine((p, ctx) => {
    const lists: [PropertyKey[], number][] = [
      [['featureNames'], p.featureNames.length],
      [['fillValues'], p.fillValues.length],
      ...scalerLists(p.scaler).map(([name, list]): [PropertyKey[], number] => [['scaler', name], list.length]),
    ];
    for (const [path, length] of lists) {
      if (length === p.features) continue;
      const message = `must have ${p.features} entries (preparation.features), got ${length}`;
      ctx.addIssue({ code: 'custom', path, message, input: length });
    }
  });

/**
 * Checks a preparation read from a file and returns it typed (the same object).
 * @param source where it came from, named first in the error (`.../aelab-model.json`).
 * @throws DataPreparationError listing every problem with its field
 *   (`preparation.scaler.std[3] must be a finite number, got "x"`).
 */
export function parsePreparation(value: unknown, source?: string): Preparation {
  const problems = schemaProblems(preparationSchema, value, ['preparation']);
  if (problems.length === 0) return value as Preparation;
  const list = problems.map((p) => `${p.path} ${p.message}`).join('; ');
  throw new DataPreparationError(`${source ? `${source}: ` : ''}${list}`);
}
