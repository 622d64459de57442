/**
 * Running trials' epochs, for readers that follow a sweep while it runs (`aelab serve`).
 *
 * A trial's history reaches its record only when it finishes; until then the epochs exist
 * only as the executors' progress messages on the sweeping process's main thread. That
 * thread, the store's only writer, keeps them in `<root>/<studyId>/live/progress.json`
 * (rewritten whole and atomically, without fsync: it is a view, rebuilt by the next epoch,
 * and lost harmlessly with a crash). It lives in a folder of its own so that its frequent
 * writes leave the study folder's modification time to the record files.
 *
 * Readers trust nothing in it: a file that is missing, torn by hand or of another shape
 * reads as no live progress, and its trials count only while their records say `running`.
 */
import { readFile, mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { EpochRecord } from '@aelab/core';
import { z } from 'zod';
import { writeFileAtomic } from './durable-file.js';
import { isStudyId, parseTrialId } from './ids.js';

export const LIVE_PROGRESS_FORMAT = 'aelab-live-progress';

/** One running trial's epochs so far. */
export interface LiveTrial {
  /** Epochs the trial trains at most (its early stopping may end it sooner). */
  epochs: number;
  history: EpochRecord[];
}

export interface LiveProgressFile {
  format: typeof LIVE_PROGRESS_FORMAT;
  version: 1;
  studyId: string;
  /** ISO 8601 time of the write. */
  updatedAt: string;
  /** True while the sweep runs; its last write, when it ends (interrupted or not), says false. */
  sweeping: boolean;
  /** Trial id -> its epochs, for the trials running when it was written. */
  trials: Record<string, LiveTrial>;
}

const nullableNumber = z.number().nullable();
const liveProgressSchema = z.object({
  format: z.literal(LIVE_PROGRESS_FORMAT),
  version: z.literal(1),
  studyId: z.string(),
  updatedAt: z.string(),
  sweeping: z.boolean(),
  trials: z.record(
    z.string(),
    z.object({
      epochs: z.number(),
      history: z.array(
        z.looseObject({
          epoch: z.number(),
          loss: nullableNumber,
          valLoss: nullableNumber,
          valError: nullableNumber.optional(),
        }),
      ),
    }),
  ),
});

/**
 * Where a study's live progress is kept; throws for anything that is not a study id, so no input names another path.
 */
export function liveProgressPath(root: string, studyId: string): string {
  if (!isStudyId(studyId)) throw new Error(`run store: live progress: '${studyId}' is not a study id`);
  return join(root, studyId, 'live', 'progress.json');
}

/** Replaces the study's live progress (the sweeping process's main thread only: the store's writer). */
export async function writeLiveProgress(
  root: string,
  progress: Omit<LiveProgressFile, 'format' | 'version'>,
): Promise<void> {
  const path = liveProgressPath(root, progress.studyId);
  await mkdir(join(root, progress.studyId, 'live'), { recursive: true });
  const file: LiveProgressFile = { format: LIVE_PROGRESS_FORMAT, version: 1, ...progress };
  await writeFileAtomic(path, JSON.stringify(file), { fsync: false });
}

/**
 * The study's live progress, or null when there is none or it cannot be read as such.
 * Entries whose id is not one of the study's trials are dropped.
 */
export async function readLiveProgress(root: string, studyId: string): Promise<LiveProgressFile | null> {
  let text: string;
  try {
    text = await readFile(liveProgressPath(root, studyId), 'utf8');
  } catch {
    return null;
  }
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch {
    return null;
  }
  // The checked values are the parsed ones (as file-schemas does): epochs keep every field.
  if (!liveProgressSchema.safeParse(data).success) return null;
  const file = data as LiveProgressFile;
  if (file.studyId !== studyId) return null;
  const trials = Object.entries(file.trials).filter(([id]) => parseTrialId(id)?.studyId === studyId);
  return { ...file, trials: Object.fromEntries(trials) };
}
