#!/usr/bin/env node
// Time of the default stratified, seeded train/validation/test split on a table shaped like
// the credit-card fraud set (284,807 rows x 31 columns: 30 features + the label, 0.17 %
// positive), synthetic values. Prints JSON. Build first: npx tsc -b packages/data
//
//   node tools/bench/data-split.mjs [--rows 284807] [--positive 0.0017] [--repeats 3]
//
// `splitSeconds` times splitRows alone (the part that was quadratic); `prepareSeconds` the
// whole prepareDataset (split, missing values, standard scaler, copies per split).
import { cpus } from 'node:os';
import { createRng } from '@aelab/core';
import { prepareDataset, resolvePreparationSpec, splitRows } from '@aelab/data';
import { benchOptions } from './lib/options.mjs';

const { rows, positive: positiveShare, repeats } = benchOptions({ rows: 284807, positive: 0.0017, repeats: 3 });
const features = 30;

const rng = createRng(7, 'bench/data-split');
const values = new Float32Array(rows * features);
for (let i = 0; i < values.length; i++) values[i] = rng.normal();
const labels = Array.from({ length: rows }, () => (rng.next() < positiveShare ? '1' : '0'));
const dataset = {
  name: 'creditcard-shaped',
  values,
  rows,
  features,
  labels,
  featureNames: Array.from({ length: features }, (_, j) => `V${j + 1}`),
  source: { paths: ['memory:creditcard-shaped'], sha256: 'bench', format: 'csv' },
};

// a plain file with normal class 0 gets the default protocol: stratified random 20 %, seed 42
const spec = { dataset: 'creditcard-shaped.csv', normalClass: '0' };
const r = resolvePreparationSpec(spec, dataset);
const seconds = (run) => {
  const start = process.hrtime.bigint();
  const result = run();
  return [Number(process.hrtime.bigint() - start) / 1e9, result];
};

const splitRuns = [];
let parts;
for (let i = 0; i < repeats; i++) {
  const [s, result] = seconds(() =>
    splitRows(dataset, {
      split: r.split,
      isNormal: (row) => labels[row] === '0',
      trainOn: r.trainOn,
      validationFraction: r.validationFraction,
      seed: r.seed,
    }),
  );
  splitRuns.push(s);
  parts = result;
}
const prepareRuns = [];
for (let i = 0; i < repeats; i++) prepareRuns.push(seconds(() => prepareDataset(dataset, spec))[0]);

const round = (x) => Math.round(x * 1e4) / 1e4;
console.log(
  JSON.stringify(
    {
      bench: 'data-split',
      node: process.version,
      cpus: cpus().length,
      note: 'wall times on a shared machine: noisy; best of the repeats',
      rows,
      columns: features + 1,
      positives: labels.filter((l) => l === '1').length,
      split: r.split,
      validationFraction: r.validationFraction,
      trainOn: r.trainOn,
      parts: {
        train: parts.train.length,
        validation: parts.validation.length,
        test: parts.test.length,
        droppedTrainingAnomalies: parts.droppedTrainingAnomalies,
      },
      splitSeconds: { best: round(Math.min(...splitRuns)), runs: splitRuns.map(round) },
      prepareSeconds: { best: round(Math.min(...prepareRuns)), runs: prepareRuns.map(round) },
      targetSeconds: 1,
    },
    null,
    2,
  ),
);
