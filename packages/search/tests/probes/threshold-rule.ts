import type { Probe } from './probe.js';

/**
 * The threshold-rule probe: "median plus k MADs of validation normals" (a robust cousin of
 * meanStd), one file in core's threshold-rules/ and one entry in THRESHOLD_RULES. Its check
 * sweeps one training scored with it through the built CLI and finds its threshold in the
 * store (recomputed from the trial's errors artifact) and its label on the report.
 */
const RULE_FILE = 'packages/core/src/threshold-rules/probe-median-mad.ts';
const REGISTRY = 'packages/core/src/threshold-rules/index.ts';

const rule = `import { z } from 'zod';
import { percentile } from './percentile.js';
import { errorsOn, thresholdSplitField, type ThresholdRuleDefinition } from './rule.js';

const schema = z
  .object({
    rule: z.literal('probeMedianMad'),
    k: z.number().min(0).max(100).describe('median + k * MAD (median absolute deviation from the median).'),
    on: thresholdSplitField,
  })
  .strict();

/** median + k * MAD of the errors: robust to the few large errors a normal split may hold. */
export const probeMedianMadRule: ThresholdRuleDefinition<typeof schema> = {
  name: 'probeMedianMad',
  schema,
  usesLabels: false,
  fitsOn: (rule) => rule.on ?? 'train',
  compute(rule, inputs) {
    const { values, split } = errorsOn(rule, inputs);
    const median = percentile(values, 50);
    const mad = percentile(Array.from(values, (v) => Math.abs(v - median)), 50);
    return {
      threshold: median + rule.k * mad,
      usesLabels: false,
      description: \`median + \${rule.k} * MAD of \${split} errors (n=\${values.length})\`,
      interval: null,
    };
  },
  label: (rule) => (rule.k === undefined ? 'median+MAD' : \`median+\${rule.k}MAD\`),
};
`;

const experiment = {
  name: 'probe-threshold-rule',
  seed: 1,
  data: { dataset: 'synthetic-ecg', options: { trainRows: 120, testRows: 80 }, validationAnomalies: 'keep' },
  model: { kind: 'dense', encoder: [8, 2], activation: 'relu', outputActivation: 'linear', dropout: 0, l2: 0 },
  training: { epochs: 2, batchSize: 32, learningRate: 0.003, loss: 'mse' },
  scoring: { errorMetric: 'mse', threshold: { rule: 'probeMedianMad', k: 3, on: 'validation' } },
  space: {},
  selection: { metric: 'f1', direction: 'maximize', split: 'test', allowTest: true },
  executor: { backend: 'wasm' },
};

const check = `
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ARTIFACT, percentile } from '@aelab/core';
import { JsonFileRunStore } from '@aelab/store';
const fail = (message) => {
  console.error(message);
  process.exit(1);
};
const dir = mkdtempSync(join(tmpdir(), 'aelab-probe-threshold-rule-'));
try {
  const schema = JSON.parse(readFileSync('experiments/schema.json', 'utf8'));
  if (!JSON.stringify(schema).includes('probeMedianMad')) fail('experiments/schema.json lacks the probeMedianMad rule');
  writeFileSync(join(dir, 'exp.json'), ${JSON.stringify(JSON.stringify(experiment))});
  const argv = ['packages/cli/bin/aelab.js', 'search', 'grid', '-e', join(dir, 'exp.json'),
    '--store', join(dir, 'runs'), '--workers', '1'];
  const run = spawnSync(process.execPath, argv, { encoding: 'utf8' });
  if (run.status !== 0) fail('aelab search exited ' + run.status + ':\\n' + run.stdout + run.stderr);
  const store = await JsonFileRunStore.open(join(dir, 'runs'), { readonly: true });
  const [study] = await store.listStudies();
  const [trial] = await store.listTrials(study.id);
  const [evaluation] = await store.listEvaluations(study.id);
  const errors = JSON.parse(new TextDecoder().decode(await store.readArtifact(trial.artifacts[ARTIFACT.errors])));
  await store.close();
  if (evaluation?.scoring['threshold.rule'] !== 'probeMedianMad') {
    fail('no probeMedianMad evaluation: ' + JSON.stringify(evaluation));
  }
  const normals = errors.validation.mse.filter((_, i) => errors.validation.y[i] === 0);
  const median = percentile(normals, 50);
  const expected = median + 3 * percentile(normals.map((v) => Math.abs(v - median)), 50);
  if (Math.abs(evaluation.threshold - expected) > 1e-6 * Math.abs(expected)) {
    fail('stored threshold ' + evaluation.threshold + ', recomputed from the errors ' + expected);
  }
  const pages = (folder) => readdirSync(folder, { withFileTypes: true, recursive: true })
    .filter((f) => f.isFile() && f.name.endsWith('.html')).map((f) => readFileSync(join(f.parentPath, f.name), 'utf8'));
  const named = pages(join(dir, 'runs', 'report')).some((html) => html.includes('median+3MAD'));
  if (!named) fail('no report page names median+3MAD');
} finally {
  rmSync(dir, { recursive: true, force: true });
}
`;

const probe: Probe = {
  seam: 'threshold-rule',
  create: { [RULE_FILE]: rule },
  edit: {
    [REGISTRY]: (text) =>
      text.replace(
        'bestF1Rule] as const;',
        "bestF1Rule, (await import('./probe-median-mad.js')).probeMedianMadRule] as const;",
      ),
  },
  check,
};

export default probe;
