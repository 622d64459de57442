import type { EpochRecord, TrialStatus } from '@aelab/core';
import type { ContentPieces } from './durable-file.js';
import type { EvaluationRecord, RunEnvironment, StudyRecord, TrialRecord } from './records.js';

export type NewStudy = Omit<StudyRecord, 'id' | 'createdAt'> & { createdAt?: string };

export type NewTrial = Pick<
  TrialRecord,
  'configHash' | 'params' | 'repeat' | 'seed' | 'environment' | 'dataFingerprint'
> &
  Partial<Pick<TrialRecord, 'sampled' | 'distributions'>> & { startedAt?: string };

/** Options of {@link RunStore.startTrial}. */
export interface StartTrialOptions {
  /**
   * Called once with the new trial's record as soon as it is made (its id given), before
   * the write that makes it durable: work that needs the id but not the record on disk
   * (handing the training to a worker) starts there, instead of waiting for the write (an
   * fsync of the file and its folder, ~5-25 ms on the project's machine). The promise
   * still resolves only once the record is durable, and rejects when the write fails:
   * the caller then undoes what it started. Must not throw.
   */
  onCreated?(trial: TrialRecord): void;
}

/** The outcome of a training, written once. */
export interface TrialOutcome {
  status: Exclude<TrialStatus, 'running'>;
  reason?: string | null;
  finishedAt?: string;
  trainSeconds?: number | null;
  history?: EpochRecord[];
  bestEpoch?: number | null;
  parameterCount?: number | null;
  dataFingerprint?: string | null;
  environment?: RunEnvironment;
  artifacts?: Record<string, string>;
  /**
   * The evaluations of a `complete` outcome, recorded with it in the same write (as
   * `addEvaluations` would): a finished trial costs one durable write, not two, and is never
   * seen complete without its evaluations.
   */
  evaluations?: NewEvaluation[];
}

export type NewEvaluation = Omit<EvaluationRecord, 'id' | 'studyId' | 'trialId' | 'createdAt' | 'sampled'> &
  Partial<Pick<EvaluationRecord, 'sampled'>> & { createdAt?: string };

/** An artifact's content: bytes, text (written as UTF-8), or pieces of either, in order. */
export type ArtifactData = Uint8Array | string | ContentPieces;

/**
 * Where studies, trials and their evaluations are recorded.
 *
 * Rules every implementation keeps (the conformance suite in `tests/` checks them):
 * - One writer: only the process's main thread calls the mutating methods; workers
 *   never touch a store. Implementations may assume calls are not concurrent with
 *   each other beyond what `await` ordering gives.
 * - A trial is created `running` and finished exactly once with `finishTrial`.
 *   `complete`, `failed` and `pruned` trials never change again; finishing a trial
 *   that is not `running` throws, naming it and its status. An `interrupted` trial may
 *   be superseded by a new trial with the same config hash and repeat (resume), but
 *   the interrupted record itself stays. After a crash, trials left `running` are
 *   marked with `interruptOrphanedTrials` by the next writer.
 * - Evaluations are added to `running` or `complete` trials only.
 * - Returned records are read-only snapshots: mutating them does not change the store,
 *   and they are deep-frozen where the implementation can afford it. Input is copied.
 * - Records are JSON: `undefined` fields are dropped and non-finite numbers (a NaN
 *   loss) are stored as null, by every implementation alike.
 * - Every mutation is durable when its promise resolves: a crash (even `kill -9`) at
 *   any moment leaves a store that loads, holding every mutation that resolved.
 * - Ids are unique strings; lists are in creation order. A trial id names its study,
 *   so `getTrial` needs no study id. Unknown ids: `get*` resolve undefined, everything
 *   else rejects with an error naming the id.
 * - Large arrays are artifacts: `writeArtifact` stores bytes beside the records and
 *   returns a path relative to the store root, which records refer to.
 */
export interface RunStore {
  /** Where artifacts live on disk (absolute), or null for stores without files. */
  readonly root: string | null;

  createStudy(study: NewStudy): Promise<StudyRecord>;
  getStudy(id: string): Promise<StudyRecord | undefined>;
  /** Studies in creation order. */
  listStudies(): Promise<StudyRecord[]>;
  /** The most recent study whose experiment hash matches, for resuming. */
  findStudyByExperimentHash(hash: string): Promise<StudyRecord | undefined>;

  startTrial(studyId: string, trial: NewTrial, options?: StartTrialOptions): Promise<TrialRecord>;
  finishTrial(trialId: string, outcome: TrialOutcome): Promise<TrialRecord>;
  getTrial(trialId: string): Promise<TrialRecord | undefined>;
  listTrials(studyId: string): Promise<TrialRecord[]>;

  addEvaluations(trialId: string, evaluations: NewEvaluation[]): Promise<EvaluationRecord[]>;
  listEvaluations(studyId: string): Promise<EvaluationRecord[]>;

  /**
   * Stores bytes for a trial (replacing what was stored under the name, all or nothing);
   * returns the path relative to {@link root}. Pieces are written as they come, so a large
   * artifact need not be built whole first.
   */
  writeArtifact(studyId: string, trialId: string, name: string, data: ArtifactData): Promise<string>;
  readArtifact(path: string): Promise<Uint8Array>;

  /** Flushes and releases files or locks. The store is unusable afterwards. */
  close(): Promise<void>;
}
