/**
 * What any process that trains needs, coordinator or `aelab worker`: how many trainings a
 * machine runs at once, the memory each may take, and how its worker threads start. Both
 * sides of trial-task.ts use it, so neither borrows from the other's modules.
 */
import { availableParallelism, totalmem } from 'node:os';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * The most trainings this machine runs at once: two per CPU (`availableParallelism`).
 * Trainings are CPU-bound, and each runs in a thread of its own with its own heap and
 * backend: past two per CPU, threads only share the same cores while each holds its
 * memory (`--workers 1000` started 1000 threads, took 21.6 GB and ran out of heap).
 */
export function localWorkerLimit(): number {
  return 2 * availableParallelism();
}

/** The memory one training may take, and where that limit comes from (for messages). */
export interface TrialMemoryLimit {
  trialMemoryBytes: number;
  memorySource: string;
}

/**
 * The memory one training may take, for any process that trains (a coordinator, an
 * `aelab worker`): `mb` when set (named in messages as `setting`), else this machine's
 * memory shared among its `workers`.
 */
export function memoryPerTrial(mb: number | undefined, workers: number, setting: string): TrialMemoryLimit {
  if (mb !== undefined) return { trialMemoryBytes: mb * 2 ** 20, memorySource: setting };
  return {
    trialMemoryBytes: totalmem() / workers,
    memorySource:
      `this machine's memory over ${workers} worker${workers === 1 ? '' : 's'}; ` + `set ${setting} to change it`,
  };
}

/**
 * A worker script of the package (`name`: its path under src/ without extension). Worker
 * threads load plain JavaScript, so tests running from `src/*.ts` use the build.
 */
export function workerScript(name: string): string {
  const here = fileURLToPath(import.meta.url);
  const dir = dirname(here);
  return here.endsWith('.ts') ? resolve(dir, `../dist/${name}.js`) : resolve(dir, `${name}.js`);
}

/**
 * The V8 heap limits of a training thread: `maxTrialMemoryMb` for its old generation, and a
 * young generation of 8 MiB instead of V8's default of up to 48. A training makes garbage
 * in a steady stream (a batch's arrays, tfjs' tensor objects), which grew each thread's
 * young generation to its limit: 8 MiB took 20-40 MiB off a 2-worker sweep's peak, on the
 * 5,000-row run as on the 725k-row one, and left dense and LSTM training as fast (measured
 * with tools/bench/sweep-memory.mjs and models-train.mjs).
 */
export function trialResourceLimits(maxTrialMemoryMb: number | undefined) {
  return { maxYoungGenerationSizeMb: 8, ...(maxTrialMemoryMb ? { maxOldGenerationSizeMb: maxTrialMemoryMb } : {}) };
}

/**
 * The process's exec arguments for worker threads: workers always run the build, so export
 * conditions a test runner may have added (vitest's `@aelab/source` would point them at
 * TypeScript sources they cannot load) are dropped.
 */
export function withoutConditions(argv: readonly string[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === '--conditions' || arg === '-C') i++;
    else if (!arg.startsWith('--conditions=') && !arg.startsWith('-C=')) out.push(arg);
  }
  return out;
}

/**
 * The Node options of a training thread: the process's, without a test runner's conditions, and
 * without require() of ES modules. Piscina loads a thread's module with require() first; Node
 * 20.19+ runs that on ES modules synchronously, and where it met a module that an import() of
 * the same thread was still loading, the process died ("IsGraphAsync must be used on an
 * instantiated module", twice in loaded test runs); import() alone loads such graphs safely.
 */
export function threadExecArgv(): string[] {
  return [...withoutConditions(process.execArgv), '--no-experimental-require-module'];
}
