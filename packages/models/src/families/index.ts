/**
 * The model-family registry: the one list of families, and everything derived from it
 * (kinds, the spec schema and type, validation). Adding a family is its file plus one
 * entry in {@link MODEL_FAMILIES}. Loads without tfjs.
 */
import { z } from 'zod';
import { formatValue, issueMessage, schemaIssues } from '@aelab/core';
import { conv1dFamily } from './conv1d.js';
import { denseFamily } from './dense.js';
import type { DetectorFamily, ModelFamily } from './family.js';
import { isolationForestFamily } from './isolation-forest.js';
import { knnFamily } from './knn.js';
import { lstmFamily } from './lstm.js';
import { pcaFamily } from './pca.js';
import { rnnFamily } from './rnn.js';

/**
 * Every model family, in the order kinds are listed in messages and help: the autoencoders, then the baseline
 * detectors.
 */
export const MODEL_FAMILIES = [
  denseFamily,
  conv1dFamily,
  lstmFamily,
  rnnFamily,
  pcaFamily,
  isolationForestFamily,
  knnFamily,
] as const;

type SchemasOf<T extends readonly { schema: unknown }[]> = { -readonly [K in keyof T]: T[K]['schema'] };
// map() loses the tuple type discriminatedUnion needs; the mapped type restores it.
const familySchemas = MODEL_FAMILIES.map((family) => family.schema) as unknown as SchemasOf<typeof MODEL_FAMILIES>;

/** Any model spec: a family's spec, discriminated by `kind`. The experiment file schema embeds it. */
export const modelSpecSchema = z
  .discriminatedUnion('kind', familySchemas, {
    error: (issue) =>
      issue.code === 'invalid_union'
        ? issueMessage(issue)
        : `must be a model spec object, got ${formatValue(issue.input)}`,
  })
  .describe("A model spec: `kind` names the model family, the other fields are that family's.");

/** Any buildable model, discriminated by `kind`. */
export type ModelSpec = z.output<typeof modelSpecSchema>;
export type ModelKind = ModelSpec['kind'];

/** Every model kind, from the registry. */
export const MODEL_KINDS: readonly ModelKind[] = MODEL_FAMILIES.map((family) => family.kind);

/** A family of either kind: an autoencoder built and trained, or a baseline detector fitted. */
export type AnyFamily = ModelFamily<ModelSpec> | DetectorFamily<ModelSpec>;

const FAMILIES = new Map<unknown, AnyFamily>(MODEL_FAMILIES.map((family) => [family.kind, family as AnyFamily]));

/** The kinds of the baseline detectors (families fitted, not trained), from the registry. */
export const DETECTOR_KINDS: readonly ModelKind[] = MODEL_FAMILIES.filter((family) => 'detector' in family).map(
  (family) => family.kind,
);

/** True for the kind of a baseline detector family (`pca`, `isolation-forest`, `knn`). */
export function isDetectorKind(kind: unknown): boolean {
  return (DETECTOR_KINDS as readonly unknown[]).includes(kind);
}

/** A spec failed validation; `issues` lists every problem, each naming its field. */
export class InvalidModelSpecError extends Error {
  override readonly name = 'InvalidModelSpecError';
  constructor(readonly issues: string[]) {
    super(`invalid model spec: ${issues.join('; ')}`);
  }
}

function unknownKind(kind: unknown): string {
  return `kind must be one of ${MODEL_KINDS.join(', ')}, got ${formatValue(kind)}`;
}

/**
 * The family of `kind`. Typed for any spec: the registry guarantees that a family is only
 * handed specs of its own kind when they come through {@link validateModelSpec}.
 * @throws InvalidModelSpecError for a kind no family has.
 */
export function familyOf(kind: string): AnyFamily {
  const family = FAMILIES.get(kind);
  if (!family) throw new InvalidModelSpecError([unknownKind(kind)]);
  return family;
}

/**
 * The autoencoder family of `kind`.
 * @throws InvalidModelSpecError for an unknown kind or a baseline detector's (fitted, never built).
 */
export function autoencoderFamilyOf(kind: string): ModelFamily<ModelSpec> {
  const family = familyOf(kind);
  if ('detector' in family)
    throw new InvalidModelSpecError([`kind ${kind} is a baseline detector: it is fitted, not built as a network`]);
  return family;
}

/**
 * The baseline detector family of `kind`.
 * @throws InvalidModelSpecError for an unknown kind or an autoencoder's.
 */
export function detectorFamilyOf(kind: string): DetectorFamily<ModelSpec> {
  const family = familyOf(kind);
  if (!('detector' in family))
    throw new InvalidModelSpecError([`kind ${kind} is an autoencoder, not a baseline detector`]);
  return family;
}

/**
 * Every problem with `spec` for rows of `inputSize` values ([] when it can be built), each
 * naming its field: `dropout[1] must be in [0, 1), got 1`. Problems of the spec itself
 * come first; the checks that need the row size (`encoder[3]: bottleneck 200 is larger
 * than input 140`) run once the spec itself is valid.
 */
export function modelSpecIssues(spec: unknown, inputSize: number): string[] {
  if (typeof inputSize !== 'number' || !Number.isInteger(inputSize) || inputSize <= 0) {
    return [`inputSize must be a positive integer, got ${formatValue(inputSize)}`];
  }
  if (typeof spec !== 'object' || spec === null || Array.isArray(spec))
    return [`spec must be an object, got ${formatValue(spec)}`];
  const kind = (spec as { kind?: unknown }).kind;
  const family = FAMILIES.get(kind);
  if (!family) return [unknownKind(kind)];
  const issues = schemaIssues(family.schema, spec);
  return issues.length > 0 ? issues : family.inputIssues(spec as ModelSpec, inputSize);
}

/**
 * Checks that `spec` can be built for rows of `inputSize` values and returns it typed
 * (the same object).
 * @throws InvalidModelSpecError listing every issue, each naming its field.
 */
export function validateModelSpec(spec: unknown, inputSize: number): ModelSpec {
  const issues = modelSpecIssues(spec, inputSize);
  if (issues.length > 0) throw new InvalidModelSpecError(issues);
  return spec as ModelSpec;
}

/** Bytes per value: every tensor of a training is float32. */
const FLOAT32 = 4;

/**
 * About how much memory one training of `spec` takes at its peak, from the spec alone: the
 * weights with their gradients, Adam's two moments and a best-weights copy (5 per
 * parameter); the forward and backward activations of a batch (3 per activation); one
 * forward pass over the largest split at once (validation loss, reconstruction errors);
 * and the rows themselves twice (the split and its shuffled copy). An estimate, made to
 * refuse before training what cannot fit (an encoder layer of 400,000,000 units), not to
 * predict a training's footprint to the megabyte.
 */
export function estimateTrainingBytes(
  spec: ModelSpec,
  inputSize: number,
  data: { batchSize: number; rows: number },
): { bytes: number; parameters: number } {
  const { parameters, activationsPerRow } = familyOf(spec.kind).size(spec, inputSize);
  const values =
    5 * parameters +
    3 * activationsPerRow * Math.min(data.batchSize, data.rows) +
    activationsPerRow * data.rows +
    2 * data.rows * inputSize;
  return { bytes: values * FLOAT32, parameters };
}

export type { BuildKit, DetectorFamily, DetectorRows, FittedDetector, ModelFamily, ModelSize } from './family.js';
export { ACTIVATIONS, OUTPUT_ACTIVATIONS, perLayer, type Activation, type OutputActivation } from './fields.js';
export { denseFamily, denseSpecSchema, denseDecoder, type DenseSpec } from './dense.js';
export { conv1dFamily, conv1dSpecSchema, type Conv1dSpec } from './conv1d.js';
export { lstmFamily, lstmSpecSchema, type LstmSpec } from './lstm.js';
export { rnnFamily, rnnSpecSchema, type RnnSpec } from './rnn.js';
export { recurrentInputShape, type RecurrentSpec } from './recurrent.js';
export { pcaFamily, pcaSpecSchema, type PcaSpec } from './pca.js';
export {
  averagePathLength,
  isolationForestFamily,
  isolationForestSpecSchema,
  type IsolationForestSpec,
} from './isolation-forest.js';
export { KNN_AGGREGATES, knnFamily, knnSpecSchema, type KnnSpec } from './knn.js';
