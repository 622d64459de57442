/**
 * Saving and loading a trained autoencoder without tfjs-node: the tfjs layers format
 * (`model.json` + `weights.bin`, loadable by `tf.loadLayersModel`) written through
 * `tf.io.withSaveHandler`, plus `aelab-model.json` with what scoring new data needs (the
 * spec, the fitted data preparation and the threshold).
 */
import { constants, type Stats } from 'node:fs';
import { mkdir, open, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { tf } from './tf.js';
import { z } from 'zod';
import { MODEL_FILES, savedModelInfoText, sha256Hex, type SavedModelInfo } from '@aelab/core';
import './builders/layers.js';
import type { ModelSpec } from './families/index.js';
import { checkAgainst, parseSavedModelInfo, savedModelInfo } from './saved-model-info.js';

export interface SaveModelInput {
  model: tf.LayersModel;
  spec: ModelSpec;
  /** Fitted, JSON-serialisable data preparation (scaler etc.) from `@aelab/data`. */
  preparation: unknown;
  threshold?: number | null;
  extra?: Record<string, unknown>;
}

/** A saved model, loaded: the network and what `aelab-model.json` says about it. */
export interface LoadedModel extends Omit<SavedModelInfo, 'spec'> {
  spec: ModelSpec;
  model: tf.LayersModel;
}

/** One file of a saved model: its name inside the model directory and its bytes. */
export interface ModelFile {
  name: string;
  data: Uint8Array;
}

/** A model in memory, ready to be written: the network's files and the info to write beside them. */
export interface SerializedModel {
  /** `model.json` and `weights.bin` ({@link MODEL_FILES}), the tfjs layers format. */
  files: ModelFile[];
  /**
   * What `aelab-model.json` will hold. Left structured, not encoded, so that whoever writes
   * the model (a sweep's coordinator) can still set the threshold it decides on; write it
   * with core's `savedModelInfoText`.
   */
  info: SavedModelInfo;
}

/**
 * The network's files and its info, in memory. A sweep's worker threads return these to
 * the main thread, which alone writes the run store.
 */
export async function serializeModel(input: SaveModelInput): Promise<SerializedModel> {
  let artifacts: tf.io.ModelArtifacts | null = null;
  await input.model.save(
    tf.io.withSaveHandler(async (a) => {
      artifacts = a;
      return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } };
    }),
  );
  const saved = artifacts as tf.io.ModelArtifacts | null;
  if (!saved || !saved.weightSpecs || saved.weightData === undefined)
    throw new Error(`saving model ${input.model.name}: tfjs returned no weights`);
  const weightData = new Uint8Array(
    Array.isArray(saved.weightData) ? tf.io.concatenateArrayBuffers(saved.weightData) : saved.weightData,
  );
  const modelJson = {
    modelTopology: saved.modelTopology,
    format: saved.format ?? 'layers-model',
    generatedBy: saved.generatedBy,
    convertedBy: saved.convertedBy ?? null,
    weightsManifest: [{ paths: [`./${MODEL_FILES.weights}`], weights: saved.weightSpecs }],
  };
  return {
    files: [
      { name: MODEL_FILES.topology, data: new TextEncoder().encode(JSON.stringify(modelJson)) },
      { name: MODEL_FILES.weights, data: weightData },
    ],
    info: savedModelInfo({ ...input, tfjsVersion: tf.version.tfjs, weightsSha256: sha256Hex(weightData) }),
  };
}

/** Writes the model to `dir` (created if needed): its files, then `aelab-model.json`. Returns the paths written. */
export async function saveModel(dir: string, input: SaveModelInput): Promise<string[]> {
  await mkdir(dir, { recursive: true });
  const { files, info } = await serializeModel(input);
  const all = [...files, { name: MODEL_FILES.info, data: savedModelInfoText(info) }];
  for (const file of all) await writeFile(path.join(dir, file.name), file.data);
  return all.map((file) => path.join(dir, file.name));
}

/**
 * Most bytes read of `model.json` or `aelab-model.json`: far above any model's (a
 * preparation of 100,000 features is ~5 MB).
 */
export const MAX_MODEL_JSON_BYTES = 256 * 1024 * 1024;
/** Most bytes of weights read when the manifest gives no size (quantized or string weights). */
const MAX_UNSIZED_WEIGHTS_BYTES = 2 * 1024 * 1024 * 1024;

function kindOf(stat: Stats): string {
  if (stat.isDirectory()) return 'a directory';
  if (stat.isFIFO()) return 'a FIFO (named pipe)';
  if (stat.isCharacterDevice() || stat.isBlockDevice()) return 'a device';
  if (stat.isSocket()) return 'a socket';
  return 'not a regular file';
}

/**
 * The bytes of `file`, refused unless it is a regular file (a link to one is followed) of
 * at most `limit` bytes: a FIFO would block the read forever, `/dev/zero` never ends.
 * Opened non-blocking so that opening a FIFO returns at once; read no further than the limit.
 */
async function readPlainFile(file: string, limit: number, tooLarge: (size: number) => string): Promise<Buffer> {
  let handle;
  try {
    handle = await open(file, constants.O_RDONLY | constants.O_NONBLOCK);
  } catch (error) {
    throw new Error(`cannot read ${file}: ${(error as Error).message}`);
  }
  try {
    const stat = await handle.stat();
    if (!stat.isFile()) throw new Error(`${file}: is ${kindOf(stat)}; a saved model's files must be regular files`);
    if (stat.size > limit) throw new Error(`${file}: ${tooLarge(stat.size)}`);
    // One byte more than the size: a file that grew while read is seen, not cut.
    const buffer = Buffer.alloc(Math.min(stat.size, limit) + 1);
    let length = 0;
    for (let read = -1; read !== 0 && length < buffer.length; length += read) {
      read = (await handle.read(buffer, length, buffer.length - length, length)).bytesRead;
    }
    if (length > stat.size) throw new Error(`${file}: changed while it was read`);
    return buffer.subarray(0, length);
  } finally {
    await handle.close();
  }
}

async function readJson(file: string): Promise<unknown> {
  const tooLarge = (size: number) =>
    `has ${size} bytes, more than the ${MAX_MODEL_JSON_BYTES} a model's JSON file may have`;
  const bytes = await readPlainFile(file, MAX_MODEL_JSON_BYTES, tooLarge);
  try {
    return JSON.parse(bytes.toString('utf8'));
  } catch (error) {
    throw new Error(`${file} is not valid JSON: ${(error as Error).message}`);
  }
}

const weightSpecSchema = z.looseObject({
  name: z.string(),
  shape: z.array(z.number().int().min(0)),
  dtype: z.string(),
});
/** The parts of a tfjs layers `model.json` that loadModel reads itself. */
const modelJsonSchema = z.looseObject({
  modelTopology: z.looseObject({}),
  weightsManifest: z
    .array(z.looseObject({ paths: z.array(z.string()).min(1), weights: z.array(weightSpecSchema) }))
    .min(1),
});

const BYTES_PER_VALUE: Partial<Record<string, number>> = { float32: 4, int32: 4, bool: 1 };

/** Bytes each weight takes, or undefined when some have no fixed size (quantized or string weights). */
function weightSizes(specs: tf.io.WeightsManifestEntry[]): number[] | undefined {
  if (specs.some((spec) => spec.quantization || BYTES_PER_VALUE[spec.dtype] === undefined)) return undefined;
  return specs.map((spec) => spec.shape.reduce((a, b) => a * b, 1) * BYTES_PER_VALUE[spec.dtype]!);
}

/**
 * The weights files, read no further than the manifest describes: a longer file (or
 * `/dev/zero`) is refused by its size before its bytes are read.
 */
async function readWeights(files: string[], sizes: number[] | undefined): Promise<Uint8Array> {
  const expected = sizes?.reduce((a, b) => a + b, 0);
  let left = expected ?? MAX_UNSIZED_WEIGHTS_BYTES;
  const buffers: Buffer[] = [];
  for (const file of files) {
    const tooLarge = (size: number) =>
      expected === undefined
        ? `has ${size} bytes, more than the ${MAX_UNSIZED_WEIGHTS_BYTES} read of weights without a size`
        : `has ${size} bytes, ${MODEL_FILES.topology}'s weights manifest describes ${expected}`;
    const buffer = await readPlainFile(file, left, tooLarge);
    left -= buffer.length;
    buffers.push(buffer);
  }
  return buffers.length === 1 ? new Uint8Array(buffers[0]) : new Uint8Array(Buffer.concat(buffers));
}

/**
 * Checks the weights before tfjs sees them, since tfjs takes whatever it is given: a
 * weights file that is not the saved one (checksum, else its size), and NaN or infinite
 * values, with which every error is NaN and nothing is ever flagged.
 */
function checkWeights(
  files: string,
  bytes: Uint8Array,
  specs: tf.io.WeightsManifestEntry[],
  sizes: number[] | undefined,
  expectedSha256: string | undefined,
): void {
  if (expectedSha256 !== undefined && sha256Hex(bytes) !== expectedSha256) {
    throw new Error(
      `${files}: its sha256 is not the one ${MODEL_FILES.info} records: ` +
        `the file was changed or damaged since the model was saved`,
    );
  }
  // tfjs checks what it can of weights without a fixed size.
  if (sizes === undefined) return;
  const expected = sizes.reduce((a, b) => a + b, 0);
  if (bytes.byteLength !== expected) {
    throw new Error(
      `${files}: has ${bytes.byteLength} bytes, ${MODEL_FILES.topology}'s weights manifest describes ${expected}`,
    );
  }
  let offset = 0;
  specs.forEach((spec, i) => {
    if (spec.dtype === 'float32') {
      const values = new Float32Array(bytes.slice(offset, offset + sizes[i]).buffer);
      const bad = values.reduce((n, v) => (Number.isFinite(v) ? n : n + 1), 0);
      if (bad > 0) {
        throw new Error(
          `${files}: weight '${spec.name}' holds ${bad} NaN or infinite values (of ${values.length}): ` +
            `the training diverged or the file is damaged, and the model cannot score`,
        );
      }
    }
    offset += sizes[i];
  });
}

/** A weights path of model.json, refused unless it names a file of the model's own folder. */
function weightsFile(dir: string, topologyFile: string, p: string): string {
  const name = p.replace(/^\.\//, '');
  if (name === '' || name.includes('/') || name.includes('\\') || name === '..' || name === '.') {
    throw new Error(
      `${topologyFile}: weightsManifest path ${JSON.stringify(p)} ` +
        `must name a file of the model folder, like ./${MODEL_FILES.weights}`,
    );
  }
  return path.join(dir, name);
}

/** The network tfjs builds from the topology; its errors ("Unknown layer", "Shape mismatch") name the file. */
async function buildNetwork(topologyFile: string, artifacts: tf.io.ModelArtifacts): Promise<tf.LayersModel> {
  try {
    return await tf.loadLayersModel(tf.io.fromMemory(artifacts));
  } catch (error) {
    // tfjs's first line says what is wrong; the rest is advice for tfjs users.
    const reason = String((error as Error)?.message ?? error).split('\n')[0];
    const why = 'the file was changed, or not saved by aelab';
    throw new Error(`${topologyFile}: tfjs cannot build the network it describes (${why}): ${reason}`);
  }
}

/**
 * Load a model saved by {@link saveModel} (custom layers are registered by this module).
 * Refuses, naming the file and field: an `aelab-model.json` with any field out of its
 * shape (the preparation is left to its user), a `model.json` tfjs cannot build, files
 * that are not regular files (a FIFO, a device), a weights file larger than its manifest
 * says (read no further), one that differs from the saved one (its sha256; models saved
 * before it was recorded: its size), and NaN or infinite weights.
 */
export async function loadModel(dir: string): Promise<LoadedModel> {
  const infoFile = path.join(dir, MODEL_FILES.info);
  const info = parseSavedModelInfo(infoFile, await readJson(infoFile));
  const topologyFile = path.join(dir, MODEL_FILES.topology);
  const topology = checkAgainst(topologyFile, modelJsonSchema, await readJson(topologyFile));
  const modelJson = topology as unknown as tf.io.ModelJSON;
  const weightSpecs = modelJson.weightsManifest.flatMap((group) => group.weights);
  const files = modelJson.weightsManifest.flatMap((group) => group.paths).map((p) => weightsFile(dir, topologyFile, p));
  const sizes = weightSizes(weightSpecs);
  const bytes = await readWeights(files, sizes);
  checkWeights(files.join(' + '), bytes, weightSpecs, sizes, info.weightsSha256);
  const weightData = bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer;
  const model = await buildNetwork(topologyFile, { modelTopology: modelJson.modelTopology, weightSpecs, weightData });
  return { ...info, spec: info.spec as ModelSpec, model };
}
