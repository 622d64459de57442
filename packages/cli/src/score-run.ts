import { stat } from 'node:fs/promises';
import { dirname, extname, join } from 'node:path';
import { MODEL_FILES, type ErrorMetric } from '@aelab/core';
import {
  applyPreparation,
  isCsvHeader,
  isCsvValue,
  isNormalLabel,
  loadFile,
  loadUnlabelledCsv,
  parsePreparation,
  printable,
  readLines,
  splitDelimited,
  type Dataset,
  type Preparation,
} from '@aelab/data';
import {
  binaryMetrics,
  initBackend,
  loadModel,
  reconstructionErrors,
  type BackendName,
  type LoadedModel,
} from '@aelab/models';
import { writeFileAtomic } from '@aelab/store';
import type { ScoreArgs } from './args.js';

const f = (v: number | undefined) => (v === undefined ? '-' : v.toFixed(4));

/**
 * `aelab score`: applies a saved model (its preparation, network and threshold) to a file.
 * Everything that can be refused is refused before any row is scored or written: `--out`,
 * every field of `aelab-model.json` and the model's files.
 */
export async function runScore(args: ScoreArgs): Promise<void> {
  if (args.out) await checkOutputPath(args.out);
  await initBackend((args.backend ?? 'auto') as BackendName);
  const saved = await loadModel(args.model);
  try {
    await scoreWith(args, saved);
  } finally {
    saved.model.dispose();
  }
}

/**
 * `--out` must be a regular file (or not exist yet) in an existing directory: a directory
 * there failed only at the final rename, after scoring, leaving the temp file behind.
 */
async function checkOutputPath(out: string): Promise<void> {
  const target = await stat(out).catch((error: NodeJS.ErrnoException) => {
    if (error.code === 'ENOENT') return undefined;
    throw new Error(`--out ${out}: ${error.message}`);
  });
  if (target && !target.isFile()) {
    const what = target.isDirectory() ? 'a directory' : 'not a regular file';
    throw new Error(`--out ${out}: is ${what}; give the path of the CSV file to write`);
  }
  const dir = await stat(dirname(out)).catch(() => undefined);
  if (!dir?.isDirectory()) throw new Error(`--out ${out}: its folder ${dirname(out)} does not exist`);
}

async function scoreWith(args: ScoreArgs, saved: LoadedModel): Promise<void> {
  const infoFile = join(args.model, MODEL_FILES.info);
  const threshold = args.threshold ?? saved.threshold;
  if (threshold === null || threshold === undefined) {
    throw new Error(`${args.model}: the model has no saved threshold; pass --threshold`);
  }
  const preparation = parsePreparation(saved.preparation, infoFile);
  // Dense models take [rows, n]; sequence models [rows, n, 1] or [rows, 1, n]: n values per row either way.
  const expected = saved.model.inputs[0].shape.slice(1).reduce<number>((a, b) => a * (b ?? 1), 1);
  if (preparation.features !== expected) {
    throw new Error(
      `${infoFile}: preparation.features is ${preparation.features}, ` +
        `but the network of ${MODEL_FILES.topology} takes ${expected} values per row`,
    );
  }
  const { dataset, columns } = await loadScoringData(args.input, args['label-column'], preparation.features);
  if (dataset.features !== expected) {
    throw new Error(
      `${args.input}: rows have ${dataset.features} feature values, ` +
        `the model expects ${expected} (${columns.mismatchHint})`,
    );
  }
  // Column names come from the file: shown, never obeyed, by the terminal.
  console.error(printable(`${args.input}: features: ${columns.features}; label: ${columns.label}`));
  for (const warning of inputWarnings(args.input, dataset, preparation)) {
    console.error(printable(`warning: ${warning}`));
  }
  const x = applyPreparation(preparation, dataset.values, dataset.rows, dataset.features);
  // loadModel checked it is one of ERROR_METRICS.
  const metric = (saved.extra.errorMetric as ErrorMetric | undefined) ?? 'mse';
  const errors = (await reconstructionErrors(saved.model, { x, rows: dataset.rows, features: dataset.features }))[
    metric
  ];

  const lines = ['row,label,error,anomaly'];
  let flagged = 0;
  for (let i = 0; i < dataset.rows; i++) {
    const anomaly = errors[i] > threshold;
    flagged += anomaly ? 1 : 0;
    lines.push(`${i},${JSON.stringify(dataset.labels[i] ?? '')},${errors[i]},${anomaly ? 1 : 0}`);
  }
  const csv = `${lines.join('\n')}\n`;
  // Temp file + rename: a kill mid-write leaves the previous results whole, never a torn file.
  if (args.out) await writeFileAtomic(args.out, csv, { fsync: true });
  else process.stdout.write(csv);

  const log = args.out ? console.log : console.error;
  log(`${flagged} of ${dataset.rows} rows flagged as anomalies (${metric} > ${threshold})`);
  if (columns.unlabelled) return;
  const y = dataset.labels.map((label) => (isNormalLabel(label, preparation.normalClass) ? 0 : 1));
  const positives = y.reduce<number>((a, b) => a + b, 0);
  if (positives > 0 && positives < y.length) {
    const m = binaryMetrics(y, errors, threshold);
    log(
      `against the file's labels (normal: ${preparation.normalClass.join(', ')}): ` +
        `accuracy ${f(m.accuracy)} precision ${f(m.precision)} recall ${f(m.recall)} ` +
        `F1 ${f(m.f1)} ROC-AUC ${f(m.rocAuc)}`,
    );
  }
}

/**
 * What the user should know about the input before trusting its scores: missing cells
 * the preparation fills (as it filled the training data's), and column names other than
 * those the model was trained on (same count, perhaps another order or meaning).
 */
function inputWarnings(input: string, dataset: Dataset, preparation: Preparation): string[] {
  const warnings: string[] = [];
  let missing = 0;
  let firstRow = -1;
  for (let i = 0; i < dataset.values.length; i++) {
    if (!Number.isNaN(dataset.values[i])) continue;
    if (missing++ === 0) firstRow = Math.floor(i / dataset.features);
  }
  if (missing > 0) {
    const how = preparation.missing === 'interpolate' ? 'interpolated along the row, else filled with' : 'filled with';
    const cells = `${missing} missing cell${missing === 1 ? '' : 's'} (first in data row ${firstRow + 1})`;
    warnings.push(`${input}: ${cells} ${how} the training columns' means, as in training`);
  }
  const names = dataset.featureNames;
  const trained = preparation.featureNames;
  const differ = names.findIndex((name, j) => name !== trained[j]);
  const generic = names.every((name, j) => name === `c${j}`);
  if (!generic && differ !== -1 && names.length === trained.length) {
    warnings.push(
      `${input}: column ${differ + 1} is named '${names[differ]}', ` +
        `the model was trained on '${trained[differ]}' there` +
        ` (${nameList(trained)}): check the columns' order`,
    );
  }
  return warnings;
}

/** Which columns of the input were read as what, in words for the user. */
interface ColumnUse {
  features: string;
  label: string;
  unlabelled: boolean;
  /** What to say when the feature count does not match the model's. */
  mismatchHint: string;
}

/** `--label-column none`: the file has no label column. */
const NO_LABEL = 'none';

/**
 * Reads the file to score and says which columns became features and which the label.
 * A CSV/TSV is unlabelled with `--label-column none`, or when, without `--label-column`,
 * its first data row has exactly as many numeric cells as the model has features; else
 * its label is `--label-column` or the last column, as the loader reads it.
 */
async function loadScoringData(
  input: string,
  labelColumn: string | undefined,
  modelFeatures: number,
): Promise<{ dataset: Dataset; columns: ColumnUse }> {
  const extension = extname(input).toLowerCase();
  const delimiter = extension === '.csv' ? ',' : extension === '.tsv' ? '\t' : undefined;
  if (delimiter === undefined) {
    if (labelColumn !== undefined) {
      throw new Error(
        `--label-column applies to .csv and .tsv files; ${input} is a ${extension || 'extension-less'} file, ` +
          `whose format says where its labels are`,
      );
    }
    const dataset = await loadFile(input);
    const label = `the ${extension} format's class labels`;
    return {
      dataset,
      columns: {
        features: `${dataset.features} values per row`,
        label,
        unlabelled: false,
        mismatchHint: `label: ${label}`,
      },
    };
  }
  const [first = [], second] = await firstLines(input, delimiter, 2);
  let why: string | undefined;
  if (labelColumn === NO_LABEL) why = `--label-column ${NO_LABEL}`;
  else if (labelColumn === undefined) {
    const row = isCsvHeader(first) ? second : first;
    if (row?.length === modelFeatures && row.every(isCsvValue)) {
      why =
        `the model takes ${modelFeatures} features and the file has ${modelFeatures} numeric columns; ` +
        `--label-column to name one`;
    }
  }
  if (why !== undefined) {
    const dataset = await loadUnlabelledCsv(input, { delimiter });
    return {
      dataset,
      columns: {
        features: featureList(dataset),
        label: `none (${why})`,
        unlabelled: true,
        mismatchHint: `no label column: ${why}`,
      },
    };
  }
  const dataset = await loadFile(input, labelColumn !== undefined ? { labelColumn } : {});
  // Named as the loader names columns: by the header, which it tells by the cells other than the label.
  const last = isCsvHeader(first, first.length - 1) ? `'${first.at(-1)?.trim()}'` : `c${first.length - 1}`;
  const label =
    labelColumn === undefined
      ? `${last} (the last column; --label-column to choose another, or ${NO_LABEL})`
      : `${labelColumn} (--label-column)`;
  const named = labelColumn === undefined ? `${last}, the last column` : `${labelColumn}`;
  return {
    dataset,
    columns: {
      features: featureList(dataset),
      label,
      unlabelled: false,
      mismatchHint: `label: ${named}; --label-column ${NO_LABEL} if the file has no label`,
    },
  };
}

function featureList(dataset: Dataset): string {
  return `${dataset.features} columns (${nameList(dataset.featureNames)})`;
}

/** Up to four names, else the first two and the last. */
const nameList = (names: readonly string[]) =>
  names.length <= 4 ? names.join(', ') : `${names[0]}, ${names[1]}, ..., ${names.at(-1)}`;

/** The cells of the first `count` non-empty lines of a delimited file, reading no further. */
async function firstLines(file: string, delimiter: string, count: number): Promise<string[][]> {
  const done = new Error('lines read');
  const lines: string[][] = [];
  try {
    await readLines(file, (text, line) => {
      if (text.trim() === '') return;
      lines.push(splitDelimited(text, delimiter, '"', file, line));
      if (lines.length === count) throw done;
    });
  } catch (error) {
    if (error !== done) throw error;
  }
  return lines;
}
