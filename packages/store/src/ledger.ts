import { evaluationId, newStudyId, parseTrialId, trialId } from './ids.js';
import type { TrialStatus } from '@aelab/core';
import type { EvaluationRecord, StudyRecord, TrialRecord } from './records.js';
import type { NewEvaluation, NewStudy, NewTrial, TrialOutcome } from './run-store.js';
import { storedCopy } from './snapshot.js';

/** What a store knows of one study once its trials are loaded. */
export interface StudyState {
  study: StudyRecord;
  /** Indexed by trial number. */
  trials: TrialRecord[];
  /** In creation (id) order. */
  evaluations: EvaluationRecord[];
}

const OUTCOME_STATUSES: readonly TrialStatus[] = ['complete', 'failed', 'interrupted', 'pruned'];
/** A trial takes evaluations while it runs or once complete, never after it failed or stopped. */
const EVALUABLE_STATUSES: readonly TrialStatus[] = ['running', 'complete'];

/**
 * The rules of {@link RunStore} over in-memory state, shared by every implementation so
 * they cannot disagree. `build*` methods validate and return the frozen record a
 * mutation would store without storing it; `put*` methods store it. A persistent store
 * builds, writes to disk, then puts, so memory never holds what the disk does not.
 */
export class Ledger {
  readonly #studies: StudyRecord[] = [];
  readonly #states = new Map<string, StudyState>();
  readonly #now: () => Date;

  constructor(now: () => Date = () => new Date()) {
    this.#now = now;
  }

  studies(): StudyRecord[] {
    return [...this.#studies];
  }

  study(id: string): StudyRecord | undefined {
    return this.#states.get(id)?.study;
  }

  /** The loaded state of a study; throws naming the study when it does not exist. */
  state(studyId: string, operation: string): StudyState {
    const state = this.#states.get(studyId);
    if (!state) throw new Error(`run store: ${operation}: no study with id '${studyId}'`);
    return state;
  }

  buildStudy(input: NewStudy): StudyRecord {
    const created = input.createdAt ? new Date(input.createdAt) : this.#now();
    if (Number.isNaN(created.getTime())) {
      throw new Error(`run store: createStudy: createdAt must be an ISO 8601 date, got '${input.createdAt}'`);
    }
    let id = newStudyId(created);
    while (this.#states.has(id)) id = newStudyId(created);
    requireString('createStudy', 'experimentHash', input.experimentHash);
    return storedCopy<StudyRecord>({ ...input, id, createdAt: created.toISOString() });
  }

  putStudy(study: StudyRecord, trials: TrialRecord[] = [], evaluations: EvaluationRecord[] = []): void {
    if (!this.#states.has(study.id)) this.#studies.push(study);
    this.#states.set(study.id, { study, trials, evaluations });
  }

  buildTrial(studyId: string, input: NewTrial): TrialRecord {
    const state = this.state(studyId, 'startTrial');
    requireString('startTrial', 'configHash', input.configHash);
    if (!Number.isInteger(input.repeat) || input.repeat < 0) {
      throw new Error(`run store: startTrial: repeat must be a non-negative integer, got ${input.repeat}`);
    }
    if (!Number.isFinite(input.seed)) {
      throw new Error(`run store: startTrial: seed must be a finite number, got ${input.seed}`);
    }
    const number = state.trials.length;
    const record: TrialRecord = {
      id: trialId(studyId, number),
      studyId,
      number,
      configHash: input.configHash,
      params: input.params,
      sampled: input.sampled ?? null,
      distributions: input.distributions ?? null,
      repeat: input.repeat,
      seed: input.seed,
      status: 'running',
      reason: null,
      startedAt: input.startedAt ?? this.#now().toISOString(),
      finishedAt: null,
      trainSeconds: null,
      environment: input.environment,
      dataFingerprint: input.dataFingerprint ?? null,
      history: [],
      bestEpoch: null,
      parameterCount: null,
      artifacts: {},
    };
    return storedCopy(record);
  }

  buildOutcome(id: string, outcome: TrialOutcome): TrialRecord {
    const trial = this.trial(id, 'finishTrial');
    if (trial.status !== 'running') {
      throw new Error(
        `run store: finishTrial: trial '${id}' is already ${trial.status}` +
          (trial.finishedAt ? ` (finished ${trial.finishedAt})` : '') +
          '; finished trials never change',
      );
    }
    if (!OUTCOME_STATUSES.includes(outcome.status)) {
      throw new Error(
        `run store: finishTrial: status must be one of ${OUTCOME_STATUSES.join(', ')}, got '${outcome.status}'`,
      );
    }
    const record: TrialRecord = {
      ...trial,
      status: outcome.status,
      reason: outcome.reason ?? null,
      finishedAt: outcome.finishedAt ?? this.#now().toISOString(),
      trainSeconds: outcome.trainSeconds ?? null,
      history: outcome.history ?? trial.history,
      bestEpoch: outcome.bestEpoch ?? null,
      parameterCount: outcome.parameterCount ?? null,
      dataFingerprint: outcome.dataFingerprint ?? trial.dataFingerprint,
      environment: outcome.environment ?? trial.environment,
      artifacts: { ...trial.artifacts, ...outcome.artifacts },
    };
    return storedCopy(record);
  }

  /** The trial record and evaluations `finishTrial` stores; only a `complete` outcome carries evaluations. */
  buildFinish(id: string, outcome: TrialOutcome): { trial: TrialRecord; evaluations: EvaluationRecord[] } {
    const inputs = outcome.evaluations ?? [];
    if (inputs.length > 0 && outcome.status !== 'complete') {
      const got = `got ${inputs.length}`;
      throw new Error(`run store: finishTrial: a ${outcome.status} outcome carries no evaluations, ${got}`);
    }
    const evaluations = inputs.length > 0 ? this.buildEvaluations(id, inputs) : [];
    return { trial: this.buildOutcome(id, outcome), evaluations };
  }

  buildEvaluations(id: string, inputs: NewEvaluation[]): EvaluationRecord[] {
    const trial = this.trial(id, 'addEvaluations');
    if (!EVALUABLE_STATUSES.includes(trial.status)) {
      throw new Error(
        `run store: addEvaluations: trial '${id}' is ${trial.status}; only running or complete trials take evaluations`,
      );
    }
    const state = this.state(trial.studyId, 'addEvaluations');
    const createdAt = this.#now().toISOString();
    return inputs.map((input, i) => {
      requireString('addEvaluations', `evaluations[${i}].configHash`, input.configHash);
      return storedCopy<EvaluationRecord>({
        ...input,
        sampled: input.sampled ?? null,
        id: evaluationId(trial.studyId, state.evaluations.length + i),
        studyId: trial.studyId,
        trialId: id,
        createdAt: input.createdAt ?? createdAt,
      });
    });
  }

  /** Stores a new trial or replaces one with the same number. */
  putTrial(trial: TrialRecord): void {
    this.state(trial.studyId, 'putTrial').trials[trial.number] = trial;
  }

  putEvaluations(evaluations: EvaluationRecord[]): void {
    for (const evaluation of evaluations) {
      this.state(evaluation.studyId, 'putEvaluations').evaluations.push(evaluation);
    }
  }

  /** A trial of a loaded study; throws naming the trial when it does not exist. */
  trial(id: string, operation: string): TrialRecord {
    const trial = this.findTrial(id);
    if (!trial) throw new Error(`run store: ${operation}: no trial with id '${id}'`);
    return trial;
  }

  findTrial(id: string): TrialRecord | undefined {
    const parsed = parseTrialId(id);
    if (!parsed) return undefined;
    const trial = this.#states.get(parsed.studyId)?.trials[parsed.number];
    return trial?.id === id ? trial : undefined;
  }
}

function requireString(operation: string, field: string, value: unknown): void {
  if (typeof value !== 'string' || value.length === 0) {
    throw new Error(`run store: ${operation}: ${field} must be a non-empty string, got ${JSON.stringify(value)}`);
  }
}
