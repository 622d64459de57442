import { readFile } from 'node:fs/promises';
import {
  closestName,
  distributionSchema,
  ERROR_METRICS,
  issueMessage,
  problemsOf,
  RESAMPLE_SCOPES,
  jsonSchema,
  SCORING_ROOTS,
  selectionSchema,
  stableStringify,
  THRESHOLD_RULE_NAMES,
  thresholdRuleFields,
  thresholdRuleSchema,
  TRAINING_ROOTS,
  trainingSchema,
  untrustedJsonProblems,
} from '@aelab/core';
import { LOADER_OPTION_SCHEMAS, type DataSpec } from '@aelab/data';
import { DETECTOR_KINDS, isDetectorKind, MODEL_KINDS, PRESETS, modelSpecSchema } from '@aelab/models/registry';
import { z } from 'zod';
import { executorSettingsSchema } from './executors/index.js';
import { prunerSettingsSchema } from './pruners/index.js';
import { samplerSettingsSchema } from './samplers/index.js';
import { dataSchema, loaderOptions } from './trial-data-schema.js';

export { dataSchema } from './trial-data-schema.js';

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
    preset: z
      .enum(Object.keys(PRESETS) as [string, ...string[]])
      .describe('A named architecture from @aelab/models PRESETS, used as the spec.'),
  })
  .strict();

/** A base model: a complete spec of one family (strict: unknown fields are errors), or a preset by name. */
const modelBase = z
  .union([modelSpecSchema, presetRef])
  .describe('A model spec (`kind` plus every field of that family, see @aelab/models), or {"kind", "preset"}.');

/** The parameters a scoring space may sweep, by root. */
const SCORING_FIELDS: Record<string, readonly string[]> = {
  threshold: ['rule', ...new Set(THRESHOLD_RULE_NAMES.flatMap(thresholdRuleFields))],
  scoring: ['errorMetric'],
};

/** Defaults of the failure policy (Keras Tuner's `max_retries_per_trial` and `max_consecutive_failed_trials`). */
export const DEFAULT_FAILURES = { maxRetriesPerTrial: 2, maxConsecutive: 5 } as const;

/**
 * What the study does with failing trainings. A failure may be transient (out of memory
 * while other trainings held the machine), so a resumed study trains a failed one again,
 * but not forever; and a run of failures in a row is something systematic (a broken
 * backend, data no model can train on), not worth the rest of the sweep.
 */
const failurePolicySchema = z
  .object({
    maxRetriesPerTrial: z
      .number()
      .int()
      .nonnegative()
      .max(100)
      .default(DEFAULT_FAILURES.maxRetriesPerTrial)
      .describe(
        'How many later runs (resumes) train a training that failed again; after that many failed attempts more ' +
          'it is skipped, and the sweep summary says so.',
      ),
    maxConsecutive: z
      .number()
      .int()
      .positive()
      .max(100_000)
      .default(DEFAULT_FAILURES.maxConsecutive)
      .describe('Failed trainings in a row (in the order they end) that stop the sweep, with exit code 3.'),
  })
  .strict()
  .default(DEFAULT_FAILURES);

export const experimentSchema = z
  .object({
    $schema: z.string().optional(),
    name: z
      .string()
      .min(1)
      .regex(/^[\w.-]+$/, 'letters, digits, "_", "-" and "." only'),
    description: z.string().optional(),
    seed: z
      .number()
      .int()
      .nonnegative()
      .describe('Experiment seed; each trial derives its own from it, its config hash and its repeat.'),
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
            params: z
              .record(z.string(), jsonSchema)
              .describe('Training params this variant fixes, e.g. {"model.preset": "ecg-v1", "data.trainOn": "all"}.'),
          })
          .strict(),
      )
      .min(1)
      .optional()
      .describe(
        'Named bundles of training params (model versions), crossed with the space as the "model.variant" parameter.',
      ),
    baselines: z
      .array(modelSpecSchema)
      .min(1)
      .optional()
      .describe(
        `Baseline detectors fitted beside the autoencoders (kinds ${DETECTOR_KINDS.join(', ')}), ` +
          'each a complete spec, e.g. ' +
          '{"kind": "pca", "components": 10}: fitted on the normal training rows, ' +
          'scored by the same threshold rules and ' +
          'metrics, repeated as the autoencoders; ' +
          'ranked on the same leaderboard, never the winner (docs/baselines.md).',
      ),
    training: trainingSchema,
    scoring: z
      .object({
        errorMetric: z.enum(ERROR_METRICS).default('mse'),
        threshold: thresholdRuleSchema,
      })
      .strict(),
    space: z.record(z.string(), distributionSchema).default({}),
    sampler: samplerSettingsSchema.default({ type: 'grid' }),
    pruner: prunerSettingsSchema
      .optional()
      .describe('Stops hopeless trials early from their per-epoch validation error; default none.'),
    repeats: z.number().int().positive().default(1),
    failures: failurePolicySchema,
    resample: z
      .enum(RESAMPLE_SCOPES)
      .optional()
      .describe(
        'What each repeat draws anew besides its training seed: ' +
          '"none" (default: every repeat uses the same split, so ' +
          'intervals over repeats show training variance only), "validation" (a new validation carve per repeat) or ' +
          '"all" (also a new random train/test split), deterministic from data.seed; intervals then include ' +
          "the split's variance.",
      ),
    selection: selectionSchema,
    executor: executorSettingsSchema,
  })
  .strict()
  .superRefine((exp, ctx) => {
    const problems = [...sectionProblems(exp), ...variantProblems(exp), ...spaceProblems(exp)];
    problems.forEach((problem) => ctx.addIssue({ code: 'custom', ...problem }));
  });

/** A problem the experiment schema's cross-field checks find, with its path in the file. */
interface SchemaProblem {
  path: (string | number)[];
  message: string;
}

/** Problems of the selection, data, baselines and model sections, in that order. */
function sectionProblems(exp: z.output<typeof experimentSchema>): SchemaProblem[] {
  const problems: SchemaProblem[] = [];
  if (exp.selection.split === 'test' && exp.selection.allowTest !== true) {
    problems.push({
      path: ['selection', 'split'],
      message:
        'selecting on "test" lets test labels choose the winner, so its test scores are optimistic: ' +
        'select on "validation" ' +
        '(with data.validationAnomalies: "keep" for a metric that needs labels), ' +
        'or add "allowTest": true to accept that',
    });
  }
  if (exp.data.resample) {
    const message = 'is set per repeat by the experiment\'s "resample"; use "resample" instead';
    problems.push({ path: ['data', 'resample'], message });
  }
  problems.push(...baselineProblems(exp));
  if (!exp.model && !exp.models) {
    problems.push({ path: ['model'], message: 'one of "model" or "models" is required' });
  }
  const variantSetsKind = (exp.variants ?? []).every((v) => 'model.kind' in v.params);
  if (exp.models && !exp.space['model.kind'] && !(exp.variants && variantSetsKind)) {
    problems.push({
      path: ['space', 'model.kind'],
      message: '"models" needs a "model.kind" parameter (in the space or in every variant) to choose among them',
    });
  }
  return problems;
}

/** Variants: unique names, training params only, and no "model.variant" in the space beside them. */
function variantProblems(exp: z.output<typeof experimentSchema>): SchemaProblem[] {
  const problems: SchemaProblem[] = [];
  const variantNames = (exp.variants ?? []).map((v) => v.name);
  variantNames.forEach((name, i) => {
    if (variantNames.indexOf(name) !== i)
      problems.push({ path: ['variants', i, 'name'], message: `duplicate variant name "${name}"` });
  });
  (exp.variants ?? []).forEach((variant, i) => {
    for (const key of Object.keys(variant.params)) {
      if (!/^(model|training|data)\./.test(key) || key === 'model.variant') {
        problems.push({
          path: ['variants', i, 'params', key],
          message: 'variant params are training params: model.*, training.* or data.*',
        });
      }
    }
  });
  if (exp.variants && exp.space['model.variant']) {
    problems.push({
      path: ['space', 'model.variant'],
      message: '"model.variant" comes from "variants"; do not also put it in the space',
    });
  }
  return problems;
}

/** Problems of each space parameter, parameter by parameter. */
function spaceProblems(exp: z.output<typeof experimentSchema>): SchemaProblem[] {
  const parameters = [...(exp.variants ? ['model.variant'] : []), ...Object.keys(exp.space)];
  return Object.entries(exp.space).flatMap(([name, dist]) => [
    ...conditionProblems(name, dist, parameters),
    ...parameterProblems(name, dist),
  ]);
}

type SpaceDistribution = z.output<typeof experimentSchema>['space'][string];

/** A parameter's `when` conditions: each names another parameter of the space. */
function conditionProblems(name: string, dist: SpaceDistribution, parameters: string[]): SchemaProblem[] {
  const problems: SchemaProblem[] = [];
  for (const key of Object.keys(dist.when ?? {})) {
    if (parameters.includes(key) && key !== name) continue;
    const hint = closestName(
      key,
      parameters.filter((p) => p !== name),
    );
    const why =
      key === name
        ? 'a parameter cannot depend on itself'
        : 'is not a parameter of the space, so this parameter would never vary';
    const others = parameters.filter((p) => p !== name).join(', ') || 'none';
    const help = hint ? `; did you mean "${hint}"?` : `; parameters: ${others}`;
    problems.push({ path: ['space', name, 'when', key], message: `${why}${help}` });
  }
  return problems;
}

/** A parameter's range and name: low <= high, low > 0 on a log scale, a known scoring field, a known root. */
function parameterProblems(name: string, dist: SpaceDistribution): SchemaProblem[] {
  const problems: SchemaProblem[] = [];
  if (dist.type !== 'categorical' && dist.low > dist.high) {
    problems.push({
      path: ['space', name, 'high'],
      message: `high (${dist.high}) must be >= low (${dist.low})`,
    });
  }
  if (dist.type !== 'categorical' && dist.log && dist.low <= 0) {
    problems.push({
      path: ['space', name, 'low'],
      message: `a log distribution needs low > 0, got ${dist.low}`,
    });
  }
  const [root] = name.split('.');
  const scoringFields = SCORING_FIELDS[root]?.map((f) => `${root}.${f}`);
  if (scoringFields && !scoringFields.includes(name)) {
    const hint = closestName(name, scoringFields);
    const help = hint ? `; did you mean "${hint}"?` : `; known: ${scoringFields.join(', ')}`;
    problems.push({ path: ['space', name], message: `unknown scoring parameter${help}` });
  }
  const roots: readonly string[] = [...TRAINING_ROOTS, ...SCORING_ROOTS];
  if (!roots.includes(name.split('.')[0])) {
    problems.push({
      path: ['space', name],
      message: `parameter names start with ${roots.map((r) => `${r}.`).join(', ')}`,
    });
  }
  return problems;
}

/**
 * The data section repeat `repeat` trains on: the experiment's, with the draw of its
 * `resample` (data's `DataSpec.resample`); unchanged without resampling. The config hash is
 * the experiment's section's: repeats of one configuration stay one configuration.
 */
export function repeatData(experiment: Pick<Experiment, 'resample'>, data: DataSpec, repeat: number): DataSpec {
  const scope = experiment.resample ?? 'none';
  return scope === 'none' ? data : { ...data, resample: { scope, draw: repeat } };
}

/** Baselines must be detectors, each once; detectors are only baselines (they never compete for the winner). */
function baselineProblems(exp: z.output<typeof experimentSchema>): { path: (string | number)[]; message: string }[] {
  const problems: { path: (string | number)[]; message: string }[] = [];
  const seen = new Set<string>();
  (exp.baselines ?? []).forEach((spec, i) => {
    if (!isDetectorKind(spec.kind)) {
      problems.push({
        path: ['baselines', i, 'kind'],
        message: `a baseline is a detector (${DETECTOR_KINDS.join(', ')}), got "${spec.kind}"`,
      });
    }
    const key = stableStringify(spec);
    if (seen.has(key))
      problems.push({ path: ['baselines', i], message: 'the same baseline twice (it would be fitted twice)' });
    seen.add(key);
  });
  const bases: [(string | number)[], { kind: string } | undefined][] = [
    [['model', 'kind'], exp.model],
    ...Object.entries(exp.models ?? {}).map(([key, spec]): [(string | number)[], { kind: string } | undefined] => [
      ['models', key, 'kind'],
      spec,
    ]),
  ];
  for (const [path, spec] of bases) {
    if (spec && isDetectorKind(spec.kind)) {
      problems.push({
        path,
        message:
          `"${spec.kind}" is a baseline detector: ` + 'list it under "baselines", where it is compared with the winner',
      });
    }
  }
  return problems;
}

/** One of an experiment's baseline detectors (a detector family's spec). */
export type BaselineSpec = NonNullable<z.output<typeof experimentSchema>['baselines']>[number];

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
  if (!result.success)
    throw new ExperimentError(
      file,
      result.error.issues.flatMap((issue) => problemsOf(issue)),
    );
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
    throw new ExperimentError(file, [
      { path: '', message: `not valid JSON: ${describeJsonError(text, err as Error)}` },
    ]);
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
