/**
 * Recording one finished training: score every scoring variant from its errors, write
 * its artifacts, decide the threshold its model is saved with (by the study's objective)
 * and finish its trial record. The coordinator's thread alone runs this: it is the run
 * store's only writer.
 */
import { posix } from 'node:path';
import {
  ARTIFACT,
  binErrors,
  isBaselineParams,
  JsonArray,
  jsonTextPieces,
  MODEL_FILES,
  SPLIT_NAMES,
  savedModelInfoText,
  sha256Hex,
  stableStringify,
  type ErrorMetric,
  type Params,
  type SavedModelInfo,
} from '@aelab/core';
import { parseSavedModelInfo } from '@aelab/models/registry';
import type { ArtifactData, NewEvaluation, RunEnvironment, RunStore, StudyRecord, TrialRecord } from '@aelab/store';
import type { Experiment } from './experiment.js';
import type { ObjectiveBoard } from './objective-board.js';
import type { ScoringVariant } from './resolve.js';
import { curvesOf, errorsOf, scoreVariant, type CurveArrays, type TrialErrors } from './scoring.js';
import { MODEL_BLOB_PREFIX, type TrialResult } from './trial-task.js';

/** Identifies an evaluated configuration across repeats: training config x resolved scoring. */
export function evaluationHash(trainingHash: string, scoring: unknown): string {
  return sha256Hex(stableStringify({ training: trainingHash, scoring }));
}

export interface RecorderContext {
  store: RunStore;
  study: StudyRecord;
  experiment: Experiment;
  /** The scoring variants of the space, resolved when the study opened. */
  scoringVariants: readonly ScoringVariant[];
  board: ObjectiveBoard;
  environment(result?: TrialResult): RunEnvironment;
}

export class TrialRecorder {
  /** Model info of trials recorded by this process, and which evaluation each model's threshold came from. */
  private readonly models = new Map<string, { info: SavedModelInfo; stampedFrom: string }>();

  constructor(private readonly ctx: RecorderContext) {}

  /**
   * Records a training that finished (completed, stopped early or at its time limit).
   * `onScored` is called once its evaluations are on the board, before anything is written:
   * what the sampler and the leaderboard read of it is known from then on.
   */
  async complete(trial: TrialRecord, result: TrialResult, onScored?: () => void): Promise<TrialRecord> {
    const { store } = this.ctx;
    const errors = errorsOf(result);
    const evaluations = this.evaluate(trial, errors);
    const baseline = isBaselineParams(trial.params);
    this.ctx.board.add(evaluations.map((e) => ({ ...e, trainingHash: trial.configHash, trialId: trial.id, baseline })));
    onScored?.();
    const artifacts = await this.writeArtifacts(trial, result, errors, evaluations);
    artifacts[ARTIFACT.model] = await this.writeModel(trial, result);
    // One durable write records the outcome and its evaluations together.
    const done = await store.finishTrial(trial.id, {
      evaluations,
      status: 'complete',
      trainSeconds: result.trainSeconds,
      history: result.history,
      bestEpoch: result.bestEpoch,
      parameterCount: result.parameterCount,
      dataFingerprint: result.dataFingerprint,
      environment: this.ctx.environment(result),
      artifacts,
      reason: result.stopReason === 'completed' ? null : result.stopReason,
    });
    await this.restampSiblings(trial.configHash);
    return done;
  }

  /** Records a training its pruner stopped: its curve, no evaluations (it never competes). */
  async pruned(trial: TrialRecord, result: TrialResult, pruner: string): Promise<TrialRecord> {
    return this.ctx.store.finishTrial(trial.id, {
      status: 'pruned',
      trainSeconds: result.trainSeconds,
      history: result.history,
      parameterCount: result.parameterCount,
      dataFingerprint: result.dataFingerprint,
      environment: this.ctx.environment(result),
      reason: `pruned by the ${pruner} pruner after epoch ${result.history.length}`,
    });
  }

  private evaluate(trial: TrialRecord, errors: TrialErrors): (NewEvaluation & { sampled: Params })[] {
    return this.ctx.scoringVariants.map(({ sampled, scoring, flat }) => {
      const scored = scoreVariant(errors, scoring);
      return {
        configHash: evaluationHash(trial.configHash, scoring),
        scoring: { ...flat },
        sampled,
        threshold: scored.threshold,
        thresholdInterval: scored.thresholdInterval,
        usesLabels: scored.usesLabels,
        metrics: scored.metrics,
      };
    });
  }

  private async writeArtifacts(
    trial: TrialRecord,
    result: TrialResult,
    errors: TrialErrors,
    evaluations: readonly NewEvaluation[],
  ): Promise<Record<string, string>> {
    const artifacts: Record<string, string> = {};
    const write = async (name: string, data: ArtifactData) => {
      artifacts[name] = await this.ctx.store.writeArtifact(trial.studyId, trial.id, name, data);
    };
    const { errorMetric } = this.ctx.experiment.scoring;
    // Every row's errors and labels: on a large dataset tens of MiB of text, written in
    // pieces instead of as one string. The report draws from the curves and histograms.
    await write(ARTIFACT.errors, errorsArtifactText(errors));
    await write(ARTIFACT.curves, curvesArtifactText(errors, errorMetric));
    await write(ARTIFACT.histograms, JSON.stringify(errorHistogramsOf(errors, errorMetric, evaluations)));
    await write(ARTIFACT.examples, JSON.stringify(result.examples));
    if (result.series) await write(ARTIFACT.series, JSON.stringify(result.series));
    return artifacts;
  }

  /** Writes the model's files and its `aelab-model.json`, threshold decided first; returns the model folder. */
  private async writeModel(trial: TrialRecord, result: TrialResult): Promise<string> {
    for (const [name, data] of Object.entries(result.blobs)) {
      if (!name.startsWith(MODEL_BLOB_PREFIX)) continue;
      await this.ctx.store.writeArtifact(
        trial.studyId,
        trial.id,
        `${ARTIFACT.model}/${name.slice(MODEL_BLOB_PREFIX.length)}`,
        data,
      );
    }
    if (!result.modelInfo) throw new Error(`trial result: trial ${trial.id} finished but carries no model info`);
    return posix.dirname(await this.stamp(trial.id, trial.configHash, result.modelInfo));
  }

  /**
   * Writes `aelab-model.json` with the threshold of the evaluation the study uses for this
   * trial's training, and points at that evaluation (`extra.evaluation`, its config hash:
   * with the trial id it names the evaluation record).
   */
  private async stamp(trialId: string, trainingHash: string, info: SavedModelInfo): Promise<string> {
    const best = this.ctx.board.bestFor(trainingHash);
    const decision = best?.evaluations.find((e) => e.trialId === trialId);
    const stamped: SavedModelInfo = {
      ...info,
      threshold: decision?.threshold ?? null,
      extra: {
        ...info.extra,
        errorMetric: decision?.scoring['scoring.errorMetric'] ?? this.ctx.experiment.scoring.errorMetric,
        scoring: decision?.scoring ?? null,
        evaluation: decision?.configHash ?? null,
      },
    };
    const name = `${ARTIFACT.model}/${MODEL_FILES.info}`;
    const path = await this.ctx.store.writeArtifact(this.ctx.study.id, trialId, name, savedModelInfoText(stamped));
    this.models.set(trialId, { info, stampedFrom: decision?.configHash ?? '' });
    return path;
  }

  /**
   * A new repeat can change which scoring variant a training configuration ranks best
   * with (the objective is a mean over repeats): the models of its other repeats are then
   * saved again with that variant's threshold, so every repeat's model agrees with the study.
   */
  private async restampSiblings(trainingHash: string): Promise<void> {
    const best = this.ctx.board.bestFor(trainingHash);
    for (const evaluation of best?.evaluations ?? []) {
      const known = this.models.get(evaluation.trialId);
      if (known?.stampedFrom === best!.configHash) continue;
      const info = known?.info ?? (await this.storedModelInfo(evaluation.trialId));
      if (info) await this.stamp(evaluation.trialId, trainingHash, info);
    }
  }

  /**
   * The model info of a trial recorded by an earlier run of the study (resume), checked with
   * the schema `aelab score` reads it with: a damaged file is refused naming it and the field,
   * not saved again with a new threshold.
   */
  private async storedModelInfo(trialId: string): Promise<SavedModelInfo | undefined> {
    const folder = (await this.ctx.store.getTrial(trialId))?.artifacts[ARTIFACT.model];
    if (!folder) return undefined;
    const file = `${folder}/${MODEL_FILES.info}`;
    const text = new TextDecoder().decode(await this.ctx.store.readArtifact(file));
    let raw: unknown;
    try {
      raw = JSON.parse(text);
    } catch (error) {
      throw new Error(`${file} is not valid JSON: ${(error as Error).message}`);
    }
    return parseSavedModelInfo(file, raw);
  }
}

/**
 * The JSON text of `value` rounded to 9 significant digits, which round-trip every float32
 * exactly (7 do not: they merge distinct errors into ties), so metrics recomputed from the
 * file equal the recorded ones. The text `JSON.stringify(Number(value.toPrecision(9)))` writes,
 * made without reading the digits back and formatting the number again (a third of the
 * coordinator's time per trial went to writing errors): in fixed notation, JSON's text of
 * that number is toPrecision's without its trailing zeros, as no shorter decimal reads back
 * as the same double; exponents (below 1e-6, from 1e9) and NaN and infinities go the long way.
 */
export function float32Text(value: number): string {
  const text = value.toPrecision(9);
  if (!Number.isFinite(value) || text.includes('e')) return JSON.stringify(Number(text));
  return text.includes('.') ? text.replace(/\.?0+$/, '') : text;
}

/**
 * The errors artifact (core's `ErrorsArtifact`: each split's errors rounded to float32's 9
 * digits, its 0/1 labels and its class labels) as JSON text in UTF-8 pieces, read from
 * the typed arrays without number arrays of every row.
 */
export function errorsArtifactText(errors: TrialErrors): Iterable<Uint8Array> {
  const artifact: Record<string, unknown> = {};
  for (const name of SPLIT_NAMES) {
    const split = errors[name];
    if (!split) continue;
    const { labels } = split;
    const classes =
      'codes' in labels ? new JsonArray(labels.codes.length, (row) => labels.classes[labels.codes[row]]) : labels;
    artifact[name] = {
      mse: JsonArray.ofTokens(split.mse, float32Text),
      mae: JsonArray.ofTokens(split.mae, float32Text),
      y: JsonArray.of(split.y),
      labels: classes,
    };
  }
  return jsonTextPieces(artifact);
}

/**
 * A curve's points as core's `CurvePoints` has them (recall before precision), each array written from its typed array.
 */
function curvePointsText(curves: CurveArrays | undefined) {
  if (!curves) return undefined;
  const { roc, pr } = curves;
  return {
    roc: { fpr: JsonArray.of(roc.fpr), tpr: JsonArray.of(roc.tpr), thresholds: JsonArray.of(roc.thresholds) },
    pr: {
      recall: JsonArray.of(pr.recall),
      precision: JsonArray.of(pr.precision),
      thresholds: JsonArray.of(pr.thresholds),
    },
    rocAuc: curves.rocAuc,
    prAuc: curves.prAuc,
  };
}

/**
 * The curves artifact (core's `CurvesArtifact`: ROC and PR points of the test split, and
 * of the validation split where there is one) as JSON text in UTF-8 pieces, written from
 * typed arrays without number arrays of every point.
 */
export function curvesArtifactText(errors: TrialErrors, errorMetric: ErrorMetric): Iterable<Uint8Array> {
  const curves: Record<string, unknown> = { errorMetric, test: curvePointsText(curvesOf(errors.test, errorMetric)) };
  if (errors.validation) curves.validation = curvePointsText(curvesOf(errors.validation, errorMetric));
  return jsonTextPieces(curves);
}

/**
 * The histograms artifact: the train and test errors of `errorMetric` binned, the range reaching every threshold on
 * that metric.
 */
function errorHistogramsOf(
  errors: TrialErrors,
  errorMetric: ErrorMetric,
  evaluations: readonly Pick<NewEvaluation, 'scoring' | 'threshold'>[],
) {
  const thresholds = evaluations
    .filter((e) => e.scoring['scoring.errorMetric'] === errorMetric)
    .map((e) => e.threshold);
  return binErrors(
    errorMetric,
    { train: errors.train[errorMetric], test: { errors: errors.test[errorMetric], y: errors.test.y } },
    thresholds,
  );
}
