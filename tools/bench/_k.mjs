import * as tf from '@tensorflow/tfjs';
import { PRESETS, initBackend, trainAutoencoder } from '@aelab/models';
await initBackend('wasm');
const n = 64; const x = new Float32Array(n*140).map((_, i) => Math.sin(i / 7));
const names = async (b) => { const p = await tf.profile(async () => (await trainAutoencoder({ spec: PRESETS['ecg-v3'], train: { x: x.subarray(0, b*32*140), rows: b*32, features: 140 }, config: { epochs: 1, batchSize: 32, learningRate: 1e-3, loss: 'mse', seed: 1 } })).dispose()); const c = {}; p.kernels.forEach(k => c[k.name] = (c[k.name]||0)+1); return c; };
const a = await names(2), b = await names(1);
console.log(Object.fromEntries(Object.keys(a).map(k => [k, a[k] - (b[k]||0)]).filter(([,v]) => v)));
