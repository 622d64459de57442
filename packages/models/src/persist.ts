/**
 * Saving and loading a trained autoencoder without tfjs-node: the tfjs layers format
 * (`model.json` + `weights.bin`, loadable by `tf.loadLayersModel`) written through
 * `tf.io.withSaveHandler`, plus `aelab-model.json` with what scoring new data needs (the
 * spec, the fitted data preparation and the threshold).
 */
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { MODEL_FILES, savedModelInfoText, type SavedModelInfo } from '@aelab/core';
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
  const weightData = Array.isArray(saved.weightData) ? tf.io.concatenateArrayBuffers(saved.weightData) : saved.weightData;
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
      { name: MODEL_FILES.weights, data: new Uint8Array(weightData) },
    ],
    info: {
      format: 'aelab-model',
      version: 1,
      spec: input.spec,
      preparation: input.preparation,
      threshold: input.threshold ?? null,
      extra: input.extra ?? {},
      tfjsVersion: tf.version.tfjs,
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

/** Load a model saved by {@link saveModel} (custom layers are registered by this module). */
export async function loadModel(dir: string): Promise<LoadedModel> {
  const infoFile = path.join(dir, MODEL_FILES.info);
  const info = (await readJson(infoFile)) as Partial<SavedModelInfo>;
  if (info.format !== 'aelab-model' || info.version !== 1) {
    throw new Error(`${infoFile}: expected format "aelab-model" version 1, got ${JSON.stringify(info.format)} version ${JSON.stringify(info.version)}`);
  }
  const topologyFile = path.join(dir, MODEL_FILES.topology);
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
