/**
 * Saving and loading a trained autoencoder without tfjs-node: the tfjs layers format
 * (`model.json` + `weights.bin`, loadable by `tf.loadLayersModel`) written through
 * `tf.io.withSaveHandler`, plus `aelab-model.json` with what scoring new data needs (the
 * spec, the fitted data preparation and the threshold).
 */
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { formatValue, MODEL_FILES, savedModelInfoText, sha256Hex, type SavedModelInfo } from '@aelab/core';
import './builders/layers.js';
import type { ModelSpec } from './families/index.js';

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
  if (!saved || !saved.weightSpecs || saved.weightData === undefined) throw new Error(`saving model ${input.model.name}: tfjs returned no weights`);
  const weightData = new Uint8Array(Array.isArray(saved.weightData) ? tf.io.concatenateArrayBuffers(saved.weightData) : saved.weightData);
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
    info: {
      format: 'aelab-model',
      version: 1,
      spec: input.spec,
      preparation: input.preparation,
      threshold: input.threshold ?? null,
      extra: input.extra ?? {},
      tfjsVersion: tf.version.tfjs,
      weightsSha256: sha256Hex(weightData),
    },
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

async function readJson(file: string): Promise<unknown> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    throw new Error(`cannot read ${file}: ${(error as Error).message}`);
  }
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new Error(`${file} is not valid JSON: ${(error as Error).message}`);
  }
}

const BYTES_PER_VALUE: Partial<Record<string, number>> = { float32: 4, int32: 4, bool: 1 };

/**
 * Checks the weights before tfjs sees them, since tfjs takes whatever it is given: a
 * weights file that is not the saved one (checksum, else its size), and NaN or infinite
 * values, with which every error is NaN and nothing is ever flagged.
 */
function checkWeights(files: string, bytes: Uint8Array, specs: tf.io.WeightsManifestEntry[], expectedSha256: string | undefined): void {
  if (expectedSha256 !== undefined && sha256Hex(bytes) !== expectedSha256) {
    throw new Error(`${files}: its sha256 is not the one ${MODEL_FILES.info} records: the file was changed or damaged since the model was saved`);
  }
  // Quantized or string weights have no fixed size; tfjs checks what it can of those.
  if (specs.some((spec) => spec.quantization || BYTES_PER_VALUE[spec.dtype] === undefined)) return;
  const sizes = specs.map((spec) => spec.shape.reduce((a, b) => a * b, 1) * BYTES_PER_VALUE[spec.dtype]!);
  const expected = sizes.reduce((a, b) => a + b, 0);
  if (bytes.byteLength !== expected) {
    throw new Error(`${files}: has ${bytes.byteLength} bytes, ${MODEL_FILES.topology}'s weights manifest describes ${expected}`);
  }
  let offset = 0;
  specs.forEach((spec, i) => {
    if (spec.dtype === 'float32') {
      const values = new Float32Array(bytes.slice(offset, offset + sizes[i]).buffer);
      const bad = values.reduce((n, v) => (Number.isFinite(v) ? n : n + 1), 0);
      if (bad > 0) {
        throw new Error(
          `${files}: weight '${spec.name}' holds ${bad} NaN or infinite values (of ${values.length}): the training diverged or the file is damaged, and the model cannot score`,
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
    throw new Error(`${topologyFile}: weightsManifest path ${JSON.stringify(p)} must name a file of the model folder, like ./${MODEL_FILES.weights}`);
  }
  return path.join(dir, name);
}

/**
 * Load a model saved by {@link saveModel} (custom layers are registered by this module).
 * Refuses, naming the file, a weights file that differs from the saved one (its sha256;
 * models saved before it was recorded: its size), NaN or infinite weights and a threshold
 * that is not a finite number.
 */
export async function loadModel(dir: string): Promise<LoadedModel> {
  const infoFile = path.join(dir, MODEL_FILES.info);
  const info = (await readJson(infoFile)) as Partial<SavedModelInfo>;
  if (info.format !== 'aelab-model' || info.version !== 1) {
    throw new Error(`${infoFile}: expected format "aelab-model" version 1, got ${JSON.stringify(info.format)} version ${JSON.stringify(info.version)}`);
  }
  if (info.threshold !== undefined && info.threshold !== null && !(typeof info.threshold === 'number' && Number.isFinite(info.threshold))) {
    throw new Error(`${infoFile}: threshold must be a finite number or null, got ${formatValue(info.threshold)}`);
  }
  if (info.weightsSha256 !== undefined && !(typeof info.weightsSha256 === 'string' && /^[0-9a-f]{64}$/.test(info.weightsSha256))) {
    throw new Error(`${infoFile}: weightsSha256 must be 64 hex digits, got ${formatValue(info.weightsSha256)}`);
  }
  const topologyFile = path.join(dir, MODEL_FILES.topology);
  const modelJson = (await readJson(topologyFile)) as tf.io.ModelJSON;
  if (!modelJson.modelTopology || !Array.isArray(modelJson.weightsManifest)) {
    throw new Error(`${topologyFile}: expected a tfjs layers model.json with modelTopology and weightsManifest`);
  }
  const weightSpecs = modelJson.weightsManifest.flatMap((group) => group.weights);
  const files = modelJson.weightsManifest.flatMap((group) => group.paths).map((p) => weightsFile(dir, topologyFile, p));
  const buffers = await Promise.all(files.map((file) => readFile(file)));
  const bytes = buffers.length === 1 ? new Uint8Array(buffers[0]) : new Uint8Array(Buffer.concat(buffers));
  checkWeights(files.join(' + '), bytes, weightSpecs, info.weightsSha256);
  const weightData = bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer;
  const model = await tf.loadLayersModel(tf.io.fromMemory({ modelTopology: modelJson.modelTopology, weightSpecs, weightData }));
  return {
    format: 'aelab-model',
    version: 1,
    spec: info.spec as ModelSpec,
    preparation: info.preparation,
    threshold: info.threshold ?? null,
    extra: info.extra ?? {},
    tfjsVersion: info.tfjsVersion ?? 'unknown',
    ...(info.weightsSha256 !== undefined ? { weightsSha256: info.weightsSha256 } : {}),
    model,
  };
}
