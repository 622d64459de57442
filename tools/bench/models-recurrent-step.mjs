#!/usr/bin/env node
/**
 * One training step of a recurrent autoencoder through the tfjs-layers path
 * (`model.apply`) and through the fused recurrent op (`recurrentForward`): wall and
 * process-CPU ms per step (best of --repeat rounds of --steps steps; the step is
 * tf.variableGrads of the MSE plus aelab's fused Adam, as in training) and tfjs kernels
 * per step (tf.profile over one step). `lossAfter`: the loss after the same steps both ways. Imports the BUILT package:
 * run `npx tsc -b packages/models` first.
 *
 *   node tools/bench/models-recurrent-step.mjs [--presets lstm-seq2seq,lstm-tabular,rnn-seq2seq] [--steps 5] [--repeat
 * 3] [--backend wasm]
 *
 * Data: seeded sine-like rows of 140 values, batch 32, dropout off (the presets').
 */
import os from 'node:os';
import * as tf from '@tensorflow/tfjs';
import { PRESETS, buildModel, initBackend, modelInputShape, recurrentForward } from '@aelab/models';
import { createAdam } from '../../packages/models/dist/adam.js';
import { benchOptions } from './lib/options.mjs';

const args = benchOptions({ presets: 'lstm-seq2seq,lstm-tabular,rnn-seq2seq', steps: 5, repeat: 3, backend: 'wasm' });
const batchSize = 32;
/** The presets, plus rnn-seq2seq: lstm-seq2seq with SimpleRNN cells (no preset has them). */
const specs = { ...PRESETS, 'rnn-seq2seq': { ...PRESETS['lstm-seq2seq'], kind: 'rnn' } };
const features = 140;

function batchOf(shape) {
  const values = Float32Array.from({ length: batchSize * features }, (_, i) =>
    Math.sin((i % features) / 7 + Math.floor(i / features)),
  );
  return tf.tensor(values, [batchSize, ...shape]);
}

/** A step function for `path` on a fresh model of `spec` (same seed for both paths). */
function stepper(spec, path) {
  const model = buildModel(spec, features, 42);
  const x = batchOf(modelInputShape(model));
  const variables = model.trainableWeights.map((w) => w.read());
  const optimizer = createAdam(variables, 1e-3);
  let call = 0;
  const forward = () =>
    path === 'layers' ? model.apply(x, { training: true }) : recurrentForward(model, spec, x, true, call);
  const step = () => {
    call += 1;
    return optimizer.minimize(() => tf.mean(tf.squaredDifference(forward(), x)));
  };
  return { step, dispose: () => (optimizer.dispose(), model.dispose(), x.dispose()) };
}

async function measure(spec, path) {
  const { step, dispose } = stepper(spec, path);
  const warmUp = step(); // kernels set up, XNNPACK operators created
  await warmUp.data();
  warmUp.dispose();
  const profile = await tf.profile(async () => {
    const loss = step();
    await loss.data();
    loss.dispose();
  });
  const rounds = [];
  const cpu = [];
  for (let r = 0; r < args.repeat; r++) {
    const [t0, c0] = [performance.now(), process.cpuUsage()];
    const losses = Array.from({ length: args.steps }, step);
    await losses.at(-1).data();
    const used = process.cpuUsage(c0);
    rounds.push((performance.now() - t0) / losses.length);
    cpu.push((used.user + used.system) / 1000 / losses.length);
    tf.dispose(losses);
  }
  const loss = step();
  const finalLoss = (await loss.data())[0];
  loss.dispose();
  dispose();
  return {
    msPerStep: +Math.min(...rounds).toFixed(2),
    cpuMsPerStep: +Math.min(...cpu).toFixed(2),
    roundsMs: rounds.map((m) => +m.toFixed(2)),
    kernelsPerStep: profile.kernels.length,
    lossAfter: finalLoss,
  };
}

const info = await initBackend(args.backend);
tf.enableProdMode();
const result = {
  bench: 'models-recurrent-step',
  backend: info.name ?? args.backend,
  loadAverage: os.loadavg().map((l) => +l.toFixed(2)),
  batchSize,
  steps: args.steps,
  repeat: args.repeat,
  presets: {},
};
for (const name of args.presets.split(',')) {
  const spec = specs[name];
  if (!spec) throw new Error(`unknown preset ${name}; known: ${Object.keys(specs).join(', ')}`);
  const layers = await measure(spec, 'layers');
  const fused = await measure(spec, 'fused');
  result.presets[name] = {
    layers,
    fused,
    speedup: +(layers.msPerStep / fused.msPerStep).toFixed(1),
    cpuSpeedup: +(layers.cpuMsPerStep / fused.cpuMsPerStep).toFixed(1),
  };
}
console.log(JSON.stringify(result, null, 2));
