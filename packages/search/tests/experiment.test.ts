import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ExperimentError, experimentJsonSchema, loadExperiment, parseExperiment } from '../src/experiment.js';
import { resolveScoring, resolveTraining } from '../src/resolve.js';

const root = new URL('../../../', import.meta.url);

async function defaultExperiment() {
  return JSON.parse(await readFile(new URL('experiments/default.json', root), 'utf8'));
}

describe('experiment files', () => {
  it('the shipped default experiment is valid', async () => {
    const exp = parseExperiment(await defaultExperiment());
    expect(exp.name).toBe('default');
    expect(exp.sampler).toEqual({ type: 'grid' });
  });

  it('an invalid file is rejected with every problem and its path', async () => {
    const raw = await defaultExperiment();
    raw.training.epochs = -1;
    raw.space['model.dropout'] = { type: 'float', low: 0.5, high: 0.1 };
    raw.selection.direction = 'up';
    raw.space['bogus.param'] = { type: 'categorical', values: [1] };
    delete raw.seed;
    try {
      parseExperiment(raw, 'experiments/bad.json');
      expect.fail('should have thrown');
    } catch (err) {
      expect(err).toBeInstanceOf(ExperimentError);
      const paths = (err as ExperimentError).problems.map((p) => p.path);
      expect(paths).toEqual(expect.arrayContaining(['training.epochs', 'selection.direction', 'seed']));
      expect((err as Error).message).toMatch(/^experiments\/bad\.json: invalid experiment/);
    }
    // Cross-field rules run once the shapes are right, and report every violation too.
    const raw2 = await defaultExperiment();
    raw2.space['model.dropout'] = { type: 'float', low: 0.5, high: 0.1 };
    raw2.space['bogus.param'] = { type: 'categorical', values: [1] };
    const problems = (() => {
      try {
        parseExperiment(raw2);
        return [];
      } catch (err) {
        return (err as ExperimentError).problems.map((p) => p.path);
      }
    })();
    expect(problems).toEqual(expect.arrayContaining(['space.model.dropout.high', 'space.bogus.param']));
  });

  it('a JSON syntax error names the line and column', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'aelab-exp-'));
    const file = join(dir, 'broken.json');
    await writeFile(file, '{\n  "name": "x",\n  "seed": 1,,\n}\n');
    await expect(loadExperiment(file)).rejects.toThrow(
      /broken\.json: [\s\S]*not valid JSON: [\s\S]*line 3, column \d+/,
    );
  });

  it('experiments/schema.json is generated from the zod schema (no drift)', async () => {
    const committed = await readFile(new URL('experiments/schema.json', root), 'utf8');
    expect(committed).toBe(`${JSON.stringify(experimentJsonSchema(), null, 2)}\n`);
  });
});

describe('resolving params into configs', () => {
  it('dotted training params override the base model and training', async () => {
    const exp = parseExperiment(await defaultExperiment());
    const config = resolveTraining(exp, { 'model.dropout': 0.2, 'training.epochs': 3, 'threshold.percentile': 90 });
    expect(config.model.dropout).toBe(0.2);
    expect(config.training.epochs).toBe(3);
    expect(JSON.stringify(config)).not.toContain('percentile');
  });

  it('changing the threshold rule drops the fields of the old rule', async () => {
    const exp = parseExperiment(await defaultExperiment());
    expect(resolveScoring(exp, { 'threshold.percentile': 90 }).threshold).toEqual({
      rule: 'percentile',
      percentile: 90,
      on: 'train',
    });
    expect(resolveScoring(exp, { 'threshold.rule': 'meanStd', 'threshold.k': 1 }).threshold).toEqual({
      rule: 'meanStd',
      k: 1,
      on: 'train',
    });
    expect(resolveScoring(exp, { 'threshold.rule': 'fixed', 'threshold.value': 2 }).threshold).toEqual({
      rule: 'fixed',
      value: 2,
    });
  });

  it('model.kind picks the family base spec from "models"', async () => {
    const raw = await defaultExperiment();
    delete raw.model;
    const lstm = { kind: 'lstm', units: [16], layout: 'sequence', outputActivation: 'linear', dropout: 0, l2: 0 };
    raw.models = {
      dense: { kind: 'dense', encoder: [32, 8], activation: 'relu', outputActivation: 'linear', dropout: 0, l2: 0 },
      lstm,
    };
    raw.space = { 'model.kind': { type: 'categorical', values: ['dense', 'lstm'] } };
    const exp = parseExperiment(raw);
    expect(resolveTraining(exp, { 'model.kind': 'lstm' }).model).toEqual(lstm);
  });
});

describe('data loader options', () => {
  it('take dropColumns as an array of names or indices, as the loaders do', async () => {
    const raw = await defaultExperiment();
    // A CSV dataset's option (synthetic-ecg takes none of the CSV loader's options).
    raw.data.dataset = 'creditcard';
    raw.data.options = { dropColumns: ['Time', 3] };
    expect(parseExperiment(raw).data.options).toEqual({ dropColumns: ['Time', 3] });
    raw.data.options = { dropColumns: [true] };
    expect(() => parseExperiment(raw)).toThrow(/data\.options\.dropColumns/);
  });
});

describe('model fields are validated by their family schema', () => {
  const problemsOf = (raw: unknown) => {
    try {
      parseExperiment(raw);
      return [];
    } catch (err) {
      return (err as ExperimentError).problems;
    }
  };

  it('a misspelt or missing field of the base model is an error naming it', async () => {
    const raw = await defaultExperiment();
    raw.model.encodr = raw.model.encoder;
    delete raw.model.encoder;
    expect(problemsOf(raw)).toEqual(
      expect.arrayContaining([
        { path: 'model.encodr', message: 'is not a known field; did you mean "encoder"?' },
        expect.objectContaining({ path: 'model.encoder' }),
      ]),
    );
  });

  it('a preset is named from the list of presets', async () => {
    const raw = await defaultExperiment();
    raw.model = { kind: 'dense', preset: 'ecg-v3' };
    expect(parseExperiment(raw).model).toEqual({ kind: 'dense', preset: 'ecg-v3' });
    raw.model = { kind: 'dense', preset: 'ecg-v9' };
    expect(problemsOf(raw).map((p) => p.path)).toEqual(['model.preset']);
  });

  it('the generated JSON Schema lets editors complete model fields', () => {
    const text = JSON.stringify(experimentJsonSchema());
    for (const field of ['encoder', 'filters', 'kernelSize', 'units', 'layout', 'outputActivation'])
      expect(text).toContain(`"${field}"`);
  });
});
