/**
 * `aelab-model.json` as every reader accepts it (`loadModel`, so `aelab score`, and the
 * sweep's recorder when it saves a resumed study's model again), without tfjs.
 */
import { z } from 'zod';
import {
  ERROR_METRICS,
  formatValue,
  LOWEST_THRESHOLD,
  schemaProblems,
  untrustedJsonProblems,
  type SavedModelInfo,
} from '@aelab/core';
import { modelSpecSchema } from './families/index.js';

/**
 * Every field but the preparation (its shape is the data package's, checked by whoever
 * applies it: `parsePreparation`). Fields that models saved by earlier versions lack are optional.
 */
export const savedModelInfoSchema = z.strictObject({
  format: z.literal('aelab-model'),
  version: z.literal(1),
  spec: modelSpecSchema,
  preparation: z.unknown(),
  threshold: z
    .number({ error: (issue) => `must be a finite number or null, got ${formatValue(issue.input)}` })
    // Errors are never negative: a negative threshold flagged every row.
    .min(LOWEST_THRESHOLD, { error: (issue) => `must be >= ${LOWEST_THRESHOLD}, got ${formatValue(issue.input)}` })
    .nullable()
    .optional(),
  extra: z.looseObject({ errorMetric: z.enum(ERROR_METRICS).optional() }).optional(),
  tfjsVersion: z.string().optional(),
  weightsSha256: z
    .string({ error: (issue) => `must be 64 hex digits, got ${formatValue(issue.input)}` })
    .regex(/^[0-9a-f]{64}$/, { error: (issue) => `must be 64 hex digits, got ${formatValue(issue.input)}` })
    .optional(),
});

/**
 * Every problem of `value` under `schema`, as one error naming the file and each field.
 * Nesting deeper than any model's (and `__proto__` keys) is refused first, walking without
 * recursion: zod and the messages' quoting recurse, and overflowed the stack on a file
 * nested 100,000 deep ("Maximum call stack size exceeded", no file named).
 */
export function checkAgainst<T>(file: string, schema: z.ZodType<T>, value: unknown): T {
  const unsafe = untrustedJsonProblems(value);
  const problems = unsafe.length > 0 ? unsafe : schemaProblems(schema, value);
  if (problems.length > 0) throw new Error(`${file}: ${problems.map((p) => `${p.path} ${p.message}`).join('; ')}`);
  return value as T;
}

/**
 * Checks the parsed content of an `aelab-model.json` (`file` names it in errors) and returns
 * it with what older files lack filled in (no threshold, no extra, tfjs version unknown).
 * @throws Error naming the file, the field and the value.
 */
export function parseSavedModelInfo(file: string, raw: unknown): SavedModelInfo {
  const head = raw as Partial<SavedModelInfo> | null;
  if (head?.format !== 'aelab-model' || head.version !== 1) {
    const got = `${JSON.stringify(head?.format)} version ${JSON.stringify(head?.version)}`;
    throw new Error(`${file}: expected format "aelab-model" version 1, got ${got}`);
  }
  const info = checkAgainst(file, savedModelInfoSchema, raw);
  return savedModelInfo(info);
}

/** What the writer or the reader of an `aelab-model.json` supplies; {@link savedModelInfo} fills the rest. */
export type SavedModelFields = Pick<SavedModelInfo, 'spec' | 'preparation'> &
  Partial<Pick<SavedModelInfo, 'threshold' | 'extra' | 'tfjsVersion' | 'weightsSha256'>>;

/**
 * An `aelab-model.json`'s content, its fields in the order written, with what `fields` lack
 * filled in (no threshold, no extra, tfjs version unknown): the one rule for writer and reader.
 */
export function savedModelInfo(fields: SavedModelFields): SavedModelInfo {
  return {
    format: 'aelab-model',
    version: 1,
    spec: fields.spec,
    preparation: fields.preparation,
    threshold: fields.threshold ?? null,
    extra: fields.extra ?? {},
    tfjsVersion: fields.tfjsVersion ?? 'unknown',
    ...(fields.weightsSha256 !== undefined ? { weightsSha256: fields.weightsSha256 } : {}),
  };
}
