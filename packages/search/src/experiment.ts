import { readFile } from 'node:fs/promises';
import type { DataSpec } from '@aelab/data';
import { z } from 'zod';

/*
 * The experiment file: one JSON document says what data, which models, which space,
 * how to sample it, how to pick the winner and how to run. The zod schema below is the
 * single source of truth: the TypeScript type is inferred from it and the JSON Schema
 * that editors use (`experiments/schema.json`) is generated from it, so they cannot drift
 * (a test regenerates the file and fails on any difference).
 */

const json: z.ZodType<unknown> = z.lazy(() =>
  z.union([z.null(), z.boolean(), z.number(), z.string(), z.array(json), z.record(z.string(), json)]),
);

const when = z
  .record(z.string(), json)
  .optional()
  .describe('Makes the parameter conditional: it exists only in trials whose params equal these values, e.g. {"model.kind": "dense"}.');

const distribution = z.discriminatedUnion('type', [
  z
    .object({
      type: z.literal('categorical'),
      values: z.array(json).min(1).describe('The choices, tried in this order by a grid.'),
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

const modelKind = z.enum(['dense', 'conv1d', 'lstm', 'rnn']);

const modelBase = z
  .object({
    kind: modelKind,
    preset: z.string().optional().describe('A preset name (ecg-v1, ecg-v2, ecg-v3, tf-tutorial, conv1d-small, lstm-seq2seq, lstm-tabular) used as the spec'),
  })
  .catchall(json)
  .describe('A model spec (see @aelab/models ModelSpec): `kind` plus the fields of that family, or a `preset`.');

const split = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('predefined') }).strict(),
  z
    .object({
      kind: z.literal('rows'),
      train: z.tuple([z.number().int().nonnegative(), z.number().int().nonnegative().nullable()]).describe('[start, end) rows; end null = to the last row'),
      test: z.tuple([z.number().int().nonnegative(), z.number().int().nonnegative().nullable()]),
    })
    .strict(),
  z
    .object({
      kind: z.literal('random'),
      testFraction: z.number().gt(0).lt(1),
      seed: z.number().int().optional(),
      stratify: z.boolean().optional(),
      shuffle: z.enum(['aelab', 'numpy']).optional().describe('"numpy" reproduces sklearn train_test_split(random_state=seed) row for row'),
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

const data = z
  .object({
    dataset: z.string().min(1).describe('Registry name (synthetic-ecg, ecg5000, ecg, creditcard, nab/<folder>/<file>.csv) or a file path.'),
    options: z.record(z.string(), z.union([z.string(), z.number(), z.boolean()])).optional(),
    normalClass: z.union([z.string(), z.array(z.string())]).optional(),
    split: split.optional(),
    scaler: z.enum(['standard', 'minmax', 'minmax-global', 'none']).optional(),
    perSampleNormalize: z.boolean().optional(),
    trainOn: z.enum(['normal', 'all']).optional(),
    validationFraction: z.number().gte(0).lt(1).optional(),
    validationAnomalies: z
      .enum(['drop', 'keep'])
      .optional()
      .describe('"keep": validation also holds the training split\'s anomalies (never trained on), so selection can use labelled validation metrics'),
    seed: z.number().int().optional(),
    missing: z.enum(['interpolate', 'impute']).optional(),
  })
  .strict();

// Compile-time proof that the experiment's data section and @aelab/data's DataSpec are the same shape.
const dataMatchesSpec = (d: z.output<typeof data>): DataSpec => d;
const specMatchesData = (d: DataSpec): z.input<typeof data> => d;
void dataMatchesSpec;
void specMatchesData;

const training = z
  .object({
    epochs: z.number().int().positive(),
    batchSize: z.number().int().positive(),
    learningRate: z.number().positive(),
    loss: z.enum(['mse', 'mae']),
    earlyStopping: z
      .object({
        patience: z.number().int().positive(),
        minDelta: z.number().nonnegative().optional(),
        restoreBestWeights: z.boolean().optional(),
      })
      .strict()
      .nullable()
      .optional(),
  })
  .strict();

const threshold = z.discriminatedUnion('rule', [
  z.object({ rule: z.literal('percentile'), percentile: z.number().min(0).max(100), on: z.enum(['train', 'validation']).optional() }).strict(),
  z.object({ rule: z.literal('meanStd'), k: z.number(), on: z.enum(['train', 'validation']).optional() }).strict(),
  z.object({ rule: z.literal('max'), on: z.enum(['train', 'validation']).optional() }).strict(),
  z.object({ rule: z.literal('fixed'), value: z.number() }).strict(),
  z.object({ rule: z.literal('bestF1'), on: z.enum(['validation', 'test']).optional() }).strict(),
]);

const selection = z
  .object({
    metric: z.string().min(1).describe('A metric name: f1, rocAuc, prAuc, accuracy, precision, recall, mse, ...'),
    direction: z.enum(['maximize', 'minimize']),
    split: z.enum(['train', 'validation', 'test']),
  })
  .strict();

export const experimentSchema = z
  .object({
    $schema: z.string().optional(),
    name: z.string().min(1).regex(/^[\w.-]+$/, 'letters, digits, "_", "-" and "." only'),
    description: z.string().optional(),
    seed: z.number().int().nonnegative().describe('Experiment seed; each trial derives its own from it, its config hash and its repeat.'),
    data,
    model: modelBase.optional().describe('Base model spec, when the study has a single family.'),
    models: z
      .partialRecord(modelKind, modelBase)
      .optional()
      .describe('Base model spec per family, chosen by the "model.kind" parameter.'),
    variants: z
      .array(
        z
          .object({
            name: z.string().min(1).describe('Shown as the version in reports (e.g. "V1", "base", "tuned").'),
            description: z.string().optional(),
            params: z.record(z.string(), json).describe('Training params this variant fixes, e.g. {"model.preset": "ecg-v1", "data.trainOn": "all"}.'),
          })
          .strict(),
      )
      .min(1)
      .optional()
      .describe('Named bundles of training params (model versions), crossed with the space as the "model.variant" parameter.'),
    training,
    scoring: z
      .object({
        errorMetric: z.enum(['mse', 'mae']).default('mse'),
        threshold,
      })
      .strict(),
    space: z.record(z.string(), distribution).default({}),
    sampler: z
      .discriminatedUnion('type', [
        z.object({ type: z.literal('grid') }).strict(),
        z.object({ type: z.literal('random'), trials: z.number().int().positive(), seed: z.number().int().optional() }).strict(),
      ])
      .default({ type: 'grid' }),
    repeats: z.number().int().positive().default(1),
    selection,
    executor: z
      .object({
        workers: z.number().int().positive().optional().describe('Worker threads; default: CPU count.'),
        backend: z.enum(['auto', 'wasm', 'cpu', 'tensorflow', 'tensorflow-gpu']).default('auto'),
        maxTrialSeconds: z.number().positive().optional().describe('Wall-time budget of one training.'),
        maxTrialMemoryMb: z.number().int().positive().optional().describe('Heap limit of a worker thread.'),
      })
      .strict()
      .default({ backend: 'auto' }),
  })
  .strict()
  .superRefine((exp, ctx) => {
    if (!exp.model && !exp.models) {
      ctx.addIssue({ code: 'custom', path: ['model'], message: 'one of "model" or "models" is required' });
    }
    const variantSetsKind = (exp.variants ?? []).every((v) => 'model.kind' in v.params);
    if (exp.models && !exp.space['model.kind'] && !(exp.variants && variantSetsKind)) {
      ctx.addIssue({
        code: 'custom',
        path: ['space', 'model.kind'],
        message: '"models" needs a "model.kind" parameter (in the space or in every variant) to choose among them',
      });
    }
    const variantNames = (exp.variants ?? []).map((v) => v.name);
    variantNames.forEach((name, i) => {
      if (variantNames.indexOf(name) !== i) ctx.addIssue({ code: 'custom', path: ['variants', i, 'name'], message: `duplicate variant name "${name}"` });
    });
    (exp.variants ?? []).forEach((variant, i) => {
      for (const key of Object.keys(variant.params)) {
        if (!/^(model|training|data)\./.test(key) || key === 'model.variant') {
          ctx.addIssue({ code: 'custom', path: ['variants', i, 'params', key], message: 'variant params are training params: model.*, training.* or data.*' });
        }
      }
    });
    if (exp.variants && exp.space['model.variant']) {
      ctx.addIssue({ code: 'custom', path: ['space', 'model.variant'], message: '"model.variant" comes from "variants"; do not also put it in the space' });
    }
    for (const [name, dist] of Object.entries(exp.space)) {
      if (dist.type !== 'categorical' && dist.low > dist.high) {
        ctx.addIssue({ code: 'custom', path: ['space', name, 'high'], message: `high (${dist.high}) must be >= low (${dist.low})` });
      }
      if (dist.type !== 'categorical' && dist.log && dist.low <= 0) {
        ctx.addIssue({ code: 'custom', path: ['space', name, 'low'], message: `a log distribution needs low > 0, got ${dist.low}` });
      }
      const root = name.split('.')[0];
      if (!['model', 'training', 'data', 'threshold', 'scoring'].includes(root)) {
        ctx.addIssue({
          code: 'custom',
          path: ['space', name],
          message: 'parameter names start with model., training., data., threshold. or scoring.',
        });
      }
    }
  });

/** A parsed, defaulted experiment file. */
export type Experiment = z.output<typeof experimentSchema>;
/** An experiment file as written (defaults not yet applied). */
export type ExperimentInput = z.input<typeof experimentSchema>;

/** Every problem of an invalid experiment, each with its path in the file. */
export class ExperimentError extends Error {
  constructor(
    readonly file: string,
    readonly problems: { path: string; message: string }[],
  ) {
    super(
      `${file}: invalid experiment (${problems.length} problem${problems.length === 1 ? '' : 's'}):\n` +
        problems.map((p) => `  - ${p.path || '(root)'}: ${p.message}`).join('\n'),
    );
    this.name = 'ExperimentError';
  }
}

function formatPath(path: readonly PropertyKey[]): string {
  return path.map((p, i) => (typeof p === 'number' ? `[${p}]` : i === 0 ? String(p) : `.${String(p)}`)).join('');
}

/** Validates parsed JSON as an experiment; throws {@link ExperimentError} listing every problem. */
export function parseExperiment(raw: unknown, file = '<experiment>'): Experiment {
  const result = experimentSchema.safeParse(raw);
  if (!result.success) {
    throw new ExperimentError(
      file,
      result.error.issues.map((issue) => ({ path: formatPath(issue.path), message: issue.message })),
    );
  }
  return result.data;
}

/** Reads and validates an experiment file. JSON syntax errors name the line and column. */
export async function loadExperiment(file: string): Promise<{ experiment: Experiment; raw: unknown }> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    throw new ExperimentError(file, [{ path: '', message: `cannot read file: ${(err as Error).message}` }]);
  }
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (err) {
    throw new ExperimentError(file, [{ path: '', message: `not valid JSON: ${describeJsonError(text, err as Error)}` }]);
  }
  return { experiment: parseExperiment(raw, file), raw };
}

function describeJsonError(text: string, err: Error): string {
  const match = /position (\d+)/.exec(err.message);
  if (!match) return err.message;
  const pos = Number(match[1]);
  const before = text.slice(0, pos);
  const line = before.split('\n').length;
  const column = pos - before.lastIndexOf('\n');
  return `${err.message.replace(/ in JSON at position \d+.*$/, '')} at line ${line}, column ${column}`;
}

/** The JSON Schema of experiment files, generated from {@link experimentSchema}. */
export function experimentJsonSchema(): Record<string, unknown> {
  const schema = z.toJSONSchema(experimentSchema, { io: 'input', unrepresentable: 'any' }) as Record<string, unknown>;
  return { ...schema, $id: 'https://aelab.dev/schemas/experiment.json', title: 'aelab experiment' };
}
