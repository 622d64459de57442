import { artifactPath, checkArtifactPath } from './artifact-paths.js';
import { Ledger } from './ledger.js';
import type { EvaluationRecord, StudyRecord, TrialRecord } from './records.js';
import type * as Contract from './run-store.js';
import { StudyQueries } from './study-queries.js';

export interface InMemoryRunStoreOptions {
  /** Clock for `createdAt` / `startedAt` / `finishedAt` defaults; tests pin it. */
  now?: () => Date;
}

/**
 * A {@link Contract.RunStore} that keeps everything in memory, artifacts included: for tests and
 * for sweeps whose results need not outlive the process. It applies the same rules as
 * the JSON store (the shared {@link Ledger}), so code tested against it behaves the same
 * on disk.
 */
export class InMemoryRunStore extends StudyQueries implements Contract.RunStore {
  readonly root = null;
  readonly #ledger: Ledger;
  readonly #artifacts = new Map<string, Uint8Array>();
  #closed = false;

  constructor(options: InMemoryRunStoreOptions = {}) {
    super();
    this.#ledger = new Ledger(options.now);
  }

  async createStudy(input: Contract.NewStudy): Promise<StudyRecord> {
    this.#open();
    const study = this.#ledger.buildStudy(input);
    this.#ledger.putStudy(study);
    return study;
  }

  async startTrial(
    studyId: string,
    input: Contract.NewTrial,
    options: Contract.StartTrialOptions = {},
  ): Promise<TrialRecord> {
    this.#open();
    const trial = this.#ledger.buildTrial(studyId, input);
    this.#ledger.putTrial(trial);
    options.onCreated?.(trial);
    return trial;
  }

  async finishTrial(trialId: string, outcome: Contract.TrialOutcome): Promise<TrialRecord> {
    this.#open();
    const { trial, evaluations } = this.#ledger.buildFinish(trialId, outcome);
    this.#ledger.putTrial(trial);
    this.#ledger.putEvaluations(evaluations);
    return trial;
  }

  async getTrial(trialId: string): Promise<TrialRecord | undefined> {
    this.#open();
    return this.#ledger.findTrial(trialId);
  }

  async listTrials(studyId: string): Promise<TrialRecord[]> {
    this.#open();
    return [...this.#ledger.state(studyId, 'listTrials').trials];
  }

  async addEvaluations(trialId: string, inputs: Contract.NewEvaluation[]): Promise<EvaluationRecord[]> {
    this.#open();
    const evaluations = this.#ledger.buildEvaluations(trialId, inputs);
    this.#ledger.putEvaluations(evaluations);
    return evaluations;
  }

  async listEvaluations(studyId: string): Promise<EvaluationRecord[]> {
    this.#open();
    return [...this.#ledger.state(studyId, 'listEvaluations').evaluations];
  }

  async writeArtifact(studyId: string, trialId: string, name: string, data: Contract.ArtifactData): Promise<string> {
    this.#open();
    const trial = this.#ledger.trial(trialId, 'writeArtifact');
    if (trial.studyId !== studyId) {
      throw new Error(
        `run store: writeArtifact: trial '${trialId}' belongs to study '${trial.studyId}', not '${studyId}'`,
      );
    }
    const path = artifactPath(studyId, trialId, name);
    this.#artifacts.set(path, await artifactBytes(data));
    return path;
  }

  async readArtifact(path: string): Promise<Uint8Array> {
    this.#open();
    checkArtifactPath(path);
    const bytes = this.#artifacts.get(path);
    if (!bytes) throw new Error(`run store: readArtifact: no artifact at '${path}'`);
    return bytes.slice();
  }

  async close(): Promise<void> {
    this.#closed = true;
  }

  protected override openLedger(): Ledger {
    this.#open();
    return this.#ledger;
  }

  #open(): void {
    if (this.#closed) throw new Error('run store: the in-memory store is closed');
  }
}

/** An artifact's content as one fresh byte array (the caller's bytes are copied). */
async function artifactBytes(data: Contract.ArtifactData): Promise<Uint8Array> {
  if (typeof data === 'string') return new TextEncoder().encode(data);
  if (data instanceof Uint8Array) return data.slice();
  const pieces: Uint8Array[] = [];
  for await (const piece of data)
    pieces.push(typeof piece === 'string' ? new TextEncoder().encode(piece) : piece.slice());
  return Buffer.concat(pieces);
}
