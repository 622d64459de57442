/**
 * A fresh training thread's first trial paid for the thread itself: activating the backend,
 * compiling its wasm and running its code cold while V8 tiers it up (docs/speed.md,
 * "Per-trial costs and two workers"). A pool's threads pay that at once, while the
 * coordinator prepares the data, by training a tiny model of their own first.
 */
import { initBackend, reconstructionErrors, serializeModel, trainAutoencoder, type ModelSpec } from '@aelab/models';
import type { BackendName } from '@aelab/models/registry';
import { trainingSchema } from '@aelab/core';

/** The warm-up's model: a small dense autoencoder, the family most sweeps train (its lean step's kernels). */
const WARM_UP_SPEC: ModelSpec = {
  kind: 'dense',
  encoder: [32, 8],
  activation: 'relu',
  outputActivation: 'linear',
  dropout: 0.1,
  l2: 0.0001,
} as ModelSpec;

/** The warm-up's training: a few epochs (the first ones are where a cold thread's time goes). */
const WARM_UP_TRAINING = trainingSchema.parse({ epochs: 4, batchSize: 32, learningRate: 0.001, loss: 'mse' });

/** Fixed rows of a smooth signal (no randomness: the warm-up draws nothing a trial would). */
function warmUpRows(rows: number, features: number) {
  const x = new Float32Array(rows * features);
  for (let r = 0; r < rows; r++) for (let f = 0; f < features; f++) x[r * features + f] = Math.sin((f + 3 * r) * 0.05);
  return { x, rows, features };
}

/**
 * Activates `backend` in this thread and, where it is wasm (whose code V8 compiles and tiers
 * up per thread), trains, scores and serialises a tiny model once. What a trial computes
 * does not depend on it: every trial seeds its own weights, shuffles and masks (a worker's
 * later trials have never depended on its earlier ones). Never throws: a backend that
 * cannot start fails the thread's first trial with its own error, as without a warm-up.
 * Resolves with what it did: `trained` (a model too), `backend` (activated only) or `failed`.
 */
export async function warmUpThread(backend: BackendName): Promise<'trained' | 'backend' | 'failed'> {
  try {
    const info = await initBackend(backend);
    if (info.backend !== 'wasm') return 'backend';
    const train = warmUpRows(64, 140);
    const trained = await trainAutoencoder({
      spec: WARM_UP_SPEC,
      train,
      validation: warmUpRows(16, 140),
      config: { ...WARM_UP_TRAINING, seed: 0 },
    });
    try {
      await reconstructionErrors(trained.model, train);
      await serializeModel({ model: trained.model, spec: WARM_UP_SPEC, preparation: null });
    } finally {
      trained.dispose();
    }
    return 'trained';
  } catch {
    return 'failed';
  }
}
