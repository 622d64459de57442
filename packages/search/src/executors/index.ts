import type { ExecutorDefinition, ExecutorOptions, TrialExecutor } from './executor.js';
import { poolExecutor } from './piscina.js';
import { populationExecutor } from './population.js';
import { redisExecutor } from './redis.js';

/** The executor registry: adding an executor is one file plus one entry here. */
export const EXECUTORS = [poolExecutor, redisExecutor, populationExecutor] as const satisfies readonly ExecutorDefinition[];

export const EXECUTOR_KINDS = EXECUTORS.map((e) => e.kind) as [string, ...string[]];

/**
 * The executor named by `kind` (default: the first registered, the local pool), or, when
 * an `address` is given (`--executor redis://host:6379`), the remote one its URL scheme
 * names. A kind and an address must agree: a local kind with an address (or a remote kind
 * with another kind's scheme) is refused, never switched to the address's executor.
 */
export function executorDefinition(kind: string | undefined, address?: string): ExecutorDefinition {
  const named = kind === undefined ? undefined : EXECUTORS.find((e) => e.kind === kind);
  if (kind !== undefined && !named) throw new Error(`executor: unknown kind ${JSON.stringify(kind)}; known: ${EXECUTOR_KINDS.join(', ')}`);
  if (address === undefined) return named ?? EXECUTORS[0];
  const scheme = /^[a-z][a-z0-9+.-]*:/i.exec(address)?.[0].toLowerCase();
  const found = EXECUTORS.find((e) => scheme !== undefined && (e as ExecutorDefinition).remote?.schemes.includes(scheme));
  if (!found) {
    const schemes = EXECUTORS.flatMap((e) => (e as ExecutorDefinition).remote?.schemes ?? []);
    throw new Error(`executor: '${scheme ?? address}' names no executor; give a kind (${EXECUTOR_KINDS.join(', ')}) or an address starting with ${schemes.map((s) => `${s}//`).join(' or ')}`);
  }
  if (named && named !== found) {
    const local = !(named as ExecutorDefinition).remote;
    throw new Error(
      `executor: kind "${named.kind}" ${local ? 'runs trainings on this machine and takes no address' : `does not take a ${scheme}// address`}, ` +
        `but executor.address names the ${found.kind} executor; remove the address, or set kind "${found.kind}"`,
    );
  }
  return found;
}

/** The executor of `kind`, or of `options.address`'s scheme (see {@link executorDefinition}). */
export function createExecutor(kind: string | undefined, options: ExecutorOptions): TrialExecutor {
  return executorDefinition(kind, options.address).create(options);
}
