import { PRESETS, initBackend, trainAutoencoder } from '@aelab/models';
import { mulberry32 } from '@aelab/core';
await initBackend('wasm');
function rowsOf(rows, features, seed) {
  const rng = mulberry32(seed);
  const x = new Float32Array(rows * features);
  for (let r = 0; r < rows; r++) { const phase = rng() * Math.PI * 2; for (let f = 0; f < features; f++) x[r * features + f] = Math.sin(phase + (f / features) * 4 * Math.PI) + 0.1 * (rng() - 0.5); }
  return { x, rows, features, y: new Uint8Array(rows), labels: [], index: [] };
}
const train = rowsOf(263, 140, 1), validation = rowsOf(29, 140, 2);
const step = process.argv[2] ?? 'lean'; const preset = process.argv[3] ?? 'ecg-v3'; const epochs = Number(process.argv[4] ?? 100);
const t0 = performance.now(); const c0 = process.cpuUsage();
const r = await trainAutoencoder({ spec: PRESETS[preset], train, validation, config: { epochs, batchSize: 32, learningRate: 1e-3, loss: 'mse', seed: 42 }, step });
const c = process.cpuUsage(c0);
console.log(step, ((performance.now() - t0) / 1000).toFixed(2), ((c.user + c.system) / 1e6).toFixed(2));
