/**
 * The backend seam: a TensorFlow.js backend as `--backend` names it. Each backend is one
 * file; `backends/index.ts` is the one registry that lists them. Backend files load
 * without tfjs: tfjs and optional packages are imported inside `available`/`activate`.
 */

/** What `aelab info` prints and what each trial record stores as its backend. */
export interface BackendInfo {
  /** The tfjs backend actually active (`wasm`, `cpu`, `tensorflow`, `webgpu`). */
  backend: string;
  /** wasm only: whether the SIMD build is in use (false for other backends). */
  simd: boolean;
  /** wasm only: whether the multithreaded build is in use (always false in Node, see TFJS-NOTES). */
  multithread: boolean;
  tfjsVersion: string;
  nodeVersion: string;
  /** Logical CPUs of this machine (the default worker-pool size). */
  cpus: number;
  /**
   * Whether this backend may be initialised in several worker threads of one process
   * ({@link Backend.threadSafe}). The native tfjs-node addon is not safe there; wasm and cpu are.
   */
  nativeThreadSafe: boolean;
  /** webgpu only: the GPU adapter it runs on (null for other backends). */
  adapter: GpuAdapterInfo | null;
}

/** A WebGPU adapter as Dawn describes it (`aelab info` prints it). */
export interface GpuAdapterInfo {
  /** e.g. `nvidia`, `amd`, `mesa`. */
  vendor: string;
  /** e.g. `ampere`, `rdna-3`; `software` for a CPU rasteriser. */
  architecture: string;
  device: string;
  /** The driver's own name for it, e.g. `llvmpipe: Mesa 25.0.7 (LLVM 15.0.6)`. */
  description: string;
  /** Dawn's `isFallbackAdapter`: a software implementation (lavapipe, SwiftShader), never picked by `auto`. */
  fallback: boolean;
}

/**
 * One tfjs backend.
 *
 * Contract:
 * - Importing the file that defines it loads neither tfjs nor any optional package.
 * - `available()` never throws and never changes the active backend.
 * - `activate()` either makes this backend the thread's tfjs backend and describes it, or
 *   throws {@link BackendUnavailableError} whose message says what to install; it never
 *   falls back to another backend (only `auto` chooses among backends).
 * - Each thread that trains activates its backend itself (tfjs state is per thread), and
 *   activating an already active backend again is harmless.
 */
export interface Backend {
  /** As named on the command line: 'wasm', 'cpu', 'tensorflow', 'tensorflow-gpu', 'webgpu'. */
  readonly name: string;
  /** False when the backend may be active in one worker thread per process only (the native addon). */
  readonly threadSafe: boolean;
  /** Rank when `auto` picks a backend (lower first); null = never picked by auto. */
  readonly autoRank: number | null;
  /**
   * True where training P models as one batched graph (population training) was measured
   * to give more trainings per second than training them one by one
   * (`tools/bench/population.mjs`, docs/population.md): the population executor batches
   * only there. Absent: not measured to pay (on wasm and cpu it does not).
   */
  readonly populations?: boolean;
  /**
   * Whether `auto` may pick it here, found without activating it: its packages load (and,
   * for webgpu, a real GPU adapter exists: a software one is for naming explicitly only).
   */
  available(): Promise<boolean>;
  /**
   * Makes it this thread's tfjs backend; tfjs and optional packages are imported lazily inside. Throws
   * BackendUnavailableError naming the package to install.
   */
  activate(): Promise<BackendInfo>;
}

/** A backend that was asked for by name cannot be used here; the message says how to fix that. */
export class BackendUnavailableError extends Error {
  override readonly name = 'BackendUnavailableError';
  constructor(
    /** The backend as it was asked for (`tensorflow`, `auto`, ...). */
    readonly backend: string,
    message: string,
  ) {
    super(message);
  }
}
