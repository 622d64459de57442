import { readFile } from 'node:fs/promises';
import {
  closestName,
  distributionSchema,
  ERROR_METRICS,
  issueMessage,
  problemsOf,
  RESAMPLE_SCOPES,
  schemaProblems,
  jsonSchema,
  SCORING_ROOTS,
  selectionSchema,
  THRESHOLD_RULES,
  thresholdRuleFields,
  thresholdRuleSchema,
  TRAINING_ROOTS,
  trainingSchema,
  untrustedJsonProblems,
} from '@aelab/core';
import { LOADER_OPTION_SCHEMAS, loaderOptionsSchema, type DataSpec } from '@aelab/data';
import { BACKEND_NAMES, MODEL_KINDS, PRESETS, modelSpecSchema } from '@aelab/models/registry';
import { z } from 'zod';
import { EXECUTOR_KINDS } from './executors/index.js';
import { prunerSettingsSchema } from './pruners/index.js';
import { samplerSettingsSchema } from './samplers/index.js';

/*
 * The experiment file: one JSON document says what data, which models, which space,
 * how to sample it, how to pick the winner and how to run. The zod schema below is the
 * single source of truth: the TypeScript type is inferred from it and the JSON Schema
 * that editors use (`experiments/schema.json`) is generated from it, so they cannot drift
 * (a test regenerates the file and fails on any difference).
 */

const modelKind = z.enum(MODEL_KINDS as unknown as [string, ...string[]]);

const presetRef = z
  .object({
    kind: modelKind,
    preset: z.enum(Object.keys(PRESETS) as [string, ...string[]]).describe('A named architecture from @aelab/models PRESETS, used as the spec.'),
  })
  .strict();

/** A base model: a complete spec of one family (strict: unknown fields are errors), or a preset by name. */
const modelBase = z
  .union([modelSpecSchema, presetRef])
  .describe('A model spec (`kind` plus every field of that family, see @aelab/models), or {"kind", "preset"}.');

/**
 * Loader options as the experiment's type holds them. What each format takes (and the
 * bounds) is the data package's LOADER_OPTION_SCHEMAS: checked by dataSchema, and written
 * into the JSON Schema in its place (experimentJsonSchema).
 */
const loaderOptions = z.record(
  z.string(),
  z.union([z.string(), z.number(), z.boolean(), z.array(z.union([z.string(), z.number()]))]),
);

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

/** An experiment's `data` section: which dataset and how it is split and prepared. */
export const dataSchema = z
  .object({
    dataset: z.string().min(1).describe('Registry name (synthetic-ecg, ecg5000, ecg, creditcard, nab/<folder>/<file>.csv) or a file path.'),
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
      .describe('"keep": validation also holds the training split\'s anomalies (never trained on), so selection can use labelled validation metrics'),
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

/** The parameters a scoring space may sweep, by root. */
const SCORING_FIELDS: Record<string, readonly string[]> = {
  threshold: ['rule', ...new Set(THRESHOLD_RULES.flatMap(thresholdRuleFields))],
  scoring: ['errorMetric'],
};

export const experimentSchema = z
  .object({
    $schema: z.string().optional(),
    name: z.string().min(1).regex(/^[\w.-]+$/, 'letters, digits, "_", "-" and "." only'),
    description: z.string().optional(),
    seed: z.number().int().nonnegative().describe('Experiment seed; each trial derives its own from it, its config hash and its repeat.'),
    data: dataSchema,
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
            params: z.record(z.string(), jsonSchema).describe('Training params this variant fixes, e.g. {"model.preset": "ecg-v1", "data.trainOn": "all"}.'),
          })
          .strict(),
      )
      .min(1)
      .optional()
      .describe('Named bundles of training params (model versions), crossed with the space as the "model.variant" parameter.'),
    training: trainingSchema,
    scoring: z
      .object({
        errorMetric: z.enum(ERROR_METRICS).default('mse'),
        threshold: thresholdRuleSchema,
      })
      .strict(),
    space: z.record(z.string(), distributionSchema).default({}),
    sampler: samplerSettingsSchema.default({ type: 'grid' }),
    pruner: prunerSettingsSchema.optional().describe('Stops hopeless trials early from their per-epoch validation error; default none.'),
    repeats: z.number().int().positive().default(1),
    resample: z
      .enum(RESAMPLE_SCOPES)
      .optional()
      .describe(
        'What each repeat draws anew besides its training seed: "none" (default: every repeat uses the same split, so ' +
          'intervals over repeats show training variance only), "validation" (a new validation carve per repeat) or ' +
          '"all" (also a new random train/test split), deterministic from data.seed; intervals then include ' +
          "the split's variance.",
      ),
    selection: selectionSchema,
    executor: z
      .object({
        kind: z.enum(EXECUTOR_KINDS).optional().describe('Where trainings run; default: the local worker pool.'),
        address: z
          .string()
          .optional()
          .describe('Where a remote executor takes tasks, e.g. "redis://host:6379" (picks the redis executor). No password here: the experiment is recorded in the store; set AELAB_REDIS_PASSWORD.'),
        workers: z.number().int().positive().optional().describe('Trainings at once; default: CPU count; a local pool is capped at the trainings left to run and at 2 per CPU, with a note (remote executors: trainings in flight across all workers, default 8).'),
        backend: z.enum(BACKEND_NAMES as unknown as [string, ...string[]]).default('auto'),
        maxTrialSeconds: z.number().positive().optional().describe('Wall-time budget of one training.'),
        maxTrialMemoryMb: z.number().int().positive().optional().describe('Heap limit of a worker thread.'),
        populationSize: z.number().int().positive().optional().describe('Executor "population": most trainings trained together as one batched graph (default 256).'),
        populations: z
          .enum(['auto', 'always'])
          .optional()
          .describe('Executor "population": "auto" (default) batches only on a backend measured to gain from it (docs/population.md); "always" batches on any backend.'),
      })
      .strict()
      .default({ backend: 'auto' }),
  })
  .strict()
  .superRefine((exp, ctx) => {
    if (exp.selection.split === 'test' && exp.selection.allowTest !== true) {
      ctx.addIssue({
        code: 'custom',
        path: ['selection', 'split'],
        message:
          'selecting on "test" lets test labels choose the winner, so its test scores are optimistic: select on "validation" ' +
          '(with data.validationAnomalies: "keep" for a metric that needs labels), or add "allowTest": true to accept that',
      });
    }
    if (exp.data.resample) {
      const message = 'is set per repeat by the experiment\'s "resample"; use "resample" instead';
      ctx.addIssue({ code: 'custom', path: ['data', 'resample'], message });
    }
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
    const parameters = [...(exp.variants ? ['model.variant'] : []), ...Object.keys(exp.space)];
    for (const [name, dist] of Object.entries(exp.space)) {
      for (const key of Object.keys(dist.when ?? {})) {
        if (parameters.includes(key) && key !== name) continue;
        const hint = closestName(key, parameters.filter((p) => p !== name));
        const why =
          key === name ? 'a parameter cannot depend on itself' : 'is not a parameter of the space, so this parameter would never vary';
        const others = parameters.filter((p) => p !== name).join(', ') || 'none';
        const help = hint ? `; did you mean "${hint}"?` : `; parameters: ${others}`;
        ctx.addIssue({ code: 'custom', path: ['space', name, 'when', key], message: `${why}${help}` });
      }
      if (dist.type !== 'categorical' && dist.low > dist.high) {
        ctx.addIssue({ code: 'custom', path: ['space', name, 'high'], message: `high (${dist.high}) must be >= low (${dist.low})` });
      }
      if (dist.type !== 'categorical' && dist.log && dist.low <= 0) {
        ctx.addIssue({ code: 'custom', path: ['space', name, 'low'], message: `a log distribution needs low > 0, got ${dist.low}` });
      }
      const [root] = name.split('.');
      const scoringFields = SCORING_FIELDS[root]?.map((f) => `${root}.${f}`);
      if (scoringFields && !scoringFields.includes(name)) {
        const hint = closestName(name, scoringFields);
        ctx.addIssue({ code: 'custom', path: ['space', name], message: `unknown scoring parameter${hint ? `; did you mean "${hint}"?` : `; known: ${scoringFields.join(', ')}`}` });
      }
      const roots: readonly string[] = [...TRAINING_ROOTS, ...SCORING_ROOTS];
      if (!roots.includes(name.split('.')[0])) {
        ctx.addIssue({
          code: 'custom',
          path: ['space', name],
          message: `parameter names start with ${roots.map((r) => `${r}.`).join(', ')}`,
        });
      }
    }
  });

/**
 * The data section repeat `repeat` trains on: the experiment's, with the draw of its
 * `resample` (data's `DataSpec.resample`); unchanged without resampling. The config hash is
 * the experiment's section's: repeats of one configuration stay one configuration.
 */
export function repeatData(experiment: Pick<Experiment, 'resample'>, data: DataSpec, repeat: number): DataSpec {
  const scope = experiment.resample ?? 'none';
  return scope === 'none' ? data : { ...data, resample: { scope, draw: repeat } };
}

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

/** Validates parsed JSON as an experiment; throws {@link ExperimentError} listing every problem. */
export function parseExperiment(raw: unknown, file = '<experiment>'): Experiment {
  const unsafe = untrustedJsonProblems(raw);
  if (unsafe.length > 0) throw new ExperimentError(file, unsafe);
  const result = experimentSchema.safeParse(raw, { error: issueMessage });
  if (!result.success) throw new ExperimentError(file, result.error.issues.flatMap((issue) => problemsOf(issue)));
  return result.data;
}

/** Reads and validates an experiment file. JSON syntax errors name the line and column. */
export async function loadExperiment(file: string): Promise<{ experiment: Experiment; raw: unknown }> {
  const raw = await readExperimentJson(file);
  return { experiment: parseExperiment(raw, file), raw };
}

/** Reads an experiment file's JSON without validating it (for callers that apply overrides first). */
export async function readExperimentJson(file: string): Promise<unknown> {
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
  // Callers copy and override the document before validating it: it must be an object
  // that plain recursive code can walk.
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) {
    const got = raw === null ? 'null' : Array.isArray(raw) ? 'an array' : typeof raw;
    throw new ExperimentError(file, [{ path: '', message: `must be a JSON object, got ${got}` }]);
  }
  const unsafe = untrustedJsonProblems(raw);
  if (unsafe.length > 0) throw new ExperimentError(file, unsafe);
  return raw;
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
  const schema = z.toJSONSchema(experimentSchema, {
    io: 'input',
    unrepresentable: 'any',
    override: ({ zodSchema, jsonSchema }) => {
      if (zodSchema !== loaderOptions) return;
      for (const key of Object.keys(jsonSchema)) delete jsonSchema[key];
      jsonSchema.anyOf = Object.entries(LOADER_OPTION_SCHEMAS).map(([format, options]) => {
        const { $schema: _schema, ...rest } = z.toJSONSchema(options, { io: 'input' });
        return { title: `${format} options`, ...rest };
      });
    },
  }) as Record<string, unknown>;
  return { ...schema, $id: 'https://aelab.dev/schemas/experiment.json', title: 'aelab experiment' };
}
