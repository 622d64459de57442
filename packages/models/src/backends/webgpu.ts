/**
 * WebGPU through Dawn's Node bindings (npm `webgpu`, a prebuilt `dawn.node` that loads
 * `libvulkan.so.1`) and `@tensorflow/tfjs-backend-webgpu`: a GPU path that installs from
 * the npm registry alone. Without a GPU, Mesa's software Vulkan (lavapipe, Mesa >= 25)
 * gives a fallback adapter: `--backend webgpu` uses it (that is how CI tests this
 * backend), `auto` never does (see docs/gpu.md).
 */
import { existsSync, readdirSync } from 'node:fs';
import type { Backend, BackendInfo, GpuAdapterInfo } from './backend.js';
import { BackendUnavailableError } from './backend.js';
import { activateTfjs, loadTfjs } from './tfjs.js';

const NAME = 'webgpu';
const INSTALL_HINT =
  'see docs/gpu.md (Debian: apt-get install libvulkan1 and a Vulkan driver; ' +
  'without a GPU, mesa-vulkan-drivers >= 25 from bookworm-backports)';

/** The adapter found in this thread, with what `aelab info` says about it. */
interface FoundAdapter {
  adapter: GPUAdapter;
  info: GpuAdapterInfo;
}

/**
 * Whether this machine has a GPU device node a hardware Vulkan driver could open: a DRM
 * render node (`/dev/dri/renderD*`: Mesa's AMD and Intel drivers, virtio) or NVIDIA's
 * `/dev/nvidia0`. Without one only a software adapter can exist, so `auto` need not load
 * Dawn to find out (it costs ~1 s per worker and Dawn prints limit warnings on lavapipe).
 */
export function hasGpuDevice(dev = '/dev'): boolean {
  try {
    if (existsSync(`${dev}/nvidia0`)) return true;
    return readdirSync(`${dev}/dri`).some((name) => name.startsWith('renderD'));
  } catch {
    return false;
  }
}

/**
 * Whether `auto` must pass this adapter by: Dawn's fallback flag, or a CPU rasteriser
 * by name (lavapipe/llvmpipe, SwiftShader), in case a driver does not set the flag.
 */
export function isSoftwareAdapter(info: GpuAdapterInfo): boolean {
  return (
    info.fallback ||
    info.architecture === 'software' ||
    /llvmpipe|lavapipe|swiftshader/i.test(`${info.device} ${info.description}`)
  );
}

/**
 * Dawn, loaded once per thread. Its WebGPU globals (`GPUBufferUsage`, ...) and
 * `navigator.gpu` are what tfjs-backend-webgpu expects; the package is imported first,
 * while `navigator.gpu` is still absent, so that it does not register a factory of its own.
 */
let dawn: Promise<GPU> | null = null;

function loadDawn(): Promise<GPU> {
  dawn ??= (async () => {
    let gpu: GPU;
    let loading = '@tensorflow/tfjs-backend-webgpu';
    try {
      await import('@tensorflow/tfjs-backend-webgpu');
      loading = 'Dawn (npm package webgpu)';
      const { create, globals } = await import('webgpu');
      for (const [key, value] of Object.entries(globals))
        if (!(key in globalThis)) Object.defineProperty(globalThis, key, { value, configurable: true, writable: true });
      gpu = create([]);
    } catch (error) {
      dawn = null;
      throw new BackendUnavailableError(
        NAME,
        `backend "webgpu" could not load ${loading}: ${firstLine(error)}; ${INSTALL_HINT}`,
      );
    }
    // Node 20 has no `navigator`; Node 21+ has one without `gpu`.
    const host = globalThis as { navigator?: object };
    if (typeof host.navigator === 'object')
      Object.defineProperty(host.navigator, 'gpu', { value: gpu, configurable: true });
    else Object.defineProperty(host, 'navigator', { value: { gpu }, configurable: true, writable: true });
    return gpu;
  })();
  return dawn;
}

let found: Promise<FoundAdapter> | null = null;

/** The high-performance adapter Dawn offers here, or BackendUnavailableError saying why there is none. */
function findAdapter(): Promise<FoundAdapter> {
  found ??= (async () => {
    const gpu = await loadDawn();
    const adapter = await gpu.requestAdapter({ powerPreference: 'high-performance' });
    if (!adapter) {
      throw new BackendUnavailableError(
        NAME,
        'backend "webgpu": Dawn found no WebGPU adapter (no Vulkan device, ' +
          "or its driver lacks features Dawn needs; Mesa's lavapipe needs Mesa >= 25); " +
          INSTALL_HINT,
      );
    }
    const { vendor, architecture, device, description, isFallbackAdapter } = adapter.info as GPUAdapterInfo & {
      isFallbackAdapter?: boolean;
    };
    return { adapter, info: { vendor, architecture, device, description, fallback: Boolean(isFallbackAdapter) } };
  })();
  found.catch(() => (found = null));
  return found;
}

function firstLine(error: unknown): string {
  return String(error instanceof Error ? error.message : error).split('\n')[0];
}

/**
 * Registers tfjs' `webgpu` backend on `found` (the package registers itself only where `navigator.gpu` exists, which
 * Node lacks).
 */
async function registerTfjsBackend(tf: Awaited<ReturnType<typeof loadTfjs>>, { adapter }: FoundAdapter): Promise<void> {
  const { WebGPUBackend } = await import('@tensorflow/tfjs-backend-webgpu');
  if (tf.findBackendFactory(NAME)) return; // registered by an earlier activation in this thread
  tf.registerBackend(NAME, async () => {
    // The limits tfjs-backend-webgpu's own factory asks for (it copies them from the adapter).
    const limits = adapter.limits;
    const device = await adapter.requestDevice({
      requiredFeatures: adapter.features.has('timestamp-query') ? ['timestamp-query'] : [],
      requiredLimits: {
        maxComputeWorkgroupStorageSize: limits.maxComputeWorkgroupStorageSize,
        maxComputeWorkgroupsPerDimension: limits.maxComputeWorkgroupsPerDimension,
        maxStorageBufferBindingSize: limits.maxStorageBufferBindingSize,
        maxBufferSize: limits.maxBufferSize,
        maxComputeWorkgroupSizeX: limits.maxComputeWorkgroupSizeX,
        maxComputeInvocationsPerWorkgroup: limits.maxComputeInvocationsPerWorkgroup,
      },
    });
    return new WebGPUBackend(device, adapter.info);
  });
}

export const webgpuBackend = {
  name: NAME,
  // Dawn loads in each worker thread, each with its own device (checked on lavapipe).
  threadSafe: true,
  // After the native TensorFlow backends (their kernels cost less per dispatch), before wasm; only with a real GPU
  // (available()).
  autoRank: 2,
  // Population training measured 5.35x the trainings per second of single trainings at
  // P = 256 even on lavapipe (docs/population.md): per-dispatch cost dominates on a GPU.
  populations: true,
  /**
   * True only with a real (non-software) GPU adapter: `auto` never picks a fallback one (and, without a GPU device
   * node, does not load Dawn to ask).
   */
  async available(): Promise<boolean> {
    if (!hasGpuDevice()) return false;
    try {
      return !isSoftwareAdapter((await findAdapter()).info);
    } catch {
      return false;
    }
  },
  async activate(): Promise<BackendInfo> {
    const adapter = await findAdapter();
    const tf = await loadTfjs();
    await registerTfjsBackend(tf, adapter);
    const { registerWebgpuAdamKernel } = await import('../adam-webgpu.js');
    registerWebgpuAdamKernel();
    return { ...(await activateTfjs(tf, NAME, webgpuBackend)), adapter: adapter.info };
  },
} as const satisfies Backend;
