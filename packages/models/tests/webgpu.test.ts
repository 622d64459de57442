import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { ADAM_KERNEL, createAdam, kernelL2Penalties } from '../src/adam.js';
import { BackendUnavailableError, type BackendInfo, type GpuAdapterInfo } from '../src/backends/backend.js';
import { initBackend } from '../src/backends/init.js';
import { hasGpuDevice, isSoftwareAdapter } from '../src/backends/webgpu.js';
import { buildModel } from '../src/builders/index.js';
import { PRESETS } from '../src/registry.js';
import { trainAutoencoder } from '../src/train.js';
import { sineSplit } from './helpers.js';

/*
 * These run on whatever adapter Dawn offers: a real GPU, or Mesa's lavapipe in CI. They
 * skip, saying why, only when no adapter can be had; CI sets AELAB_REQUIRE_WEBGPU=1 (it
 * installs lavapipe), so there a missing adapter fails instead.
 */
async function startWebgpu(): Promise<{ info: BackendInfo } | { reason: string }> {
  try {
    return { info: await initBackend('webgpu') };
  } catch (error) {
    if (!(error instanceof BackendUnavailableError) || process.env.AELAB_REQUIRE_WEBGPU === '1') throw error;
    return { reason: error.message };
  }
}
const webgpu = await startWebgpu();
const adapter = 'info' in webgpu ? webgpu.info.adapter : null;
const suite = adapter ? describe : describe.skip;
const skipped = 'reason' in webgpu ? ` (skipped: no WebGPU adapter here: ${webgpu.reason})` : '';
if (skipped) console.warn(`webgpu tests${skipped}`);

const packageRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const LAVAPIPE: GpuAdapterInfo = {
  vendor: 'mesa',
  architecture: 'software',
  device: 'llvmpipe-llvm-15-0-6-256-bits-',
  description: 'llvmpipe: Mesa 25.0.7-2~bpo12+1 (LLVM 15.0.6) 0.0.1',
  fallback: true,
};

describe('which adapters auto may use', () => {
  it("asks Dawn only where a GPU device node exists (a DRM render node or NVIDIA's)", () => {
    const dev = mkdtempSync(path.join(tmpdir(), 'aelab-dev-'));
    try {
      expect(hasGpuDevice(dev)).toBe(false);
      mkdirSync(path.join(dev, 'dri'));
      writeFileSync(path.join(dev, 'dri', 'card0'), '');
      expect(hasGpuDevice(dev)).toBe(false);
      writeFileSync(path.join(dev, 'dri', 'renderD128'), '');
      expect(hasGpuDevice(dev)).toBe(true);
      rmSync(path.join(dev, 'dri'), { recursive: true });
      writeFileSync(path.join(dev, 'nvidia0'), '');
      expect(hasGpuDevice(dev)).toBe(true);
    } finally {
      rmSync(dev, { recursive: true, force: true });
    }
  });

  it('passes over software adapters (fallback flag, or a CPU rasteriser by name) and takes a real GPU', () => {
    expect(isSoftwareAdapter(LAVAPIPE)).toBe(true);
    expect(isSoftwareAdapter({ ...LAVAPIPE, fallback: false })).toBe(true);
    expect(
      isSoftwareAdapter({
        vendor: 'google',
        architecture: '',
        device: '',
        description: 'SwiftShader Device (Subzero)',
        fallback: false,
      }),
    ).toBe(true);
    expect(
      isSoftwareAdapter({
        vendor: 'nvidia',
        architecture: 'ampere',
        device: '',
        description: 'NVIDIA A100-SXM4-40GB',
        fallback: false,
      }),
    ).toBe(false);
  });
});

suite(`webgpu backend${skipped}`, () => {
  it('reports the adapter it runs on', () => {
    expect(tf.getBackend()).toBe('webgpu');
    expect(adapter!.description.length).toBeGreaterThan(0);
    expect(typeof adapter!.fallback).toBe('boolean');
  });

  it('is never picked by auto on a software adapter', () => {
    // A fresh process: in this one `auto` would keep the backend already active.
    execFileSync('npx', ['tsc', '-b', packageRoot], { cwd: path.resolve(packageRoot, '../..'), stdio: 'inherit' });
    const script =
      `const { initBackend } = await import(${JSON.stringify(path.join(packageRoot, 'dist/index.js'))}); ` +
      `const { webgpuBackend } = ` +
      `await import(${JSON.stringify(path.join(packageRoot, 'dist/backends/webgpu.js'))});\n` +
      `      console.log(JSON.stringify({ available: await webgpuBackend.available(), ` +
      `auto: (await initBackend('auto')).backend }));`;
    const child = spawnSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8' });
    expect(child.status, child.stderr).toBe(0);
    const { available, auto } = JSON.parse(child.stdout) as { available: boolean; auto: string };
    expect(available).toBe(!isSoftwareAdapter(adapter!));
    if (!available) expect(auto).not.toBe('webgpu');
  }, 120_000);

  it("trains to wasm's loss curve for the same seed (dropout, L2 folded into Adam, validation)", async () => {
    const train = sineSplit(48, 140, 4);
    const validation = sineSplit(16, 140, 5);
    const config = { epochs: 2, batchSize: 16, learningRate: 1e-3, loss: 'mse' as const, seed: 7 };
    const curve = async (backend: 'wasm' | 'webgpu') => {
      await initBackend(backend);
      const trained = await trainAutoencoder({ spec: PRESETS['ecg-v3'], train, validation, config });
      trained.dispose();
      return trained.history.flatMap((h) => [h.loss, h.valLoss!]);
    };
    const onWasm = await curve('wasm');
    const onWebgpu = await curve('webgpu');
    onWebgpu.forEach((value, i) => expect(Math.abs(value - onWasm[i]) / onWasm[i], `value ${i}`).toBeLessThan(1e-4));
  });
});

suite(`fused Adam on webgpu${skipped}`, () => {
  /**
   * Six steps from the same weights (ecg-v3: L2 on two kernels); the loss leaves out the penalties the optimizer folds
   * in.
   */
  const run = async (fused: boolean) => {
    const x = tf.tensor2d(sineSplit(16, 140, 3).x, [16, 140]);
    const model = buildModel(PRESETS['ecg-v3'], 140, 9);
    const variables = model.trainableWeights.map((w) => w.read() as tf.Variable);
    const optimizer = createAdam(variables, 0.01, { fused, l2: kernelL2Penalties(model) });
    const loss = () => {
      const mse = tf.mean(tf.squaredDifference(model.apply(x, { training: false }) as tf.Tensor, x)) as tf.Scalar;
      return optimizer.foldsL2 ? mse : (tf.addN([mse, ...model.calculateLosses()]) as tf.Scalar);
    };
    const losses: number[] = [];
    const kernels = new Set<string>();
    for (let step = 0; step < 6; step++) {
      const profile = await tf.profile(() => optimizer.minimize(loss));
      profile.kernelNames.forEach((name) => kernels.add(name));
      const value = profile.result as tf.Scalar;
      losses.push((await value.data())[0]); // webgpu cannot read synchronously in Node
      value.dispose();
    }
    const weights = await Promise.all(variables.map(async (v) => Float32Array.from(await v.data())));
    optimizer.dispose();
    model.dispose();
    x.dispose();
    return { losses, weights, foldsL2: optimizer.foldsL2, kernels };
  };

  it(
    'follows tf.train.adam with the penalties in the loss, step for step (float32 rounding only), ' +
      'and leaks nothing',
    async () => {
      await initBackend('webgpu');
      const before = tf.memory().numTensors;
      const fused = await run(true);
      expect(tf.memory().numTensors).toBe(before);
      const reference = await run(false);
      expect([fused.foldsL2, reference.foldsL2]).toEqual([true, false]);
      expect([fused.kernels.has(ADAM_KERNEL), reference.kernels.has(ADAM_KERNEL)]).toEqual([true, false]);
      fused.losses.forEach((l, i) => expect(l).toBeCloseTo(reference.losses[i], 4));
      let worst = 0;
      fused.weights.forEach((w, i) =>
        w.forEach((value, j) => (worst = Math.max(worst, Math.abs(value - reference.weights[i][j])))),
      );
      expect(worst).toBeLessThan(1e-4);
    },
  );
});
