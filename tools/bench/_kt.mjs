import * as tf from '@tensorflow/tfjs';
import { PRESETS, initBackend, trainAutoencoder } from '@aelab/models';
await initBackend('wasm');
const preset = process.argv[2] ?? 'conv1d-small', step = process.argv[3] ?? 'lean';
const x = new Float32Array(263 * 140).map((_, i) => Math.sin(i / 7));
await (await trainAutoencoder({ spec: PRESETS[preset], train: { x, rows: 263, features: 140 }, config: { epochs: 1, batchSize: 32, learningRate: 1e-3, loss: 'mse', seed: 1 }, step })).dispose();
const p = await tf.profile(async () => (await trainAutoencoder({ spec: PRESETS[preset], train: { x, rows: 263, features: 140 }, config: { epochs: 2, batchSize: 32, learningRate: 1e-3, loss: 'mse', seed: 1 }, step })).dispose());
const agg = {};
for (const k of p.kernels) { const t = await k.kernelTimeMs; const a = agg[k.name] ??= { n: 0, ms: 0 }; a.n++; a.ms += typeof t === 'number' ? t : 0; }
const total = Object.values(agg).reduce((s, a) => s + a.ms, 0);
console.log('kernels', p.kernels.length, 'kernel ms', total.toFixed(0));
Object.entries(agg).sort((a, b) => b[1].ms - a[1].ms).slice(0, 18).forEach(([k, a]) => console.log(k.padEnd(28), String(a.n).padStart(6), a.ms.toFixed(1).padStart(8)));
