/**
 * Model specs: plain JSON objects (they live in experiment files and trial records) that the
 * pure builders in `builders/` turn into tf.LayersModels. Every spec is checked by
 * {@link validateModelSpec} before anything is built, so a bad trial fails with a message
 * that names the field instead of a tfjs shape error deep inside training.
 */

/** Hidden-layer activations the builders accept (all are tfjs built-ins). */
export type Activation = 'relu' | 'elu' | 'selu' | 'tanh' | 'sigmoid' | 'linear' | 'swish';
export const ACTIVATIONS: readonly Activation[] = ['relu', 'elu', 'selu', 'tanh', 'sigmoid', 'linear', 'swish'];

/** Output activation: `linear` for standardised inputs, `sigmoid` for inputs scaled to [0, 1]. */
export type OutputActivation = 'linear' | 'sigmoid';

/**
 * A fully connected autoencoder: input -> encoder widths (the last is the bottleneck) ->
 * decoder widths -> a linear/sigmoid output layer as wide as the input.
 */
export interface DenseSpec {
  kind: 'dense';
  /** Encoder layer widths, ending in the bottleneck, e.g. `[128, 64, 32, 16]`. */
  encoder: number[];
  /**
   * Decoder hidden widths (the output layer is added automatically). Absent: the encoder
   * mirrored without its bottleneck, e.g. `[32, 64, 128]` for the encoder above.
   */
  decoder?: number[];
  /** Activation of every hidden layer (encoder and decoder). */
  activation: Activation;
  /** Activation of the output layer. */
  outputActivation: OutputActivation;
  /**
   * Dropout rate in [0, 1) after each hidden layer: one number for all, or one per hidden
   * layer in order encoder then decoder (missing entries mean 0).
   */
  dropout: number | number[];
  /** L2 penalty on each hidden layer's kernel: one number for all, or per hidden layer as `dropout`. */
  l2: number | number[];
}

/**
 * A 1-D convolutional autoencoder over a univariate sequence (each row is one sequence of
 * `inputSize` steps): Conv1D + MaxPool blocks down, UpSampling + Conv1D blocks up, a
 * 1-filter Conv1D output, cropped back to the input length.
 */
export interface Conv1dSpec {
  kind: 'conv1d';
  /** Filters of each encoder block, e.g. `[32, 16]`; the decoder mirrors them. */
  filters: number[];
  /** Convolution kernel width (odd sizes keep the `same` padding centred). */
  kernelSize: number;
  /** Max-pool size and upsampling factor of each block (default 2). */
  poolSize?: number;
  /** Activation of every hidden convolution. */
  activation: Activation;
  /** Activation of the output convolution. */
  outputActivation: OutputActivation;
  /** Dropout rate in [0, 1) after each encoder block. */
  dropout: number;
  /** L2 penalty on every hidden convolution kernel. */
  l2: number;
}

/** Fields shared by the recurrent (sequence-to-sequence) autoencoders. */
export interface RecurrentSpecBase {
  /**
   * Encoder recurrent layer units, the last being the bottleneck (its final state is
   * repeated over the output sequence); the decoder mirrors them in reverse.
   */
  units: number[];
  /**
   * How a row becomes a sequence: `sequence` = `inputSize` steps of 1 feature (ECG beats);
   * `tabular` = 1 step of `inputSize` features (the seed-004 variant for tabular data).
   */
  layout: 'sequence' | 'tabular';
  /** Activation of the time-distributed output layer. */
  outputActivation: OutputActivation;
  /** Dropout rate in [0, 1) on each recurrent layer's inputs. */
  dropout: number;
  /** L2 penalty on every recurrent layer's input kernel. */
  l2: number;
}

/** Encoder LSTM(s) -> repeat -> decoder LSTM(s) -> time-distributed dense. */
export interface LstmSpec extends RecurrentSpecBase {
  kind: 'lstm';
}

/** As {@link LstmSpec} with SimpleRNN cells. */
export interface RnnSpec extends RecurrentSpecBase {
  kind: 'rnn';
}

/** Any buildable model, discriminated by `kind`. */
export type ModelSpec = DenseSpec | Conv1dSpec | LstmSpec | RnnSpec;
export type ModelKind = ModelSpec['kind'];
export const MODEL_KINDS: readonly ModelKind[] = ['dense', 'conv1d', 'lstm', 'rnn'];

/** seed-000's dense network: 140-128-64-32-16-32-64-128-140, relu, linear output. */
const ECG_DENSE = {
  kind: 'dense',
  encoder: [128, 64, 32, 16],
  activation: 'relu',
  outputActivation: 'linear',
  dropout: 0,
  l2: 0,
} as const satisfies DenseSpec;

/** The seed work's architectures, by name. */
export const PRESETS = {
  /** seed-000 V1: the dense network (V1 trains it on all classes). */
  'ecg-v1': ECG_DENSE,
  /** seed-000 V2: the same network as V1 (V2 changed training, not the architecture). */
  'ecg-v2': ECG_DENSE,
  /** seed-000 V3: V1 plus L2 0.001 and dropout 0.2 on the first two layers. */
  'ecg-v3': { ...ECG_DENSE, dropout: [0.2, 0.2], l2: [0.001, 0.001] },
  /** The TensorFlow anomaly-detection tutorial: 32-16-8 / 16-32-input, relu, sigmoid output. */
  'tf-tutorial': {
    kind: 'dense',
    encoder: [32, 16, 8],
    activation: 'relu',
    outputActivation: 'sigmoid',
    dropout: 0,
    l2: 0,
  },
  /** Conv1D AE used by the benchmarks: 32/16 filters, kernel 7, pool 2. */
  'conv1d-small': {
    kind: 'conv1d',
    filters: [32, 16],
    kernelSize: 7,
    poolSize: 2,
    activation: 'relu',
    outputActivation: 'linear',
    dropout: 0,
    l2: 0,
  },
  /** LSTM(32) sequence-to-sequence over the sequence. */
  'lstm-seq2seq': {
    kind: 'lstm',
    units: [32],
    layout: 'sequence',
    outputActivation: 'linear',
    dropout: 0,
    l2: 0,
  },
  /** seed-004 tabular LSTM: the features as one time step. */
  'lstm-tabular': {
    kind: 'lstm',
    units: [64, 32],
    layout: 'tabular',
    outputActivation: 'linear',
    dropout: 0,
    l2: 0,
  },
} as const satisfies Record<string, ModelSpec>;
export type PresetName = keyof typeof PRESETS;

/** A spec failed validation; `issues` lists every problem, each naming its field. */
export class InvalidModelSpecError extends Error {
  override readonly name = 'InvalidModelSpecError';
  constructor(readonly issues: string[]) {
    super(`invalid model spec: ${issues.join('; ')}`);
  }
}

/** Decoder hidden widths of a dense spec (explicit, or the encoder mirrored). */
export function denseDecoder(spec: DenseSpec): number[] {
  return spec.decoder ?? spec.encoder.slice(0, -1).reverse();
}

/** The per-hidden-layer value of a `number | number[]` field (missing entries are 0). */
export function perLayer(value: number | number[], layer: number): number {
  return Array.isArray(value) ? (value[layer] ?? 0) : value;
}

const isPositiveInt = (v: unknown): v is number => typeof v === 'number' && Number.isInteger(v) && v > 0;
const fmt = (v: unknown) => (typeof v === 'number' ? String(v) : JSON.stringify(v));

function checkRate(issues: string[], field: string, v: unknown): void {
  if (typeof v !== 'number' || !Number.isFinite(v) || v < 0 || v >= 1) issues.push(`${field} must be in [0, 1), got ${fmt(v)}`);
}

function checkPenalty(issues: string[], field: string, v: unknown): void {
  if (typeof v !== 'number' || !Number.isFinite(v) || v < 0) issues.push(`${field} must be a finite number >= 0, got ${fmt(v)}`);
}

function checkPerLayer(issues: string[], field: string, v: unknown, layers: number, check: typeof checkRate): void {
  if (Array.isArray(v)) {
    if (v.length > layers) issues.push(`${field} has ${v.length} entries but the model has ${layers} hidden layers`);
    v.forEach((x, i) => check(issues, `${field}[${i}]`, x));
  } else check(issues, field, v);
}

function checkWidths(issues: string[], field: string, v: unknown, inputSize: number, what: string): v is number[] {
  if (!Array.isArray(v) || v.length === 0) {
    issues.push(`${field} must be a non-empty array of positive integers, got ${fmt(v)}`);
    return false;
  }
  let ok = true;
  v.forEach((w, i) => {
    if (!isPositiveInt(w)) {
      issues.push(`${field}[${i}] must be a positive integer, got ${fmt(w)}`);
      ok = false;
    }
  });
  const last = v.length - 1;
  if (ok && what && v[last] > inputSize) issues.push(`${field}[${last}]: ${what} ${v[last]} is larger than input ${inputSize}`);
  return ok;
}

function checkEnum<T>(issues: string[], field: string, v: unknown, allowed: readonly T[]): void {
  if (!allowed.includes(v as T)) issues.push(`${field} must be one of ${allowed.join(', ')}, got ${fmt(v)}`);
}

/**
 * Every problem with `spec` for rows of `inputSize` values (empty when it can be built).
 * Messages name the field: `encoder[3]: bottleneck 200 is larger than input 140`.
 */
export function modelSpecIssues(spec: unknown, inputSize: number): string[] {
  const issues: string[] = [];
  if (!isPositiveInt(inputSize)) return [`inputSize must be a positive integer, got ${fmt(inputSize)}`];
  if (typeof spec !== 'object' || spec === null) return [`spec must be an object, got ${fmt(spec)}`];
  const s = spec as Record<string, unknown>;
  switch (s.kind) {
    case 'dense': {
      const encOk = checkWidths(issues, 'encoder', s.encoder, inputSize, 'bottleneck');
      let hidden = 0;
      if (encOk) {
        const enc = s.encoder as number[];
        const decoder = s.decoder ?? enc.slice(0, -1).reverse();
        if (s.decoder !== undefined && !(Array.isArray(s.decoder) && s.decoder.length === 0)) checkWidths(issues, 'decoder', s.decoder, inputSize, '');
        hidden = enc.length + (Array.isArray(decoder) ? decoder.length : 0);
      }
      checkEnum(issues, 'activation', s.activation, ACTIVATIONS);
      checkEnum(issues, 'outputActivation', s.outputActivation, ['linear', 'sigmoid']);
      checkPerLayer(issues, 'dropout', s.dropout, hidden || Infinity, checkRate);
      checkPerLayer(issues, 'l2', s.l2, hidden || Infinity, checkPenalty);
      break;
    }
    case 'conv1d': {
      checkWidths(issues, 'filters', s.filters, Infinity, '');
      if (!isPositiveInt(s.kernelSize)) issues.push(`kernelSize must be a positive integer, got ${fmt(s.kernelSize)}`);
      else if (s.kernelSize > inputSize) issues.push(`kernelSize ${s.kernelSize} is larger than the sequence ${inputSize}`);
      const pool = s.poolSize ?? 2;
      if (!isPositiveInt(pool)) issues.push(`poolSize must be a positive integer, got ${fmt(pool)}`);
      else if (Array.isArray(s.filters) && pool ** s.filters.length > inputSize) {
        issues.push(`poolSize ${pool} over ${s.filters.length} blocks shrinks the sequence ${inputSize} below one step`);
      }
      checkEnum(issues, 'activation', s.activation, ACTIVATIONS);
      checkEnum(issues, 'outputActivation', s.outputActivation, ['linear', 'sigmoid']);
      checkRate(issues, 'dropout', s.dropout);
      checkPenalty(issues, 'l2', s.l2);
      break;
    }
    case 'lstm':
    case 'rnn': {
      checkWidths(issues, 'units', s.units, Infinity, '');
      checkEnum(issues, 'layout', s.layout, ['sequence', 'tabular']);
      checkEnum(issues, 'outputActivation', s.outputActivation, ['linear', 'sigmoid']);
      checkRate(issues, 'dropout', s.dropout);
      checkPenalty(issues, 'l2', s.l2);
      break;
    }
    default:
      issues.push(`kind must be one of ${MODEL_KINDS.join(', ')}, got ${fmt(s.kind)}`);
  }
  return issues;
}

/**
 * Check that `spec` can be built for rows of `inputSize` values and return it typed.
 * @throws InvalidModelSpecError listing every issue, each naming its field.
 */
export function validateModelSpec(spec: unknown, inputSize: number): ModelSpec {
  const issues = modelSpecIssues(spec, inputSize);
  if (issues.length > 0) throw new InvalidModelSpecError(issues);
  return spec as ModelSpec;
}
