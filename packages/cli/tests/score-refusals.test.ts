/**
 * `aelab score` refuses a tampered model folder or a bad `--out` before it scores a row:
 * the error names the file and the field, and nothing is written. The model is a copy of
 * the v1 fixture store's (saved by an earlier aelab), so it also pins that such models
 * still pass every check.
 */
import { execFileSync } from 'node:child_process';
import { cp, mkdir, mkdtemp, readdir, readFile, rm, stat, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { createCli } from '../src/cli.js';

const FIXTURE_MODEL = fileURLToPath(
  new URL('../../../fixtures/stores/v1/s-20261123-114140-2030/trials/t000000/model', import.meta.url),
);

let dir: string;
let input: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'aelab-score-refusals-'));
  input = join(dir, 'beats.csv');
  // Three smooth rows of the model's 140 features, labelled.
  const row = (i: number) =>
    [...Array.from({ length: 140 }, (_, j) => Math.sin(j / 10 + i).toFixed(4)), 'normal'].join(',');
  await writeFile(input, [0, 1, 2].map(row).join('\n') + '\n');
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** Runs `aelab score` in this process, returning what it printed (console.log and console.error). */
async function score(model: string, ...more: string[]): Promise<{ out: string; err: string }> {
  const file = more.includes('--input') ? [] : ['--input', input];
  const out: string[] = [];
  const err: string[] = [];
  const log = vi.spyOn(console, 'log').mockImplementation((...args: unknown[]) => void out.push(args.join(' ')));
  const error = vi.spyOn(console, 'error').mockImplementation((...args: unknown[]) => void err.push(args.join(' ')));
  const stdout = vi.spyOn(process.stdout, 'write').mockImplementation(() => true);
  try {
    await createCli(['score', '--model', model, ...file, '--backend', 'wasm', ...more])
      .exitProcess(false)
      .parseAsync();
  } finally {
    log.mockRestore();
    error.mockRestore();
    stdout.mockRestore();
  }
  return { out: out.join('\n'), err: err.join('\n') };
}

let copies = 0;
/** A fresh copy of the fixture model, and where `--out` goes beside it. */
async function modelCopy(): Promise<{ model: string; info: string; topology: string; weights: string; out: string }> {
  const folder = join(dir, `case-${copies++}`);
  const model = join(folder, 'model');
  await mkdir(folder);
  await cp(FIXTURE_MODEL, model, { recursive: true });
  return {
    model,
    info: join(model, 'aelab-model.json'),
    topology: join(model, 'model.json'),
    weights: join(model, 'weights.bin'),
    out: join(folder, 'scores.csv'),
  };
}

/** Nothing was written beside `out`: no results, no temp file. */
async function expectNothingWritten(out: string): Promise<void> {
  const folder = join(out, '..');
  expect((await readdir(folder)).sort()).toEqual(['model']);
}

type Info = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
/** A value no JSON writer produces but JSON.parse reads as Infinity. */
const OVERFLOW = 1e999;

/** Each field of aelab-model.json tampered: [field named in the error, the edit, the rest of the message]. */
const tampered: [string, (info: Info) => void, string | RegExp][] = [
  ['format', (i) => (i.format = 'keras'), 'expected format "aelab-model" version 1, got "keras" version 1'],
  ['version', (i) => (i.version = 2), 'expected format "aelab-model" version 1, got "aelab-model" version 2'],
  [
    'spec.kind',
    (i) => (i.spec.kind = 'transformer'),
    /^spec\.kind must be one of dense, conv1d, lstm, rnn, pca, isolation-forest, knn, got "transformer"/,
  ],
  ['spec.encoder', (i) => (i.spec.encoder = 'x'), /^spec\.encoder /],
  ['spec.dropout', (i) => (i.spec.dropout = OVERFLOW), /^spec\.dropout /],
  ['spec.extraField', (i) => (i.spec.extraField = 1), /^spec\.extraField is not a known field/],
  ['threshold', (i) => (i.threshold = 'abc'), 'threshold must be a finite number or null, got "abc"'],
  ['threshold', (i) => (i.threshold = OVERFLOW), 'threshold must be a finite number or null, got Infinity'],
  ['threshold', (i) => (i.threshold = -5), 'threshold must be >= 0, got -5'],
  ['extra', (i) => (i.extra = 'x'), /^extra /],
  ['extra.errorMetric', (i) => (i.extra.errorMetric = 'l1'), 'extra.errorMetric must be one of mse, mae, got "l1"'],
  ['tfjsVersion', (i) => (i.tfjsVersion = 4), 'tfjsVersion must be a string, got 4'],
  ['weightsSha256', (i) => (i.weightsSha256 = 'abc'), 'weightsSha256 must be 64 hex digits, got "abc"'],
  ['surplus', (i) => (i.surplus = true), 'surplus is not a known field'],
  ['preparation', (i) => (i.preparation = null), /^preparation /],
  ['preparation.format', (i) => (i.preparation.format = 'aelab-preparation/2'), /^preparation\.format /],
  ['preparation.dataset', (i) => (i.preparation.dataset = 5), 'preparation.dataset must be a string, got 5'],
  ['preparation.features', (i) => (i.preparation.features = 0), /^preparation\.features must be > 0, got 0/],
  [
    'preparation.features',
    (i) => (i.preparation.features = 139),
    /^preparation\.featureNames must have 139 entries \(preparation\.features\), got 140/,
  ],
  [
    'preparation.features',
    (i) => {
      const p = i.preparation;
      p.features = 139;
      for (const list of [p.featureNames, p.fillValues, p.scaler.mean, p.scaler.std]) list.pop();
    },
    'preparation.features is 139, but the network of model.json takes 140 values per row',
  ],
  [
    'preparation.featureNames',
    (i) => i.preparation.featureNames.pop(),
    'preparation.featureNames must have 140 entries (preparation.features), got 139',
  ],
  [
    'preparation.featureNames[2]',
    (i) => (i.preparation.featureNames[2] = 7),
    'preparation.featureNames[2] must be a string, got 7',
  ],
  ['preparation.normalClass', (i) => (i.preparation.normalClass = []), /^preparation\.normalClass /],
  [
    'preparation.missing',
    (i) => (i.preparation.missing = 'zero'),
    'preparation.missing must be one of interpolate, impute, got "zero"',
  ],
  [
    'preparation.fillValues[3]',
    (i) => (i.preparation.fillValues[3] = 'x'),
    'preparation.fillValues[3] must be a finite number, got "x"',
  ],
  [
    'preparation.fillValues',
    (i) => i.preparation.fillValues.push(0),
    'preparation.fillValues must have 140 entries (preparation.features), got 141',
  ],
  [
    'preparation.perSampleNormalize',
    (i) => (i.preparation.perSampleNormalize = 'yes'),
    'preparation.perSampleNormalize must be a boolean, got "yes"',
  ],
  [
    'preparation.scaler.kind',
    (i) => (i.preparation.scaler.kind = 'robust'),
    /^preparation\.scaler\.kind must be one of standard, minmax, minmax-global, none, got "robust"/,
  ],
  [
    'preparation.scaler.std[0]',
    (i) => (i.preparation.scaler.std[0] = 'x'),
    'preparation.scaler.std[0] must be a finite number, got "x"',
  ],
  [
    'preparation.scaler.std[5]',
    (i) => (i.preparation.scaler.std[5] = 0),
    'preparation.scaler.std[5] must be > 0, got 0',
  ],
  [
    'preparation.scaler.mean[0]',
    (i) => (i.preparation.scaler.mean[0] = OVERFLOW),
    'preparation.scaler.mean[0] must be a finite number, got Infinity',
  ],
  [
    'preparation.scaler.mean',
    (i) => (i.preparation.scaler.mean = i.preparation.scaler.mean.slice(1)),
    'preparation.scaler.mean must have 140 entries (preparation.features), got 139',
  ],
  ['preparation.scaler.std', (i) => delete i.preparation.scaler.std, /^preparation\.scaler\.std /],
  ['preparation.split', (i) => (i.preparation.split = 'x'), /^preparation\.split /],
  [
    'preparation.trainOn',
    (i) => (i.preparation.trainOn = 'some'),
    'preparation.trainOn must be one of normal, all, got "some"',
  ],
  [
    'preparation.validationFraction',
    (i) => (i.preparation.validationFraction = 2),
    'preparation.validationFraction must be <= 1, got 2',
  ],
  ['preparation.seed', (i) => (i.preparation.seed = 'x'), 'preparation.seed must be a finite number, got "x"'],
  ['preparation.options', (i) => (i.preparation.options = 5), /^preparation\.options /],
  [
    'preparation.droppedTrainingAnomalies',
    (i) => (i.preparation.droppedTrainingAnomalies = -1),
    'preparation.droppedTrainingAnomalies must be >= 0, got -1',
  ],
  ['preparation.surplus', (i) => (i.preparation.surplus = 1), 'preparation.surplus is not a known field'],
];

/** JSON text of `info`, with Infinity written as JSON.parse reads it back (1e999). */
const infoText = (info: Info) =>
  JSON.stringify(info, (_, v) => (v === OVERFLOW ? '\u0000inf' : v)).replaceAll('"\\u0000inf"', '1e999');

describe('aelab score refuses a tampered aelab-model.json, naming the file and the field, writing nothing', () => {
  it('scores the untampered model (saved by aelab v1)', async () => {
    const { model, out } = await modelCopy();
    expect((await score(model, '--out', out)).out).toMatch(/of 3 rows flagged as anomalies/);
    expect((await readFile(out, 'utf8')).split('\n')[0]).toBe('row,label,error,anomaly');
  });

  it.each(tampered)('%s', async (field, edit, message) => {
    const { model, info, out } = await modelCopy();
    const content = JSON.parse(await readFile(info, 'utf8')) as Info;
    edit(content);
    await writeFile(info, infoText(content));
    const failure = await score(model, '--out', out).then(
      () => undefined,
      (error: Error) => error.message,
    );
    expect(failure, `${field}: refused`).toBeDefined();
    expect(failure!.startsWith(`${info}: `)).toBe(true);
    const rest = failure!.slice(info.length + 2);
    if (typeof message === 'string') expect(rest).toContain(message);
    else expect(rest).toMatch(message);
    if (!field.startsWith('format') && !field.startsWith('version')) expect(rest).toContain(field);
    await expectNothingWritten(out);
  });
});

describe('aelab score refuses tampered network files, naming the file', () => {
  it('a FIFO as weights.bin, without waiting on it', async () => {
    const { model, weights, out } = await modelCopy();
    await rm(weights);
    execFileSync('mkfifo', [weights]);
    await expect(score(model, '--out', out)).rejects.toThrow(
      `${weights}: is a FIFO (named pipe); a saved model's files must be regular files`,
    );
  });

  it('weights.bin linked to /dev/zero, without reading it', async () => {
    const { model, weights, out } = await modelCopy();
    await rm(weights);
    await symlink('/dev/zero', weights);
    await expect(score(model, '--out', out)).rejects.toThrow(
      `${weights}: is a device; a saved model's files must be regular files`,
    );
  });

  it('a weights.bin longer than its manifest, refused by its size before its bytes are read', async () => {
    const { model, weights, out } = await modelCopy();
    const size = (await stat(weights)).size;
    await writeFile(weights, Buffer.alloc(size + 4096), { flag: 'a' });
    await expect(score(model, '--out', out)).rejects.toThrow(
      `${weights}: has ${2 * size + 4096} bytes, model.json's weights manifest describes ${size}`,
    );
  });

  it('a model.json that is a directory', async () => {
    const { model, topology, out } = await modelCopy();
    await rm(topology);
    await mkdir(topology);
    await expect(score(model, '--out', out)).rejects.toThrow(
      `${topology}: is a directory; a saved model's files must be regular files`,
    );
  });

  it('a layer tfjs does not know (Lambda), or weights of another shape: no raw tfjs message', async () => {
    const { model, topology, info, out } = await modelCopy();
    const original = await readFile(topology, 'utf8');
    await writeFile(
      topology,
      original
        .replace('"class_name":"Dense"', '"class_name":"Lambda"')
        .replace('"class_name": "Dense"', '"class_name": "Lambda"'),
    );
    await expect(score(model, '--out', out)).rejects.toThrow(
      new RegExp(
        `^${topology}: tfjs cannot build the network it describes ` +
          `\\(the file was changed, or not saved by aelab\\): .*Unknown layer: Lambda`,
      ),
    );
    // Same byte count, other shape: the checksum holds (weights.bin is unchanged), the network does not.
    const json = JSON.parse(original);
    json.weightsManifest[0].weights[0].shape = [16, 140];
    await writeFile(topology, JSON.stringify(json));
    await expect(score(model, '--out', out)).rejects.toThrow(
      new RegExp(`^${topology}: tfjs cannot build the network it describes .*[Ss]hape`),
    );
    const content = JSON.parse(await readFile(info, 'utf8'));
    expect(content.weightsSha256).toBeUndefined(); // v1: checked by size only
    await expectNothingWritten(out);
  });
});

/** A JSON array nested 100,000 deep: JSON.parse reads it, recursive code (zod, JSON.stringify) overflows the stack. */
const DEEP = '['.repeat(100_000) + ']'.repeat(100_000);
const escaped = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** [file, field named in the error, the edit that puts DEEP there]. */
const nested: [string, string, (info: Info) => void][] = [
  ['aelab-model.json', 'threshold', (i: Info) => (i.threshold = 'DEEP')],
  ['aelab-model.json', 'preparation.options', (i: Info) => (i.preparation.options = 'DEEP')],
  ['aelab-model.json', 'spec.encoder', (i: Info) => (i.spec.encoder = 'DEEP')],
  [
    'model.json',
    'modelTopology.config.layers[1].config.units',
    (i: Info) => (i.modelTopology.config.layers[1].config.units = 'DEEP'),
  ],
];

describe('aelab score refuses model JSON nested deeper than any model, naming the file and the field', () => {
  it.each(nested)('%s: %s', async (name, field, edit) => {
    const { model, out } = await modelCopy();
    const file = join(model, name);
    const content = JSON.parse(await readFile(file, 'utf8')) as Info;
    edit(content);
    await writeFile(file, JSON.stringify(content).replace('"DEEP"', DEEP));
    await expect(score(model, '--out', out)).rejects.toThrow(
      new RegExp(`^${escaped(file)}: ${escaped(field)}(\\[0\\])+ nests deeper than 64 levels of arrays and objects$`),
    );
    await expectNothingWritten(out);
  });
});

describe('aelab score --out', () => {
  it('a directory is refused before scoring, and no temp file is left', async () => {
    const { model, out } = await modelCopy();
    await mkdir(out);
    await expect(score(model, '--out', out)).rejects.toThrow(
      `--out ${out}: is a directory; give the path of the CSV file to write`,
    );
    expect((await readdir(join(out, '..'))).sort()).toEqual(['model', 'scores.csv']);
    expect(await readdir(out)).toEqual([]);
  });

  it('a folder that does not exist is refused before scoring', async () => {
    const { model } = await modelCopy();
    const out = join(dir, 'no-such-folder', 'scores.csv');
    await expect(score(model, '--out', out)).rejects.toThrow(
      `--out ${out}: its folder ${join(dir, 'no-such-folder')} does not exist`,
    );
  });
});

describe('aelab score --threshold', () => {
  it('refuses a negative threshold (errors are never negative: it flagged every row), writing nothing', async () => {
    const { model, out } = await modelCopy();
    await expect(score(model, '--threshold=-1', '--out', out)).rejects.toThrow(
      "--threshold must be >= 0 (reconstruction errors are never negative), got '-1'",
    );
    await expectNothingWritten(out);
    expect((await score(model, '--threshold', '0', '--out', out)).out).toMatch(/3 of 3 rows flagged/);
  });
});

describe('aelab score warns about input that differs from the training data', () => {
  it('says how many cells were missing and filled, and which column is named otherwise', async () => {
    const { model, out } = await modelCopy();
    const names = Array.from({ length: 140 }, (_, j) => (j === 0 ? 'x0' : `t${j}`));
    const rows = (await readFile(input, 'utf8')).trim().split('\n');
    rows[1] = rows[1].replace(/^[^,]*,[^,]*,/, ',?,');
    const file = join(dir, 'odd.csv');
    await writeFile(file, [[...names, 'label'].join(','), ...rows].join('\n') + '\n');
    const { err } = await score(model, '--input', file, '--out', out);
    expect(err).toContain(
      `warning: ${file}: 2 missing cells (first in data row 2) interpolated along the row, ` +
        `else filled with the training columns' means, as in training`,
    );
    expect(err).toContain(
      `warning: ${file}: column 1 is named 'x0', the model was trained on 't0' there ` +
        `(t0, t1, ..., t139): check the columns' order`,
    );
  });
});
