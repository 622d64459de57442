/**
 * The schema of a training's data section: what the coordinator validates in an experiment
 * file and what a remote worker validates in a job (both sides of trial-task.ts need it,
 * so it lives beside the task, not in the experiment's module).
 */
import { schemaProblems } from '@aelab/core';
import { loaderOptionsSchema, type DataSpec } from '@aelab/data';
import { z } from 'zod';

/**
 * Loader options as the experiment's type holds them. What each format takes (and the
 * bounds) is the data package's LOADER_OPTION_SCHEMAS: checked by dataSchema, and written
 * into the JSON Schema in its place (experimentJsonSchema).
 */
export const loaderOptions = z.record(
  z.string(),
  z.union([z.string(), z.number(), z.boolean(), z.array(z.union([z.string(), z.number()]))]),
);

const split = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('predefined') }).strict(),
  z
    .object({
      kind: z.literal('rows'),
      train: z
        .tuple([z.number().int().nonnegative(), z.number().int().nonnegative().nullable()])
        .describe('[start, end) rows; end null = to the last row'),
      test: z.tuple([z.number().int().nonnegative(), z.number().int().nonnegative().nullable()]),
    })
    .strict(),
  z
    .object({
      kind: z.literal('random'),
      testFraction: z.number().gt(0).lt(1),
      seed: z.number().int().optional(),
      stratify: z.boolean().optional(),
      shuffle: z
        .enum(['aelab', 'numpy'])
        .optional()
        .describe('"numpy" reproduces sklearn train_test_split(random_state=seed) row for row'),
    })
    .strict(),
  z
    .object({
      kind: z.literal('chronological'),
      train: z.number().gt(0).lt(1),
      validation: z.number().gte(0).lt(1),
      test: z.number().gt(0).lt(1),
    })
    .strict(),
]);

/** An experiment's `data` section: which dataset and how it is split and prepared. */
export const dataSchema = z
  .object({
    dataset: z
      .string()
      .min(1)
      .describe('Registry name (synthetic-ecg, ecg5000, ecg, creditcard, nab/<folder>/<file>.csv) or a file path.'),
    options: loaderOptions
      .optional()
      .describe('Loader options of the dataset, e.g. {"trainRows": 500} or {"dropColumns": ["Time"]}.'),
    normalClass: z.union([z.string(), z.array(z.string())]).optional(),
    split: split.optional(),
    scaler: z.enum(['standard', 'minmax', 'minmax-global', 'none']).optional(),
    perSampleNormalize: z.boolean().optional(),
    trainOn: z.enum(['normal', 'all']).optional(),
    validationFraction: z.number().gte(0).lt(1).optional(),
    validationAnomalies: z
      .enum(['drop', 'keep'])
      .optional()
      .describe(
        '"keep": validation also holds the training split\'s anomalies (never trained on), ' +
          'so selection can use labelled validation metrics',
      ),
    seed: z.number().int().optional(),
    missing: z.enum(['interpolate', 'impute']).optional(),
    resample: z
      .object({ scope: z.enum(['validation', 'all']), draw: z.number().int() })
      .strict()
      .optional()
      .describe('Set per repeat from the experiment\'s "resample"; not written in an experiment file.'),
  })
  .strict()
  .superRefine((data, ctx) => {
    // Which options a loader takes depends on the dataset's format: checked here, by the
    // data package's schema of that format (unknown options get a "did you mean").
    const schema = loaderOptionsSchema(data.dataset);
    if (!schema || !data.options) return;
    for (const { path, message } of schemaProblems(schema, data.options)) {
      ctx.addIssue({ code: 'custom', path: ['options', path], message });
    }
  });

// Compile-time proof that the experiment's data section and @aelab/data's DataSpec are the same shape.
const dataMatchesSpec = (d: z.output<typeof dataSchema>): DataSpec => d;
const specMatchesData = (d: DataSpec): z.input<typeof dataSchema> => d;
void dataMatchesSpec;
void specMatchesData;
