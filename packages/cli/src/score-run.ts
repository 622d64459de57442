import { writeFile } from 'node:fs/promises';
import { applyPreparation, isNormalLabel, loadFile, parsePreparation } from '@aelab/data';
import { binaryMetrics, initBackend, loadModel, reconstructionErrors, type BackendName } from '@aelab/models';
import type { ScoreArgs } from './args.js';

const f = (v: number | undefined) => (v === undefined ? '-' : v.toFixed(4));

/** `aelab score`: applies a saved model (its preparation, network and threshold) to a file. */
export async function runScore(args: ScoreArgs): Promise<void> {
  await initBackend((args.backend ?? 'auto') as BackendName);
  const saved = await loadModel(args.model);
  const threshold = args.threshold ?? saved.threshold;
  if (threshold === null || threshold === undefined) {
    throw new Error(`${args.model}: the model has no saved threshold; pass --threshold`);
  }
  const preparation = parsePreparation(saved.preparation);
  const dataset = await loadFile(args.input, args['label-column'] !== undefined ? { labelColumn: args['label-column'] } : {});
  // Dense models take [rows, n]; sequence models [rows, n, 1] or [rows, 1, n]: n values per row either way.
  const expected = saved.model.inputs[0].shape.slice(1).reduce<number>((a, b) => a * (b ?? 1), 1);
  if (dataset.features !== expected) {
    throw new Error(`${args.input}: rows have ${dataset.features} values, the model expects ${expected}`);
  }
  const x = applyPreparation(preparation, dataset.values, dataset.rows, dataset.features);
  const metric = (saved.extra.errorMetric as 'mse' | 'mae' | undefined) ?? 'mse';
  const errors = (await reconstructionErrors(saved.model, { x, rows: dataset.rows, features: dataset.features }))[metric];
  saved.model.dispose();

  const lines = ['row,label,error,anomaly'];
  let flagged = 0;
  for (let i = 0; i < dataset.rows; i++) {
    const anomaly = errors[i] > threshold;
    flagged += anomaly ? 1 : 0;
    lines.push(`${i},${JSON.stringify(dataset.labels[i] ?? '')},${errors[i]},${anomaly ? 1 : 0}`);
  }
  const csv = `${lines.join('\n')}\n`;
  if (args.out) await writeFile(args.out, csv);
  else process.stdout.write(csv);

  const log = args.out ? console.log : console.error;
  log(`${flagged} of ${dataset.rows} rows flagged as anomalies (${metric} > ${threshold})`);
  const y = dataset.labels.map((label) => (isNormalLabel(label, preparation.normalClass) ? 0 : 1));
  const positives = y.reduce<number>((a, b) => a + b, 0);
  if (positives > 0 && positives < y.length) {
    const m = binaryMetrics(y, errors, threshold);
    log(`against the file's labels (normal: ${preparation.normalClass.join(', ')}): accuracy ${f(m.accuracy)} precision ${f(m.precision)} recall ${f(m.recall)} F1 ${f(m.f1)} ROC-AUC ${f(m.rocAuc)}`);
  }
}
