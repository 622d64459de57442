import type { ExecutorDefinition, ExecutorOptions, TrialExecutor } from './executor.js';
import { poolExecutor } from './piscina.js';
import { populationExecutor } from './population.js';

/** The executor registry: adding an executor is one file plus one entry here. */
export const EXECUTORS = [poolExecutor, populationExecutor] as const satisfies readonly ExecutorDefinition[];

export const EXECUTOR_KINDS = EXECUTORS.map((e) => e.kind) as [string, ...string[]];

/** The executor of `kind` (default: the first registered, the local pool). */
export function createExecutor(kind: string | undefined, options: ExecutorOptions): TrialExecutor {
  const found = kind === undefined ? EXECUTORS[0] : EXECUTORS.find((e) => e.kind === kind);
  if (!found) throw new Error(`executor: unknown kind ${JSON.stringify(kind)}; known: ${EXECUTOR_KINDS.join(', ')}`);
  return found.create(options);
}
