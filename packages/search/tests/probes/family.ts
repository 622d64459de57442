/*
 * The architecture probe of the model-family seam with a loss term of its own: a dense
 * autoencoder (tanh, mirrored decoder) whose `lossTerms` hook adds `activity` x the mean
 * squared bottleneck activation. Its check runs a two-trial sweep on wasm (activity 0 and
 * 1, two epochs each) and sees the term in the validation loss of the second only.
 */

/** The probe contract of `architecture-probes.test.ts`, as `./probe.ts` declares it. */
interface Probe {
  seam: string;
  create: Record<string, string>;
  edit: Record<string, (text: string) => string>;
  check: string;
}

const FAMILY = `\
/** Architecture probe: a dense autoencoder with an activity penalty on its bottleneck, a loss term of its own. */
import type * as tf from '@tensorflow/tfjs';
import { z } from 'zod';
import { LayerSeeds } from '../random.js';
import type { ModelFamily } from './family.js';
import { widths } from './fields.js';

export const probeActivitySchema = z
  .strictObject({
    kind: z.literal('probe-activity').describe('Architecture probe: a dense autoencoder with an activity penalty.'),
    encoder: widths.describe('Encoder layer widths, ending in the bottleneck.'),
    activity: z.number().min(0).max(10).describe('Weight of the mean squared bottleneck activation in the loss.'),
  })
  .describe('input -> encoder (tanh) -> mirrored decoder -> linear output; loss + activity x mean(bottleneck^2).');
type ProbeActivitySpec = z.output<typeof probeActivitySchema>;

const layerWidths = (spec: ProbeActivitySpec, inputSize: number): number[] => [
  ...spec.encoder,
  ...spec.encoder.slice(0, -1).reverse(),
  inputSize,
];

export const probeActivityFamily = {
  kind: 'probe-activity',
  schema: probeActivitySchema,
  inputIssues: (spec, inputSize) =>
    spec.encoder[spec.encoder.length - 1] > inputSize
      ? [\`encoder: the bottleneck is larger than input \${inputSize}\`]
      : [],
  size(spec, inputSize) {
    const all = [inputSize, ...layerWidths(spec, inputSize)];
    let parameters = 0;
    for (let i = 1; i < all.length; i++) parameters += all[i - 1] * all[i] + all[i];
    return { parameters, activationsPerRow: all.slice(1).reduce((a, b) => a + b, 0) };
  },
  build(kit, spec, inputSize, seed) {
    const seeds = new LayerSeeds(seed);
    const input = kit.tf.input({ shape: [inputSize], name: 'input' });
    let x = input as tf.SymbolicTensor;
    let fanIn = inputSize;
    layerWidths(spec, inputSize).forEach((units, i, all) => {
      const last = i === all.length - 1;
      const name = i === spec.encoder.length - 1 ? 'bottleneck' : last ? 'reconstruction' : \`hidden_\${i}\`;
      const init = kit.weightInit(seeds, undefined, fanIn);
      x = kit.tf.layers
        .dense({ units, activation: last ? 'linear' : 'tanh', ...init, name })
        .apply(x) as tf.SymbolicTensor;
      fanIn = units;
    });
    return kit.tf.model({ inputs: input, outputs: x, name: 'probe_activity_autoencoder' });
  },
  lossTerms(kit, spec, model) {
    const bottleneck = model.getLayer('bottleneck').output as tf.SymbolicTensor;
    const encoder = kit.tf.model({ inputs: model.inputs, outputs: bottleneck });
    const value = (x: tf.Tensor, training: boolean): tf.Scalar =>
      kit.tf.mul(kit.tf.mean(kit.tf.square(encoder.apply(x, { training }) as tf.Tensor)), spec.activity);
    return [{ name: 'activity', value }];
  },
} satisfies ModelFamily<ProbeActivitySpec>;
`;

/** Adds `entry` to the one-line or one-member-per-line list `export const MODEL_FAMILIES = [...]`. */
function register(text: string, entry: string): string {
  const start = text.indexOf('export const MODEL_FAMILIES = [');
  const end = start === -1 ? -1 : text.indexOf(']', start);
  if (end === -1) throw new Error(`no "export const MODEL_FAMILIES = [...]" list to register ${entry} in`);
  const lineStart = text.lastIndexOf('\n', end) + 1;
  const closing = text.slice(lineStart, end);
  if (closing.trim() === '') return `${text.slice(0, lineStart)}${closing}  ${entry},\n${text.slice(lineStart)}`;
  return `${text.slice(0, end)}, ${entry}${text.slice(end)}`;
}

const experiment = {
  name: 'probe-family',
  seed: 1,
  data: { dataset: 'synthetic-ecg', options: { trainRows: 120, testRows: 80 }, validationAnomalies: 'keep' },
  model: { kind: 'probe-activity', encoder: [8, 2], activity: 0 },
  training: { epochs: 2, batchSize: 32, learningRate: 0.003, loss: 'mse' },
  scoring: { errorMetric: 'mse', threshold: { rule: 'percentile', percentile: 95, on: 'train' } },
  space: { 'model.activity': { type: 'categorical', values: [0, 1] } },
  selection: { metric: 'f1', direction: 'maximize', split: 'validation' },
  executor: { backend: 'wasm' },
};

/*
 * Exits 0 only when the regenerated schema names the family and both trials completed on the
 * layers step: at activity 0 each epoch's validation loss is its reconstruction error (no
 * penalties), at activity 1 it is larger by the term.
 */
const check = `
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { JsonFileRunStore } from '@aelab/store';
const dir = mkdtempSync(join(tmpdir(), 'aelab-probe-family-'));
try {
  writeFileSync(join(dir, 'exp.json'), ${JSON.stringify(JSON.stringify(experiment))});
  const argv = ['packages/cli/bin/aelab.js', 'search', 'grid', '-e', join(dir, 'exp.json'),
    '--store', join(dir, 'runs'), '--workers', '1', '--no-report'];
  const run = spawnSync(process.execPath, argv, { encoding: 'utf8' });
  if (run.status !== 0) throw new Error('aelab search exited ' + run.status + ':\\n' + run.stdout + run.stderr);
  const store = await JsonFileRunStore.open(join(dir, 'runs'), { readonly: true });
  const [study] = await store.listStudies();
  const trials = await store.listTrials(study.id);
  await store.close();
  const at = (activity) => trials.find((t) => t.params['model.activity'] === activity);
  const [zero, one] = [at(0), at(1)];
  const seen = JSON.stringify(trials.map((t) => ({ status: t.status, params: t.params, environment: t.environment,
    history: t.history })));
  const ok = readFileSync('experiments/schema.json', 'utf8').includes('"probe-activity"') && trials.length === 2
    && [zero, one].every((t) => t && t.status === 'complete' && t.environment.trainingStep === 'layers'
      && t.history.length === 2)
    && zero.history.every((h) => h.valLoss === h.valError) && one.history.every((h) => h.valLoss > h.valError);
  if (!ok) throw new Error('the probe family did not train with its term: ' + seen + '\\n' + run.stderr);
} finally {
  rmSync(dir, { recursive: true, force: true });
}
`;

const probe: Probe = {
  seam: 'family',
  create: { 'packages/models/src/families/probe-activity.ts': FAMILY },
  edit: {
    'packages/models/src/families/index.ts': (text) =>
      register(text, "(await import('./probe-activity.js')).probeActivityFamily"),
  },
  check,
};
export default probe;
