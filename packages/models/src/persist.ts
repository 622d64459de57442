/**
 * Saving and loading a trained autoencoder without tfjs-node: the tfjs layers format
 * (`model.json` + `weights.bin`, loadable by `tf.loadLayersModel`) written through
 * `tf.io.withSaveHandler`, plus `aelab-model.json` with what scoring new data needs (the
 * spec, the fitted data preparation and the threshold).
 */
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import './builders/layers.js';
import type { ModelSpec } from './spec.js';

export const MODEL_TOPOLOGY_FILE = 'model.json';
export const WEIGHTS_FILE = 'weights.bin';
export const AELAB_MODEL_FILE = 'aelab-model.json';

/** What `aelab-model.json` holds. */
export interface SavedModelInfo {
  format: 'aelab-model';
  version: 1;
  spec: ModelSpec;
  /** Fitted, JSON-serialisable data preparation (scaler etc.) from `@aelab/data`. */
  preparation: unknown;
  /** Anomaly threshold on the reconstruction error, when one was chosen. */
  threshold: number | null;
  /** Anything else the caller wants kept with the model (metric used, trial id...). */
  extra: Record<string, unknown>;
  tfjsVersion: string;
}

export interface SaveModelInput {
  model: tf.LayersModel;
  spec: ModelSpec;
  preparation: unknown;
  threshold?: number | null;
  extra?: Record<string, unknown>;
}

export interface LoadedModel extends SavedModelInfo {
  model: tf.LayersModel;
}

/** One file of a saved model: its name inside the model directory and its bytes. */
export interface ModelFile {
  name: string;
  data: Uint8Array;
}

/**
 * The files of a saved model, in memory. A sweep's worker threads return these to the
 * main thread, which alone writes the run store.
 */
export async function serializeModel(input: SaveModelInput): Promise<ModelFile[]> {
  let artifacts: tf.io.ModelArtifacts | null = null;
  await input.model.save(
    tf.io.withSaveHandler(async (a) => {
      artifacts = a;
      return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } };
    }),
  );
  const saved = artifacts as tf.io.ModelArtifacts | null;
  if (!saved || !saved.weightSpecs || saved.weightData === undefined) throw new Error(`saving model ${input.model.name}: tfjs returned no weights`);
  const weightData = Array.isArray(saved.weightData) ? tf.io.concatenateArrayBuffers(saved.weightData) : saved.weightData;
  const modelJson = {
    modelTopology: saved.modelTopology,
    format: saved.format ?? 'layers-model',
    generatedBy: saved.generatedBy,
    convertedBy: saved.convertedBy ?? null,
    weightsManifest: [{ paths: [`./${WEIGHTS_FILE}`], weights: saved.weightSpecs }],
  };
  const info: SavedModelInfo = {
    format: 'aelab-model',
    version: 1,
    spec: input.spec,
    preparation: input.preparation,
    threshold: input.threshold ?? null,
    extra: input.extra ?? {},
    tfjsVersion: tf.version.tfjs,
  };
  const text = new TextEncoder();
  return [
    { name: MODEL_TOPOLOGY_FILE, data: text.encode(JSON.stringify(modelJson)) },
    { name: WEIGHTS_FILE, data: new Uint8Array(weightData) },
    { name: AELAB_MODEL_FILE, data: text.encode(JSON.stringify(info, null, 2) + '\n') },
  ];
}

/** Write the model to `dir` (created if needed); returns the files written. */
export async function saveModel(dir: string, input: SaveModelInput): Promise<string[]> {
  await mkdir(dir, { recursive: true });
  const files = await serializeModel(input);
  for (const file of files) await writeFile(path.join(dir, file.name), file.data);
  return files.map((file) => path.join(dir, file.name));
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

/** Load a model saved by {@link saveModel} (custom layers are registered by this module). */
export async function loadModel(dir: string): Promise<LoadedModel> {
  const infoFile = path.join(dir, AELAB_MODEL_FILE);
  const info = (await readJson(infoFile)) as Partial<SavedModelInfo>;
  if (info.format !== 'aelab-model' || info.version !== 1) {
    throw new Error(`${infoFile}: expected format "aelab-model" version 1, got ${JSON.stringify(info.format)} version ${JSON.stringify(info.version)}`);
  }
  const topologyFile = path.join(dir, MODEL_TOPOLOGY_FILE);
  const modelJson = (await readJson(topologyFile)) as tf.io.ModelJSON;
  if (!modelJson.modelTopology || !Array.isArray(modelJson.weightsManifest)) {
    throw new Error(`${topologyFile}: expected a tfjs layers model.json with modelTopology and weightsManifest`);
  }
  const weightSpecs = modelJson.weightsManifest.flatMap((group) => group.weights);
  const buffers = await Promise.all(
    modelJson.weightsManifest.flatMap((group) => group.paths).map(async (p) => {
      const bytes = await readFile(path.join(dir, p));
      return bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer;
    }),
  );
  const weightData = buffers.length === 1 ? buffers[0] : tf.io.concatenateArrayBuffers(buffers);
  const model = await tf.loadLayersModel(tf.io.fromMemory({ modelTopology: modelJson.modelTopology, weightSpecs, weightData }));
  return {
    format: 'aelab-model',
    version: 1,
    spec: info.spec as ModelSpec,
    preparation: info.preparation,
    threshold: info.threshold ?? null,
    extra: info.extra ?? {},
    tfjsVersion: info.tfjsVersion ?? 'unknown',
    model,
  };
}
