import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fieldName, MAX_JSON_DEPTH } from '@aelab/core';
import { PRESETS } from '@aelab/models/registry';
import { describe, expect, it } from 'vitest';
import {
  ExperimentError,
  experimentJsonSchema,
  parseExperiment,
  readExperimentJson,
  type ExperimentInput,
} from '../src/experiment.js';
import { preflight } from '../src/preflight.js';

/*
 * Issue 22: every numeric field of the training, model, threshold and data sections (data
 * loader options included) has bounds in its zod schema, and a value past either bound is
 * refused before training with an error naming the field. The fields are read from the
 * generated JSON Schema, so a numeric field added later is checked here too, and fails the
 * "has bounds" test until it has bounds or a documented reason not to.
 */

type JsonSchemaNode = Record<string, unknown>;
type Path = (string | number)[];

/** One numeric field: where it is, which union option it lives in, and its bounds. */
interface NumericField {
  path: Path;
  /** The union options on the way (path of the union, the option's discriminator value). */
  options: { at: Path; value: string }[];
  integer: boolean;
  min?: { value: number; exclusive: boolean };
  max?: { value: number; exclusive: boolean };
}

/** zod's stand-in for "no bound" on integers. */
const SAFE = Number.MAX_SAFE_INTEGER;

/** The discriminator of a union option: a `kind`/`rule` const, or the loader options' format title. */
function discriminator(option: JsonSchemaNode): string | undefined {
  const properties = (option.properties ?? {}) as Record<string, JsonSchemaNode>;
  for (const key of ['kind', 'rule'])
    if (typeof properties[key]?.const === 'string') return properties[key].const as string;
  return typeof option.title === 'string' ? option.title.replace(/ options$/, '') : undefined;
}

function* numericFields(node: JsonSchemaNode, path: Path, options: NumericField['options']): Generator<NumericField> {
  const union = (node.anyOf ?? node.oneOf) as JsonSchemaNode[] | undefined;
  if (union) {
    for (const option of union) {
      const value = discriminator(option);
      yield* numericFields(option, path, value ? [...options, { at: path, value }] : options);
    }
    return;
  }
  if (node.type === 'number' || node.type === 'integer') {
    const bound = (inclusive: unknown, exclusive: unknown) =>
      typeof exclusive === 'number'
        ? { value: exclusive, exclusive: true }
        : typeof inclusive === 'number' && Math.abs(inclusive) !== SAFE
          ? { value: inclusive, exclusive: false }
          : undefined;
    yield {
      path,
      options,
      integer: node.type === 'integer',
      min: bound(node.minimum, node.exclusiveMinimum),
      max: bound(node.maximum, node.exclusiveMaximum),
    };
    return;
  }
  for (const [key, child] of Object.entries((node.properties ?? {}) as Record<string, JsonSchemaNode>))
    yield* numericFields(child, [...path, key], options);
  if (Array.isArray(node.prefixItems))
    for (const [i, item] of (node.prefixItems as JsonSchemaNode[]).entries())
      yield* numericFields(item, [...path, i], options);
  else if (node.items && typeof node.items === 'object')
    yield* numericFields(node.items as JsonSchemaNode, [...path, 0], options);
}

const schema = experimentJsonSchema() as { properties: Record<string, JsonSchemaNode> };
const sections: Path[] = [['data'], ['model'], ['training'], ['scoring', 'threshold']];
const fields = sections.flatMap((section) => {
  let node: JsonSchemaNode = schema as unknown as JsonSchemaNode;
  for (const key of section) node = (node.properties as Record<string, JsonSchemaNode>)[key];
  return [...numericFields(node, section, [])];
});

/**
 * Numeric fields without an upper bound in the schema, and what bounds them instead
 * (docs/reliability.md says the same); they keep their lower bound.
 */
const NO_UPPER_BOUND: Record<string, string> = {
  'data.split.train[0]': 'the dataset: rows past its end are a preparation error',
  'data.split.train[1]': 'the dataset',
  'data.split.test[0]': 'the dataset',
  'data.split.test[1]': 'the dataset',
  'scoring.threshold.value': 'nothing: a fixed threshold above every error flags nothing, which the metrics show',
  'data.options.dropColumns': 'the file: an index past its end is an error naming the line',
  'data.options.dropColumns[0]': 'the file',
  'model.encoder[0]': "the memory check: a layer estimated over the trial's memory is refused (sweep.test.ts)",
  'model.decoder[0]': 'the memory check',
  'model.units[0]': 'the memory check',
  'model.filters[0]': 'the memory check',
  'model.kernelSize': "the data: a kernel larger than the sequence is refused (the family's input checks)",
  'model.poolSize': 'the data: pooling below one step is refused',
};

/**
 * Numeric fields that take any integer: seeds (each trial derives its own), and column indices (negative from the end).
 */
const ANY_INTEGER: Record<string, string> = {
  'data.split.seed': 'a seed',
  'data.seed': 'a seed',
  'data.resample.draw': 'a repeat number, set per repeat by the study (never written in an experiment file)',
  'data.options.labelColumn': 'a column: an index past the end is an error naming the line',
};

/** A valid base for each union option a field lives in, by `<path of the union>=<option>`. */
const lstm = PRESETS['lstm-seq2seq'];
const OPTION_BASES: Record<string, unknown> = {
  'model=dense': { kind: 'dense', encoder: [16, 4], activation: 'relu', outputActivation: 'linear', dropout: 0, l2: 0 },
  'model=conv1d': PRESETS['conv1d-small'],
  'model=lstm': lstm,
  'model=rnn': { ...lstm, kind: 'rnn' },
  'model=pca': { kind: 'pca', components: 2 },
  'model=isolation-forest': { kind: 'isolation-forest', trees: 10, sampleSize: 16 },
  'model=knn': { kind: 'knn', k: 2, aggregate: 'kth' },
  'data.split=predefined': { kind: 'predefined' },
  'data.split=rows': { kind: 'rows', train: [0, 100], test: [100, null] },
  'data.split=random': { kind: 'random', testFraction: 0.2 },
  'data.split=chronological': { kind: 'chronological', train: 0.6, validation: 0.2, test: 0.2 },
  'scoring.threshold=percentile': { rule: 'percentile', percentile: 95 },
  'scoring.threshold=meanStd': { rule: 'meanStd', k: 2 },
  'scoring.threshold=max': { rule: 'max' },
  'scoring.threshold=fixed': { rule: 'fixed', value: 0.5 },
  'scoring.threshold=bestF1': { rule: 'bestF1' },
  'data.options=synthetic': {},
  'data.options=csv': {},
  'data.options=arff': {},
  'data.options=nab': {},
};
/** The dataset whose loader takes the options of each format. */
const DATASET_OF_FORMAT: Record<string, string> = {
  synthetic: 'synthetic-ecg',
  csv: 'creditcard',
  arff: 'ecg5000',
  nab: 'nab/realKnownCause/nyc_taxi',
};

async function defaultExperiment(): Promise<ExperimentInput> {
  return JSON.parse(
    await readFile(new URL('../../../experiments/default.json', import.meta.url), 'utf8'),
  ) as ExperimentInput;
}

function setPath(target: unknown, path: Path, value: unknown): void {
  let node = target as Record<string | number, unknown>;
  path.slice(0, -1).forEach((key, i) => {
    // A number where the field's array form goes (dropout: 0 -> [0]) becomes the array.
    if (node[key] === null || typeof node[key] !== 'object') node[key] = typeof path[i + 1] === 'number' ? [] : {};
    node = node[key] as Record<string | number, unknown>;
  });
  node[path[path.length - 1]] = value;
}

/** The default experiment with `field` set to `value`, in a valid base of each union option on its way. */
async function experimentWith(field: NumericField, value: number): Promise<unknown> {
  const experiment = await defaultExperiment();
  for (const { at, value: option } of field.options) {
    const key = `${at.join('.')}=${option}`;
    if (!(key in OPTION_BASES)) throw new Error(`no base for ${key}: add one to OPTION_BASES`);
    setPath(experiment, at, structuredClone(OPTION_BASES[key]));
    if (key.startsWith('data.options=')) experiment.data.dataset = DATASET_OF_FORMAT[option];
  }
  setPath(experiment, field.path, value);
  return experiment;
}

/** Values just past each bound, and far past it (a unit mistake, 1e39). */
function outOfBounds(field: NumericField): number[] {
  const values: number[] = [];
  if (field.min)
    values.push(
      field.min.exclusive
        ? field.min.value
        : field.min.value - (field.integer ? 1 : 1e-9 * Math.max(1, Math.abs(field.min.value))),
      -1e39,
    );
  if (field.max)
    values.push(
      field.max.exclusive
        ? field.max.value
        : field.max.value + (field.integer ? 1 : 1e-9 * Math.max(1, Math.abs(field.max.value))),
      1e39,
    );
  return values;
}

const label = (field: NumericField) => `${fieldName(field.path)}${field.options.map((o) => ` (${o.value})`).join('')}`;

describe('every numeric training, model, threshold and data field has bounds', () => {
  it('finds the fields (the walk reads the schema)', () => {
    const names = new Set(fields.map((f) => fieldName(f.path)));
    for (const name of [
      'training.learningRate',
      'model.l2',
      'scoring.threshold.value',
      'data.options.trainRows',
      'data.options.windowSize',
      'data.validationFraction',
    ]) {
      expect(names).toContain(name);
    }
  });

  it.each(fields.map((f) => [label(f), f] as const))(
    '%s has a lower and an upper bound, or a stated reason',
    (_, field) => {
      const name = fieldName(field.path);
      if (ANY_INTEGER[name]) {
        expect(field.integer).toBe(true);
      } else {
        expect(field.min, 'lower bound').toBeDefined();
        if (!NO_UPPER_BOUND[name]) expect(field.max, 'upper bound').toBeDefined();
      }
    },
  );

  const bounded = fields.flatMap((f) => outOfBounds(f).map((value) => [label(f), value, f] as const));
  it.each(bounded)('%s = %s is refused before training, naming the field', async (_, value, field) => {
    const raw = await experimentWith(field, value);
    let problems: { path: string; message: string }[] = [];
    try {
      parseExperiment(raw, 'bounds.json');
    } catch (err) {
      if (!(err instanceof ExperimentError)) throw err;
      problems = err.problems;
    }
    // The field, or for one entry of a field that also takes a single number (dropout[0]) the field.
    const names = [
      fieldName(field.path),
      ...(typeof field.path.at(-1) === 'number' ? [fieldName(field.path.slice(0, -1))] : []),
    ];
    const problem = problems.find((p) => names.includes(p.path));
    expect(problem, JSON.stringify(problems)).toBeDefined();
    expect(problem!.message).toMatch(/^must be .*, got /);
  });

  it.each(fields.filter((f) => f.min || f.max).map((f) => [label(f), f] as const))(
    '%s at its bounds is accepted (the bases are valid)',
    async (_, field) => {
      for (const bound of [field.min, field.max]) {
        if (!bound || bound.exclusive) continue;
        const raw = (await experimentWith(field, bound.value)) as ExperimentInput;
        // A detector is accepted only as a baseline (as `model` it is refused: baselines-sweep.test.ts).
        if (['pca', 'isolation-forest', 'knn'].includes(raw.model!.kind)) {
          raw.baselines = [raw.model as NonNullable<ExperimentInput['baselines']>[number]];
          raw.model = (await defaultExperiment()).model;
        }
        parseExperiment(raw, 'bounds.json');
      }
    },
  );
});

describe('hostile experiment files', () => {
  const problemsOf = (raw: unknown) => {
    try {
      parseExperiment(raw, 'hostile.json');
      return [];
    } catch (err) {
      return (err as ExperimentError).problems;
    }
  };

  it.each([null, 3, 'x', []])('a file holding %j is one problem naming the root, not a TypeError', (raw) => {
    expect(problemsOf(raw)).toEqual([expect.objectContaining({ path: '' })]);
  });

  it('refuses nesting deeper than the limit, naming where, without overflowing the stack', async () => {
    const experiment = (await defaultExperiment()) as Record<string, unknown>;
    let deep: unknown = [];
    for (let i = 0; i < 100_000; i++) deep = [deep];
    experiment.description = deep;
    const problems = problemsOf(experiment);
    expect(problems).toHaveLength(1);
    expect(problems[0].path).toMatch(/^description\[0\]/);
    expect(problems[0].message).toBe(`nests deeper than ${MAX_JSON_DEPTH} levels of arrays and objects`);
  });

  it('refuses a __proto__ key instead of dropping it', async () => {
    const experiment = await defaultExperiment();
    experiment.data.options = JSON.parse('{"__proto__": {"trainRows": 5}}') as Record<string, number>;
    expect(problemsOf(experiment)).toEqual([
      { path: 'data.options.__proto__', message: 'is not allowed as a field name' },
    ]);
  });

  it('refuses an unknown "when" parameter with the closest one', async () => {
    const experiment = await defaultExperiment();
    const dropout = experiment.space!['model.dropout'];
    experiment.space!['model.dropout'] = { ...dropout, when: { 'model.encodr': [64, 32, 8] } };
    expect(problemsOf(experiment)).toEqual([
      {
        path: 'space.model.dropout.when.model.encodr',
        message: 'is not a parameter of the space, so this parameter would never vary; did you mean "model.encoder"?',
      },
    ]);
    experiment.space!['model.dropout'] = { ...dropout, when: { 'model.nothing': 1 } };
    expect(problemsOf(experiment)[0].message).toMatch(
      new RegExp(
        /^is not a parameter of the space, so this parameter would never vary; /.source +
          /parameters: model\.encoder, threshold\.percentile$/.source,
      ),
    );
  });

  it('accepts a "when" on model.variant when the experiment has variants', async () => {
    const experiment = await defaultExperiment();
    experiment.variants = [
      { name: 'a', params: {} },
      { name: 'b', params: {} },
    ];
    experiment.space!['model.dropout'] = { ...experiment.space!['model.dropout'], when: { 'model.variant': 'a' } };
    expect(problemsOf(experiment)).toEqual([]);
  });

  it('refuses misspelt loader options with the closest one, per dataset format', async () => {
    const experiment = await defaultExperiment();
    experiment.data.dataset = 'creditcard';
    experiment.data.options = { labelColum: 'f0', delimitr: ';' };
    expect(problemsOf(experiment)).toEqual([
      { path: 'data.options.labelColum', message: 'is not a known field; did you mean "labelColumn"?' },
      { path: 'data.options.delimitr', message: 'is not a known field; did you mean "delimiter"?' },
    ]);
    experiment.data.dataset = 'synthetic-ecg';
    experiment.data.options = { trainRow: 100 };
    expect(problemsOf(experiment)).toEqual([
      { path: 'data.options.trainRow', message: 'is not a known field; did you mean "trainRows"?' },
    ]);
  });

  it('refuses an unknown selection metric with the closest one', async () => {
    const experiment = await defaultExperiment();
    experiment.selection = { ...experiment.selection, metric: 'f7' };
    expect(problemsOf(experiment)).toEqual([
      { path: 'selection.metric', message: 'is not a known metric; did you mean "f1"?' },
    ]);
  });
});

describe('refused before training, naming the file', () => {
  it.each([
    ['null', 'null', '(root): must be a JSON object, got null'],
    [
      'an array 100,000 deep',
      `${'['.repeat(100_000)}${']'.repeat(100_000)}`,
      '(root): must be a JSON object, got an array',
    ],
    [
      'an object nested 100,000 deep',
      `{"name": "x", "description": ${'['.repeat(100_000)}${']'.repeat(100_000)}}`,
      `nests deeper than ${MAX_JSON_DEPTH} levels`,
    ],
  ])('a file holding %s (a TypeError or a stack overflow before)', async (_, text, message) => {
    const dir = await mkdtemp(join(tmpdir(), 'aelab-hostile-'));
    try {
      const file = join(dir, 'hostile.json');
      await writeFile(file, text);
      const error = await readExperimentJson(file).then(
        () => undefined,
        (err: unknown) => err,
      );
      expect(error).toBeInstanceOf(ExperimentError);
      expect((error as Error).message.startsWith(`${file}: invalid experiment`)).toBe(true);
      expect((error as Error).message).toContain(message);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it(
    'an empty validation split that the selection or a threshold ' +
      'reads stops the study (every trial failed or never won)',
    async () => {
      const raw = await defaultExperiment();
      raw.data.options = { trainRows: 2, testRows: 4 };
      raw.space = {};
      raw.selection = { metric: 'mse', direction: 'minimize', split: 'validation' };
      raw.scoring.threshold = { rule: 'percentile', percentile: 95, on: 'validation' };
      const experiment = parseExperiment(raw);
      const limits = { trialMemoryBytes: 2 ** 32, memorySource: 'test' };
      const error = await preflight(experiment, 'two-rows.json', { training: {}, scoringVariants: [{}] }, limits).then(
        () => undefined,
        (err: unknown) => err,
      );
      expect(error).toBeInstanceOf(ExperimentError);
      expect((error as ExperimentError).problems).toEqual([
        {
          path: 'selection',
          message:
            'mse on validation needs validation rows, but the validation split of synthetic-ecg is empty: ' +
            'use more rows or a larger data.validationFraction (each trial would otherwise train for nothing)',
        },
        {
          path: 'scoring',
          message:
            'a percentile threshold on validation needs normal validation rows, ' +
            'but the validation split of synthetic-ecg is empty: ' +
            'use more rows or a larger data.validationFraction (each trial would otherwise train for nothing)',
        },
      ]);
    },
  );

  it('a swept value out of bounds is refused before training, naming the configuration and the field', async () => {
    const raw = await defaultExperiment();
    raw.data.options = { trainRows: 40, testRows: 20 };
    raw.space = { 'training.learningRate': { type: 'float', low: 1e-4, high: 1e39, log: true } };
    raw.sampler = { type: 'random', trials: 2 };
    const experiment = parseExperiment(raw);
    const error = await preflight(
      experiment,
      'swept.json',
      { training: experiment.space, scoringVariants: [{}] },
      { trialMemoryBytes: 2 ** 32, memorySource: 'test' },
    ).then(
      () => undefined,
      (err: unknown) => err,
    );
    expect((error as ExperimentError).problems).toEqual([
      expect.objectContaining({
        message: expect.stringMatching(/^training\.learningRate must be <= 1, got 9\.99+\d*e\+38$/),
      }),
    ]);
    expect((error as ExperimentError).problems[0].path).toMatch(/^space \(training\.learningRate=/);
  });

  it('a swept loader option out of bounds is refused naming it, without loading the data', async () => {
    const raw = await defaultExperiment();
    raw.data.options = { trainRows: 40, testRows: 20 };
    raw.space = { 'data.options.trainRows': { type: 'categorical', values: [40, 200_000_000] } };
    const experiment = parseExperiment(raw);
    const error = await preflight(
      experiment,
      'swept.json',
      { training: experiment.space, scoringVariants: [{}] },
      { trialMemoryBytes: 2 ** 32, memorySource: 'test' },
    ).then(
      () => undefined,
      (err: unknown) => err,
    );
    expect(error).toBeInstanceOf(ExperimentError);
    expect((error as ExperimentError).problems).toEqual([
      {
        path: 'space (data.options.trainRows=200000000)',
        message: 'data.options.trainRows must be at most 100,000 rows, got 200000000',
      },
    ]);
  });
});
