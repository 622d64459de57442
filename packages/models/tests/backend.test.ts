import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { BackendUnavailableError } from '../src/backends/backend.js';
import { backendInfo, initBackend } from '../src/backends/init.js';

describe('initBackend', () => {
  it('starts wasm with SIMD and reports versions and CPUs', async () => {
    const info = await initBackend('wasm');
    expect(info).toMatchObject({
      backend: 'wasm',
      simd: true,
      multithread: false,
      tfjsVersion: tf.version.tfjs,
      nodeVersion: process.versions.node,
      nativeThreadSafe: true,
      adapter: null,
    });
    expect(info.cpus).toBeGreaterThan(0);
    expect(tf.getBackend()).toBe('wasm');
    expect(await initBackend('wasm')).toBe(info);
    expect(await backendInfo()).toBe(info);
  });

  it('fails with one line saying how to install a named native backend that is absent', async () => {
    let thrown: unknown;
    try {
      await import(/* @vite-ignore */ ['@tensorflow', 'tfjs-node'].join('/'));
      return; // installed here: nothing to check
    } catch {
      // expected: not installed
    }
    try {
      await initBackend('tensorflow');
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(BackendUnavailableError);
    expect((thrown as Error).message).toBe(
      'backend "tensorflow" needs @tensorflow/tfjs-node: npm i @tensorflow/tfjs-node',
    );
    await expect(initBackend('tensorflow-gpu')).rejects.toThrow(
      'backend "tensorflow-gpu" needs @tensorflow/tfjs-node-gpu: npm i @tensorflow/tfjs-node-gpu',
    );
    // A failed named backend must not fall back: the active backend is unchanged.
    expect(tf.getBackend()).toBe('wasm');
  });

  it('auto picks wasm when no native backend is installed, and cpu can be named', async () => {
    expect((await initBackend('auto')).backend).toMatch(/^(wasm|tensorflow|webgpu)$/);
    expect((await initBackend('cpu')).backend).toBe('cpu');
    expect((await initBackend('wasm')).backend).toBe('wasm');
  });

  it('rejects unknown names', async () => {
    await expect(initBackend('metal' as 'wasm')).rejects.toThrow(
      'backend must be one of auto, wasm, cpu, tensorflow, tensorflow-gpu, webgpu, got "metal"',
    );
  });
});
