/**
 * The shapes of `index.json` and the shard files, checked when they are read: the files
 * may have been edited by hand, copied from another machine or damaged, and everything
 * after loading (the ledger, reports, a resumed sweep writing beside a study) trusts
 * records' fields, ids and artifact paths. A problem fails the load with the file and
 * the field: `<file>: trials[3].status: must be one of running, ..., got undefined`.
 *
 * Only the structure readers rely on is checked; objects keep unknown fields (a newer
 * writer's), and the checked values are the parsed ones, not zod's copies.
 */
import { formatValue, schemaProblems, SPLIT_NAMES, TRIAL_STATUSES, type SchemaProblem } from '@aelab/core';
import { z } from 'zod';
import { checkArtifactPath } from './artifact-paths.js';
import { evaluationStudyId, isStudyId, parseTrialId, STUDY_ID_EXAMPLE, trialDirName, trialId } from './ids.js';

const nullableNumber = z.number().nullable();
/** A JSON object of `value`s (zod calls it a record; people reading the message, an object). */
const objectOf = <T extends z.ZodType>(value: T) =>
  z.record(z.string(), value, {
    error: (issue) =>
      issue.code === 'invalid_type' ? `must be an object, got ${formatValue(issue.input)}` : undefined,
  });
const stringMap = objectOf(z.string());
const jsonObject = objectOf(z.unknown());

const studyId = z.string().refine(isStudyId, {
  error: (issue) => `must be a study id like ${STUDY_ID_EXAMPLE}, got ${JSON.stringify(issue.input)}`,
});

export const studyRecordSchema = z.looseObject({
  id: studyId,
  name: z.string(),
  experimentPath: z.string(),
  experiment: z.unknown(),
  experimentHash: z.string().min(1),
  createdAt: z.string(),
  gitCommit: z.string().nullable(),
  dataset: z.string(),
  selection: z.looseObject({
    metric: z.string(),
    direction: z.enum(['maximize', 'minimize']),
    split: z.enum(SPLIT_NAMES),
  }),
});

/**
 * The first problem with a trial's history, checked by hand: histories are most of a
 * shard (100 epochs a trial), and checking them through zod tripled the cost of the
 * checks (a 2,000-trial study: ~0.2 s instead of ~0.08 s, next to ~0.9 s of loading).
 */
function historyProblem(history: readonly unknown[], path: string): SchemaProblem | undefined {
  for (let i = 0; i < history.length; i++) {
    const epoch = history[i] as Record<string, unknown> | null;
    if (typeof epoch !== 'object' || epoch === null || Array.isArray(epoch)) {
      return { path: `${path}[${i}]`, message: `must be an object, got ${formatValue(epoch)}` };
    }
    const field = !isFiniteNumber(epoch.epoch)
      ? 'epoch'
      : !isNumberOrNull(epoch.loss)
        ? 'loss'
        : epoch.valLoss !== undefined && !isNumberOrNull(epoch.valLoss)
          ? 'valLoss'
          : epoch.valError !== undefined && !isNumberOrNull(epoch.valError)
            ? 'valError'
            : epoch.seconds !== undefined && !isNumberOrNull(epoch.seconds)
              ? 'seconds'
              : undefined;
    if (field !== undefined) {
      const expected = field === 'epoch' ? 'a finite number' : 'a finite number or null';
      return { path: `${path}[${i}].${field}`, message: `must be ${expected}, got ${formatValue(epoch[field])}` };
    }
  }
  return undefined;
}

const isFiniteNumber = (v: unknown): boolean => typeof v === 'number' && Number.isFinite(v);
const isNumberOrNull = (v: unknown): boolean => v === null || isFiniteNumber(v);

/** A trial as stored; `sampled` and `distributions` may be absent (format version 1, upgraded after the check). */
const trialRecordSchema = z.looseObject({
  id: z.string(),
  studyId: z.string(),
  number: z.int().nonnegative(),
  configHash: z.string(),
  params: jsonObject,
  sampled: jsonObject.nullable().optional(),
  distributions: jsonObject.nullable().optional(),
  repeat: z.int().nonnegative(),
  seed: z.number(),
  status: z.enum(TRIAL_STATUSES),
  reason: z.string().nullable(),
  startedAt: z.string(),
  finishedAt: z.string().nullable(),
  trainSeconds: nullableNumber,
  environment: z.looseObject({ backend: z.string(), versions: stringMap, gitCommit: z.string().nullable() }),
  dataFingerprint: z.string().nullable(),
  history: z.array(z.unknown()),
  bestEpoch: nullableNumber,
  parameterCount: nullableNumber,
  artifacts: stringMap,
});

const evaluationRecordSchema = z.looseObject({
  id: z.string(),
  studyId: z.string(),
  trialId: z.string(),
  configHash: z.string(),
  scoring: jsonObject,
  sampled: jsonObject.nullable().optional(),
  // null: a NaN threshold, which JSON stores as null.
  threshold: nullableNumber,
  thresholdInterval: z.object({ low: nullableNumber, high: nullableNumber }).nullable().optional(),
  usesLabels: z.boolean(),
  metrics: objectOf(z.looseObject({})),
  createdAt: z.string(),
});

const header = { format: z.string(), version: z.number() };

const indexFileSchema = z.looseObject({
  ...header,
  studies: z.array(studyRecordSchema),
  trialsPerShard: objectOf(z.int().positive()),
});

const shardFileSchema = z.looseObject({
  ...header,
  studyId: z.string(),
  shard: z.int().nonnegative(),
  trials: z.array(trialRecordSchema),
  evaluations: z.array(evaluationRecordSchema),
});

/** `study.json` in a study's folder: what rebuilds its entry of a lost `index.json`. */
const studyFileSchema = z.looseObject({
  ...header,
  study: studyRecordSchema,
  trialsPerShard: z.int().positive(),
});

const MAX_LISTED = 5;

/** Throws one error naming the file and each problem's field (the first few of many). */
function fail(file: string, problems: SchemaProblem[]): void {
  if (problems.length === 0) return;
  const listed = problems.slice(0, MAX_LISTED).map((p) => `${file}: ${p.path ? `${p.path}: ` : ''}${p.message}`);
  const more = problems.length > MAX_LISTED ? `\n(and ${problems.length - MAX_LISTED} more problems)` : '';
  throw new Error(`run store: ${listed.join('\n')}${more}`);
}

/** Checks `index.json`: every study well-formed, with a safe, unique id and a shard size. */
export function checkIndexFile(file: string, data: unknown): void {
  fail(file, schemaProblems(indexFileSchema, data));
  const { studies, trialsPerShard } = data as z.output<typeof indexFileSchema>;
  const problems: SchemaProblem[] = [];
  const seen = new Set<string>();
  studies.forEach((study, i) => {
    if (seen.has(study.id)) problems.push({ path: `studies[${i}].id`, message: `'${study.id}' is listed twice` });
    seen.add(study.id);
    if (trialsPerShard[study.id] === undefined) {
      problems.push({ path: 'trialsPerShard', message: `has no positive integer for study '${study.id}'` });
    }
  });
  fail(file, problems);
}

/** Checks `study.json` of a study folder named `folder`. */
export function checkStudyFile(file: string, data: unknown, folder: string): void {
  fail(file, schemaProblems(studyFileSchema, data));
  const { study } = data as z.output<typeof studyFileSchema>;
  if (study.id !== folder)
    fail(file, [{ path: 'study.id', message: `must be the folder's name '${folder}', got '${study.id}'` }]);
}

/**
 * Checks a shard of study `studyId`: records well-formed, each trial's id the one its
 * study and number give, evaluations of this study's trials, and every artifact path a
 * plain relative path inside its trial's folder (`<studyId>/trials/<t000042>/...`), so
 * nothing read from a shard points a reader or a writer outside the store.
 */
export function checkShardFile(file: string, data: unknown, studyId: string): void {
  fail(file, schemaProblems(shardFileSchema, data));
  const shard = data as z.output<typeof shardFileSchema>;
  const problems: SchemaProblem[] = [];
  const mismatch = (path: string, expected: string, got: string) =>
    problems.push({ path, message: `must be '${expected}', got '${got}'` });
  if (shard.studyId !== studyId) mismatch('studyId', studyId, shard.studyId);
  shard.trials.forEach((trial, i) => {
    const history = historyProblem(trial.history, `trials[${i}].history`);
    if (history) problems.push(history);
    const id = trialId(studyId, trial.number);
    if (trial.id !== id) mismatch(`trials[${i}].id`, id, trial.id);
    if (trial.studyId !== studyId) mismatch(`trials[${i}].studyId`, studyId, trial.studyId);
    const folder = `${studyId}/trials/${trialDirName(id)}/`;
    for (const [name, path] of Object.entries(trial.artifacts)) {
      let plain = true;
      try {
        checkArtifactPath(path);
      } catch {
        plain = false;
      }
      if (!plain || !path.startsWith(folder) || path.length === folder.length) {
        problems.push({
          path: `trials[${i}].artifacts.${name}`,
          message: `must be a path inside ${folder}, got ${JSON.stringify(path)}`,
        });
      }
    }
  });
  shard.evaluations.forEach((evaluation, i) => {
    if (evaluation.studyId !== studyId) mismatch(`evaluations[${i}].studyId`, studyId, evaluation.studyId);
    if (evaluationStudyId(evaluation.id) !== studyId) {
      problems.push({
        path: `evaluations[${i}].id`,
        message:
          `must be an evaluation id of study '${studyId}' (${studyId}.e0000042), ` +
          `got ${JSON.stringify(evaluation.id)}`,
      });
    }
    if (parseTrialId(evaluation.trialId)?.studyId !== studyId) {
      problems.push({
        path: `evaluations[${i}].trialId`,
        message: `must be a trial of study '${studyId}', got ${JSON.stringify(evaluation.trialId)}`,
      });
    }
  });
  fail(file, problems);
}
