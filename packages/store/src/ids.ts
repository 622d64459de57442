import { randomBytes } from 'node:crypto';

/**
 * Record ids. They sort in creation order within their kind and carry their parent, so
 * a trial id alone finds its study (which `getTrial` and `finishTrial` need) without an
 * index of every trial:
 *
 * - study: `s-<yyyymmdd>-<hhmmss>-<4 hex>` (UTC creation time + random suffix)
 * - trial: `<studyId>.t<number, 6 digits>` (0-based order within the study)
 * - evaluation: `<studyId>.e<number, 7 digits>` (0-based order within the study)
 *
 * Numbers past the padding still parse and stay unique; only their lexical order breaks.
 */

export function newStudyId(createdAt: Date, random: () => string = randomSuffix): string {
  const iso = createdAt.toISOString(); // 2026-11-23T08:33:06.123Z
  const day = iso.slice(0, 10).replaceAll('-', '');
  const time = iso.slice(11, 19).replaceAll(':', '');
  return `s-${day}-${time}-${random()}`;
}

function randomSuffix(): string {
  return randomBytes(2).toString('hex');
}

export function trialId(studyId: string, number: number): string {
  return `${studyId}.t${String(number).padStart(6, '0')}`;
}

export function evaluationId(studyId: string, number: number): string {
  return `${studyId}.e${String(number).padStart(7, '0')}`;
}

/**
 * What {@link newStudyId} makes, loosely (any letters, digits and dashes after `s-`): never
 * a path, so a study id read from a file can name a folder of the store and nothing else.
 */
const STUDY_ID = /^s-[A-Za-z0-9-]{1,64}$/;
export const STUDY_ID_EXAMPLE = 's-20261123-083306-7f3a';
const TRIAL_ID = /^(s-[A-Za-z0-9-]{1,64})\.t(\d+)$/;
const EVALUATION_ID = /^(s-[A-Za-z0-9-]{1,64})\.e\d+$/;

export function isStudyId(id: unknown): id is string {
  return typeof id === 'string' && STUDY_ID.test(id);
}

/** The study an evaluation id names, or undefined when it is not one. */
export function evaluationStudyId(id: string): string | undefined {
  return EVALUATION_ID.exec(id)?.[1];
}

/** Splits a trial id into its study id and number, or returns undefined when it is not one. */
export function parseTrialId(id: string): { studyId: string; number: number } | undefined {
  const match = TRIAL_ID.exec(id);
  if (!match) return undefined;
  return { studyId: match[1], number: Number(match[2]) };
}

/** The short, per-study part of a trial id (`t000042`), used for artifact directories. */
export function trialDirName(id: string): string {
  return id.slice(id.lastIndexOf('.') + 1);
}
