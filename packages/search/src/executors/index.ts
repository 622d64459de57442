import { BACKEND_NAMES } from '@aelab/models/registry';
import { z } from 'zod';
import type { ExecutorContext, ExecutorDefinition, TrialExecutor } from './executor.js';
import { poolExecutor } from './piscina.js';
import { populationExecutor } from './population.js';
import { redisExecutor } from './redis.js';

/** The executor registry: adding an executor is one file plus one entry here. The first is the default. */
export const EXECUTORS = [poolExecutor, redisExecutor, populationExecutor] satisfies readonly ExecutorDefinition[];

export const EXECUTOR_KINDS = EXECUTORS.map((e) => e.kind) as [string, ...string[]];

/** The registry as its contract: each entry keeps its own settings type in EXECUTORS. */
const definitions: readonly ExecutorDefinition[] = EXECUTORS;

/** Upper bounds of the settings every executor takes: past them, a number is a typo, not a plan. */
const MOST_WORKERS = 4096;
const MOST_TRIAL_SECONDS = 30 * 24 * 3600;
const MOST_TRIAL_MEMORY_MB = 2 ** 20;

/** The fields of the `executor` section that every kind takes: how the study runs its trainings. */
const commonSettings = z.object({
  address: z
    .string()
    .optional()
    .describe(
      'Where a remote executor takes tasks, e.g. "redis://host:6379" (picks the redis executor). No password here: ' +
        'the experiment is recorded in the store; set AELAB_REDIS_PASSWORD.',
    ),
  workers: z
    .number()
    .int()
    .positive()
    .max(MOST_WORKERS)
    .optional()
    .describe(
      'Trainings at once; default: CPU count; a local pool is capped at the trainings left to run and at 2 per CPU, ' +
        'with a note (remote executors: trainings in flight across all workers, default 8).',
    ),
  backend: z.enum(BACKEND_NAMES as unknown as [string, ...string[]]).default('auto'),
  maxTrialSeconds: z
    .number()
    .positive()
    .max(MOST_TRIAL_SECONDS)
    .optional()
    .describe('Wall-time budget of one training.'),
  maxTrialMemoryMb: z
    .number()
    .int()
    .positive()
    .max(MOST_TRIAL_MEMORY_MB)
    .optional()
    .describe('Heap limit of a worker thread.'),
});

/** An experiment's `executor` section, as parsed: the common fields, its kind, and that kind's own fields. */
export type ExecutorSettings = z.output<typeof commonSettings> & { kind?: string } & Record<string, unknown>;
/** An `executor` section as written. */
export type ExecutorSettingsInput = z.input<typeof commonSettings> & { kind?: string } & Record<string, unknown>;

/**
 * The experiment's `executor` section: one option per registered executor, discriminated
 * by `kind` (absent: the default executor, or the remote one `address` names), each the
 * executor's own strict schema plus the fields every executor takes.
 */
export const executorSettingsSchema = z
  .discriminatedUnion(
    'kind',
    definitions.map((definition, i) => {
      const kind = definition.schema.shape.kind as z.ZodLiteral<string>;
      const chosen = i === 0 ? kind.optional().describe('Where trainings run; default: the local worker pool.') : kind;
      return definition.schema.extend({ ...commonSettings.shape, kind: chosen }).strict();
    }) as unknown as [z.ZodObject, ...z.ZodObject[]],
  )
  // The options' types are each definition's; what the study reads of any of them is this.
  .default({ backend: 'auto' }) as unknown as z.ZodDefault<z.ZodType<ExecutorSettings, ExecutorSettingsInput>>;

/**
 * The executor named by `kind` (default: the first registered, the local pool), or, when
 * an `address` is given (`--executor redis://host:6379`), the remote one its URL scheme
 * names. A kind and an address must agree: a local kind with an address (or a remote kind
 * with another kind's scheme) is refused, never switched to the address's executor.
 */
export function executorDefinition(kind: string | undefined, address?: string): ExecutorDefinition {
  const named = kind === undefined ? undefined : definitions.find((e) => e.kind === kind);
  if (kind !== undefined && !named) {
    throw new Error(`executor: unknown kind ${JSON.stringify(kind)}; known: ${EXECUTOR_KINDS.join(', ')}`);
  }
  if (address === undefined) return named ?? definitions[0];
  const scheme = /^[a-z][a-z0-9+.-]*:/i.exec(address)?.[0].toLowerCase();
  const found = definitions.find((e) => scheme !== undefined && e.remote?.schemes.includes(scheme));
  if (!found) {
    const schemes = definitions.flatMap((e) => e.remote?.schemes ?? []);
    throw new Error(
      `executor: '${scheme ?? address}' names no executor; give a kind (${EXECUTOR_KINDS.join(', ')}) ` +
        `or an address starting with ${schemes.map((s) => `${s}//`).join(' or ')}`,
    );
  }
  if (named && named !== found) {
    const local = !named.remote;
    throw new Error(
      `executor: kind "${named.kind}" ` +
        `${local ? 'runs trainings on this machine and takes no address' : `does not take a ${scheme}// address`}, ` +
        `but executor.address names the ${found.kind} executor; remove the address, or set kind "${found.kind}"`,
    );
  }
  return found;
}

/** The executor an `executor` section describes (default: the pool), or that `context.address`'s scheme names. */
export function createExecutor(settings: ExecutorSettings | undefined, context: ExecutorContext): TrialExecutor {
  const chosen = settings ?? { backend: 'auto' };
  return executorDefinition(chosen.kind, context.address).create(chosen, context);
}

/** The executors whose workers run elsewhere, with their `aelab worker` command. */
export const WORKER_EXECUTORS = definitions.filter((e) => e.worker) as (ExecutorDefinition &
  Required<Pick<ExecutorDefinition, 'worker'>>)[];

/**
 * An `executor` section switched to `kind` (the CLI's `--executor pool`): the fields every
 * executor takes are kept, and only those of the new kind's own (another kind's would be refused).
 */
export function withExecutorKind(section: ExecutorSettingsInput | undefined, kind: string): ExecutorSettingsInput {
  const own = executorDefinition(kind).schema.shape;
  const kept = Object.entries(section ?? {}).filter(([key]) => key in commonSettings.shape || key in own);
  return { ...Object.fromEntries(kept), kind };
}
