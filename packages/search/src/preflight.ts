import {
  definitionOfRule,
  metricUsesLabels,
  schemaProblems,
  stableStringify,
  thresholdRuleSchema,
  type ThresholdRule,
  type LabelUse,
  trainingSchema,
  type Params,
  type SearchSpace,
} from '@aelab/core';
import { DataPreparationError, datasetFileBytes, loadDataset, prepareData } from '@aelab/data';
import { estimateTrainingBytes, modelSpecIssues, type ModelSpec } from '@aelab/models/registry';
import { ExperimentError, repeatData, type Experiment } from './experiment.js';
import { dataSchema } from './trial-data-schema.js';
import { baselineParams, modelSpecOf, resolveBaseline, resolveScoring, resolveTraining } from './resolve.js';
import { PreparationThread } from './preparation-thread.js';
import type { SharedPreparedData } from './shared-data.js';
import type { TrainingConfig } from './trial-task.js';
import { enumerateGrid, fromUnit } from './space.js';

/**
 * A data section prepared once, as a worker will prepare it: its shape for the model
 * checks, and what preparing it says (a normal class that matches nothing, one class
 * only, too few rows are errors; an empty validation split is a warning), found once
 * before training instead of once per trial.
 */
interface DataShape {
  features: number;
  /** Rows of the largest split (one forward pass over it is part of a training's peak). */
  rows: number;
  problem?: string;
  /** An invalid data section that could not be loaded: its schema problems say why, the model is not checked. */
  unloadable?: boolean;
  warnings: string[];
  /** The validation split's rows by class: label metrics and bestF1 on validation need both. */
  validation?: { normal: number; anomalies: number };
  /** Where its anomalies went (sections told apart by `trainOn` once all are known). */
  labelUse?: LabelUse & { trainOn: string };
  /** The dataset, for messages. */
  dataset: string;
}

/** Where a data section is prepared: in a thread, into shared memory, when the prepared data is kept for workers. */
interface Preparing {
  keep?: SharedPreparedData;
  thread?: PreparationThread;
}

/**
 * Datasets from files up to this size are prepared on the coordinator's thread: a thread of its own costs more
 * than their parse (measured, ecg.csv's 7.9 MB: ~200 ms to start a thread and load @aelab/data in it, beside
 * the pool's threads starting on the same cores, against ~200 ms to prepare), and their parse's garbage is small.
 */
const IN_THREAD_BYTES = 32 * 2 ** 20;

/** Whether `data` is prepared in the preparation thread: its files are large, or unknown (not found: it says why). */
export function preparedInThread(data: TrainingConfig['data'], dataDir: string | undefined): boolean {
  const bytes = datasetFileBytes(data.dataset, dataDir);
  return bytes === null || bytes > IN_THREAD_BYTES;
}

async function shapeOf(
  data: TrainingConfig['data'],
  valid: boolean,
  dataDir: string | undefined,
  { keep, thread }: Preparing,
): Promise<DataShape> {
  if (!valid) {
    // Loaded only for the model checks' feature count; a section whose problems (its
    // loader options, say) keep it from loading is reported by those problems alone.
    const dataset = await loadDataset(data.dataset, data.options ?? {}, { dataDir }).catch(() => undefined);
    if (!dataset) return { features: 0, rows: 0, unloadable: true, warnings: [], dataset: data.dataset };
    return { features: dataset.features, rows: dataset.rows, warnings: [], dataset: data.dataset };
  }
  try {
    // Kept: prepared straight into shared memory (no second copy for the workers), from a load of its own whose rows
    // become the splits'; from a large file in a thread whose end frees the parsed file (see preparation-thread.ts).
    const prepared =
      keep && thread && preparedInThread(data, dataDir)
        ? await thread.prepare(data, dataDir)
        : await prepareData(data, { dataDir, memory: keep ? 'shared' : 'local', ...(keep && { consume: true }) });
    if ('classes' in prepared) keep?.addMessage(data, prepared);
    else keep?.add(data, prepared);
    const rows = Math.max(prepared.train.rows, prepared.validation.rows, prepared.test.rows);
    const anomalies = prepared.validation.y.reduce((n, y) => n + y, 0);
    const validation = { normal: prepared.validation.rows - anomalies, anomalies };
    const labelUse = {
      section: '',
      trainOn: data.trainOn ?? 'normal',
      validationAnomalies: anomalies,
      droppedTrainingAnomalies: prepared.droppedTrainingAnomalies,
      trainedAnomalies: prepared.train.y.reduce((n, y) => n + y, 0),
    };
    return {
      features: prepared.features,
      rows,
      warnings: prepared.warnings ?? [],
      validation,
      labelUse,
      dataset: data.dataset,
    };
  } catch (err) {
    if (!(err instanceof DataPreparationError)) throw err;
    return { features: 0, rows: 0, problem: `data: ${err.message}`, warnings: [], dataset: data.dataset };
  }
}

/** What preflight checks a configuration against besides the schemas, and where it keeps what it prepares. */
export interface PreflightOptions {
  /** Where the data it prepares is kept for the executor (see SharedPreparedData); not kept when absent. */
  keep?: SharedPreparedData;
  /** Memory one training may take (bytes); configurations estimated above it are refused. */
  trialMemoryBytes: number;
  /** Where the limit comes from, for the message. */
  memorySource: string;
}

const gigabytes = (bytes: number) => `${(bytes / 2 ** 30).toFixed(bytes < 2 ** 30 ? 2 : 1)} GB`;

/** A configuration whose estimated memory exceeds the trial limit, in words; undefined when it fits. */
function memoryIssue(
  spec: ModelSpec,
  config: TrainingConfig,
  shape: Pick<DataShape, 'features' | 'rows'>,
  limits: PreflightOptions,
): string | undefined {
  const { bytes, parameters } = estimateTrainingBytes(spec, shape.features, {
    batchSize: config.training.batchSize,
    rows: shape.rows,
  });
  if (bytes <= limits.trialMemoryBytes) return undefined;
  return (
    `model needs about ${gigabytes(bytes)} to train (${parameters.toExponential(2)} parameters), ` +
    `over the limit of ${gigabytes(limits.trialMemoryBytes)} per trial (${limits.memorySource})`
  );
}

/**
 * Problems of one training configuration that would only surface inside a worker (or
 * take the machine down there): each names the field at fault.
 */
export async function trainingIssues(
  config: TrainingConfig,
  dataDir: string | undefined,
  limits: PreflightOptions,
  cache = new Map<string, Promise<DataShape>>(),
  thread?: PreparationThread,
): Promise<string[]> {
  // Swept params land in the resolved config: a misspelt name is an unknown field here.
  const dataProblems = schemaProblems(dataSchema, config.data, ['data']);
  const sections = [...schemaProblems(trainingSchema, config.training, ['training']), ...dataProblems].map(
    (p) => `${p.path} ${p.message}`,
  );
  const key = stableStringify({ data: config.data, valid: dataProblems.length === 0 });
  let shape = cache.get(key);
  if (!shape)
    cache.set(key, (shape = shapeOf(config.data, dataProblems.length === 0, dataDir, { keep: limits.keep, thread })));
  const { features, rows, problem, unloadable } = await shape;
  if (problem) return [...sections, problem];
  if (unloadable) return sections;
  const spec = modelSpecOf(config);
  const model = modelSpecIssues(spec, features).map((issue) => `model.${issue}`);
  const memory =
    model.length === 0 && sections.length === 0
      ? memoryIssue(spec as ModelSpec, config, { features, rows }, limits)
      : undefined;
  return [...sections, ...model, ...(memory ? [memory] : [])];
}

/**
 * The configurations checked before training: every one a grid will train; for other
 * samplers, the base and each parameter alone at each of its values (a categorical's) or
 * at both ends of its range, so a misspelt name or an unbuildable value is caught before
 * the first trial, not in it.
 */
function configurationsToCheck(experiment: Experiment, space: SearchSpace): Params[] {
  if (experiment.sampler.type === 'grid') return enumerateGrid(space);
  const alone = Object.entries(space)
    .filter(([, d]) => !d.when)
    .flatMap(([name, d]) =>
      (d.type === 'categorical' ? d.values : [fromUnit(d, 0), fromUnit(d, 1 - 1e-12)]).map((value) => ({
        [name]: value,
      })),
    );
  return [{}, ...alone];
}

const describe = (params: Params, base: string) =>
  Object.keys(params).length
    ? `space (${Object.entries(params)
        .map(([k, v]) => `${k}=${JSON.stringify(v)}`)
        .join(', ')})`
    : base;

/** A scoring variant of the space, resolved once for every check that reads it. */
interface ResolvedVariant {
  params: Params;
  rule?: ThresholdRule;
  /** Why it does not resolve (an unknown rule, ...). */
  error?: string;
}

function resolveVariants(experiment: Experiment, variants: readonly Params[]): ResolvedVariant[] {
  return variants.map((params) => {
    try {
      return { params, rule: resolveScoring(experiment, params).threshold };
    } catch (err) {
      return { params, error: (err as Error).message };
    }
  });
}

/** The split a checked rule is fit on (its registered `fitsOn`), and whether it reads that split's labels. */
function fitOf(rule: ThresholdRule): { split: string | null; usesLabels: boolean } {
  const definition = definitionOfRule(rule);
  return { split: definition.fitsOn(rule), usesLabels: definition.usesLabels };
}

/** Every scoring variant's problems (a percentile of 150), found before training rather than after it. */
function scoringProblems(
  experiment: Experiment,
  variants: readonly ResolvedVariant[],
): { path: string; message: string }[] {
  return variants.flatMap(({ params, rule, error }) => {
    const problems = rule
      ? schemaProblems(thresholdRuleSchema, rule, ['threshold']).map((p) => `${p.path} ${p.message}`)
      : [error!];
    const fit = rule && problems.length === 0 ? fitOf(rule) : undefined;
    if (fit?.split === 'test' && fit.usesLabels && experiment.selection.allowTest !== true) {
      problems.push(
        `threshold.on "test": a ${rule!.rule} threshold fit on test labels makes every test score optimistic; ` +
          'fit it on "validation", or set selection.allowTest: true to accept that',
      );
    }
    return problems.map((message) => ({ path: describe(params, 'scoring'), message }));
  });
}

/** The problems of every configuration checked (see configurationsToCheck), each data problem once. */
async function configurationProblems(
  experiment: Experiment,
  training: SearchSpace,
  {
    dataDir,
    limits,
    cache,
    thread,
  }: { dataDir?: string; limits: PreflightOptions; cache: Map<string, Promise<DataShape>>; thread?: PreparationThread },
): Promise<{ path: string; message: string }[]> {
  const problems: { path: string; message: string }[] = [];
  const seen = new Set<string>();
  const sampled = configurationsToCheck(experiment, training).map((params) => ({ params, spec: undefined }));
  const baselines = (experiment.baselines ?? []).map((spec) => ({ params: baselineParams(spec), spec }));
  for (const { params, spec } of [...sampled, ...baselines]) {
    const where = describe(params, 'model');
    let config: TrainingConfig;
    try {
      config = spec ? resolveBaseline(experiment, spec) : resolveTraining(experiment, params);
    } catch (err) {
      problems.push({ path: where, message: (err as Error).message });
      continue;
    }
    // Each repeat's draw of the split is prepared (and kept) too: its own rows may fail a check.
    const draws = experiment.resample && experiment.resample !== 'none' ? experiment.repeats : 1;
    for (let repeat = 0; repeat < draws; repeat++) {
      const drawn = { ...config, data: repeatData(experiment, config.data, repeat) };
      for (const issue of await trainingIssues(drawn, dataDir, limits, cache, thread)) {
        // A data problem is the data section's, whichever configuration met it first: once.
        const key = issue.startsWith('data: ') ? issue : `${where}|${issue}`;
        if (seen.has(key)) continue;
        seen.add(key);
        problems.push({ path: where, message: issue });
      }
    }
  }
  return problems;
}

/** What preflight found besides problems: what the study shows before it starts. */
export interface PreflightReport {
  /** The data warnings, each once. */
  warnings: string[];
  /** Where the anomalies of each prepared data section (each draw) went; a section per `trainOn` where they differ. */
  labelUse: LabelUse[];
}

/**
 * Checks what a study will train and score before any training starts (see
 * configurationsToCheck), so a bad spec or value is one clear error listing every
 * problem, not a string of failed trials or results thrown away after training. Returns
 * the data warnings (each once) and the label use, for the study to show before it starts.
 */
export async function preflight(
  experiment: Experiment,
  file: string,
  space: { training: SearchSpace; scoringVariants: readonly Params[] },
  limits: PreflightOptions,
  dataDir?: string,
): Promise<PreflightReport> {
  const cache = new Map<string, Promise<DataShape>>();
  const variants = resolveVariants(experiment, space.scoringVariants);
  const problems = scoringProblems(experiment, variants);
  const thread = limits.keep ? new PreparationThread() : undefined;
  try {
    problems.push(...(await configurationProblems(experiment, space.training, { dataDir, limits, cache, thread })));
  } finally {
    await thread?.close();
  }
  const shapes = await Promise.all(cache.values());
  problems.push(...validationProblems(experiment, variants, shapes));
  if (problems.length > 0) throw new ExperimentError(file, problems);
  const uses = shapes.flatMap((s) => (s.labelUse ? [s.labelUse] : []));
  const sectioned = new Set(uses.map((u) => u.trainOn)).size > 1;
  const labelUse = uses.map(({ trainOn, ...use }) => ({ ...use, section: sectioned ? `trainOn "${trainOn}"` : '' }));
  return { warnings: [...new Set(shapes.flatMap((s) => s.warnings))], labelUse };
}

/** What a selection rule or threshold needs of the validation split: rows, normal rows, or both classes. */
type ValidationNeed = 'rows' | 'normal' | 'labels';

/** Why a validation split lacks what is needed, or undefined when it has it. */
function validationLack(validation: { normal: number; anomalies: number }, need: ValidationNeed): string | undefined {
  const { normal, anomalies } = validation;
  if (normal + anomalies === 0) return 'is empty';
  if (need === 'normal' && normal === 0) return 'has no normal rows';
  if (need === 'labels' && (normal === 0 || anomalies === 0))
    return `has ${anomalies} anomalies and ${normal} normal rows`;
  return undefined;
}

/** How to get what is missing, for the message. */
function validationFix(lack: string, need: ValidationNeed): string {
  if (lack === 'is empty')
    return 'use more rows or a larger data.validationFraction (each trial would otherwise train for nothing)';
  if (need === 'labels') {
    return (
      'set data.validationAnomalies to "keep" ' +
      "(validation then also holds the training rows' anomalies, never trained on), " +
      'or select on a metric without labels such as mse'
    );
  }
  return 'compute the threshold on "train"';
}

/**
 * What needs validation rows that the data does not give: any selection on validation
 * (rows), a threshold computed on validation (normal rows), a label metric (F1, ROC-AUC,
 * ...) selected on validation or a bestF1 threshold fit there (both classes). Without them
 * these would be undefined (or, as once, silently read the test labels) and every trial
 * would fail or never win, so the study stops before training and says how to get them.
 */
function validationProblems(
  experiment: Experiment,
  variants: readonly ResolvedVariant[],
  shapes: readonly DataShape[],
): { path: string; message: string }[] {
  const needs: { path: string; what: string; need: ValidationNeed }[] = [];
  const { selection } = experiment;
  if (selection.split === 'validation') {
    needs.push({
      path: 'selection',
      what: `${selection.metric} on validation`,
      need: metricUsesLabels(selection.metric) ? 'labels' : 'rows',
    });
  }
  for (const { params, rule } of variants) {
    const path = describe(params, 'scoring');
    const fit = rule && schemaProblems(thresholdRuleSchema, rule).length === 0 ? fitOf(rule) : undefined;
    if (fit?.split !== 'validation') continue;
    needs.push({ path, what: `a ${rule!.rule} threshold on validation`, need: fit.usesLabels ? 'labels' : 'normal' });
  }
  const unique = [...new Map(needs.map((n) => [n.what, n])).values()];
  return shapes.flatMap((shape) =>
    unique.flatMap((n) => {
      const lack = !shape.problem && shape.validation ? validationLack(shape.validation, n.need) : undefined;
      if (!lack) return [];
      const noun =
        n.need === 'labels'
          ? 'labelled validation rows'
          : n.need === 'normal'
            ? 'normal validation rows'
            : 'validation rows';
      const message =
        `${n.what} needs ${noun}, but the validation split of ${shape.dataset} ${lack}: ` +
        `${validationFix(lack, n.need)}`;
      return [{ path: n.path, message }];
    }),
  );
}
