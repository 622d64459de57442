import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it, vi } from 'vitest';
import { initBackend } from '../src/backends/init.js';
import { reconstruct, reconstructionErrors, perStepErrors } from '../src/reconstruction-errors.js';
import { PRESETS, type DenseSpec } from '../src/registry.js';
import { TrainingDivergedError, trainAutoencoder, weightedEpochLoss, type TrainerConfig } from '../src/train.js';
import { seededUniform, sineSplit } from './helpers.js';

const small: DenseSpec = {
  kind: 'dense',
  encoder: [16, 4],
  activation: 'relu',
  outputActivation: 'linear',
  dropout: [0.1],
  l2: [0.001],
};
const config: TrainerConfig = { epochs: 4, batchSize: 16, learningRate: 0.01, loss: 'mse', seed: 3 };
const train = sineSplit(70, 24, 1);
const validation = sineSplit(20, 24, 2);

beforeAll(async () => {
  await initBackend('wasm');
});

describe('trainAutoencoder', () => {
  it('gives the same history and weights for the same seed, and different ones for another seed', async () => {
    const runs = [];
    for (const seed of [3, 3, 4]) {
      const trained = await trainAutoencoder({ spec: small, train, validation, config: { ...config, seed } });
      const weights = trained.model.getWeights().map((w) => Array.from(w.dataSync()));
      runs.push({ losses: trained.history.map((h) => [h.loss, h.valLoss]), weights });
      trained.dispose();
    }
    expect(runs[1]).toEqual(runs[0]);
    expect(runs[2].losses).not.toEqual(runs[0].losses);
  });

  it('records one history entry per epoch with a validation loss, and the loss falls', async () => {
    const epochs: number[] = [];
    const trained = await trainAutoencoder({
      spec: small,
      train,
      validation,
      config: { ...config, epochs: 15 },
      onEpoch: (e) => epochs.push(e.epoch),
    });
    expect(epochs).toEqual(Array.from({ length: 15 }, (_, i) => i + 1));
    expect(trained.history).toHaveLength(15);
    expect(trained.history.every((h) => h.valLoss !== null && h.seconds >= 0)).toBe(true);
    expect(trained.history[14].loss).toBeLessThan(trained.history[0].loss);
    expect(trained).toMatchObject({
      stoppedEarly: false,
      stopReason: 'completed',
      parameterCount: 24 * 16 + 16 + 16 * 4 + 4 + 4 * 16 + 16 + 16 * 24 + 24,
    });
    trained.dispose();
  });

  it('leaves no tensors behind after training and scoring', async () => {
    const before = tf.memory().numTensors;
    const trained = await trainAutoencoder({
      spec: PRESETS['ecg-v3'],
      train: sineSplit(40, 140),
      validation: sineSplit(10, 140, 5),
      config: { ...config, epochs: 2, earlyStopping: { patience: 1, restoreBestWeights: true } },
    });
    await reconstructionErrors(trained.model, sineSplit(30, 140, 9), { batchSize: 7 });
    await perStepErrors(trained.model, sineSplit(5, 140, 9));
    trained.dispose();
    expect(tf.memory().numTensors).toBe(before);
  });

  it('never holds the training split on the backend: each step uploads its own batch', async () => {
    const big = sineSplit(4000, 24, 5);
    const splitBytes = big.x.byteLength;
    const peaks: number[] = [];
    const trained = await trainAutoencoder({
      spec: small,
      train: big,
      config: { ...config, epochs: 2, batchSize: 32 },
      onEpoch: () => peaks.push(tf.memory().numBytes),
    });
    // Model, optimizer state and the epoch's loss scalars: a few KB, not the 384 KB split.
    expect(peaks).toHaveLength(2);
    expect(Math.max(...peaks)).toBeLessThan(splitBytes / 8);
    trained.dispose();
  });

  it('stops early on a flat validation loss and restores the best weights', async () => {
    // A learning rate this large makes the loss bounce, so patience 1 triggers quickly.
    const trained = await trainAutoencoder({
      spec: small,
      train,
      validation,
      config: {
        ...config,
        epochs: 200,
        learningRate: 0.05,
        earlyStopping: { patience: 1, minDelta: 1e-3, restoreBestWeights: true },
      },
    });
    expect(trained.stopReason).toBe('early-stopping');
    expect(trained.stoppedEarly).toBe(true);
    expect(trained.history.length).toBe(trained.bestEpoch + 1);
    const errors = await reconstructionErrors(trained.model, validation);
    const valMse = errors.mse.reduce((a, b) => a + b, 0) / errors.mse.length;
    // valLoss adds the L2 penalty on top of the reconstruction MSE of the restored weights; valError is that MSE.
    expect(valMse).toBeLessThanOrEqual(trained.history[trained.bestEpoch - 1].valLoss! + 1e-6);
    expect(trained.history[trained.bestEpoch - 1].valError).toBeCloseTo(valMse, 5);
    trained.dispose();
  });

  it('reports the validation reconstruction error without the L2 penalties beside the validation loss', async () => {
    const v = sineSplit(10, 140, 5);
    const trained = await trainAutoencoder({
      spec: PRESETS['ecg-v3'],
      train: sineSplit(40, 140),
      validation: v,
      config: { ...config, epochs: 3 },
    });
    // ecg-v3 has L2 0.001 on two layers: the penalty is in valLoss, not in valError.
    for (const h of trained.history) expect(h.valError!).toBeLessThan(h.valLoss!);
    const errors = await reconstructionErrors(trained.model, v);
    expect(trained.history[2].valError).toBeCloseTo(errors.mse.reduce((a, b) => a + b, 0) / errors.mse.length, 5);
    trained.dispose();
    const unvalidated = await trainAutoencoder({
      spec: PRESETS['ecg-v3'],
      train: sineSplit(40, 140),
      config: { ...config, epochs: 1 },
    });
    expect(unvalidated.history[0]).not.toHaveProperty('valError');
    unvalidated.dispose();
  });

  it('stops at the time budget with its reason', async () => {
    // A clock that moves a second per reading: the first epoch outlasts the budget on any machine
    // (a real one measured it under 1 ms, and a second epoch started).
    let clock = 0;
    const now = vi.spyOn(performance, 'now').mockImplementation(() => (clock += 1000));
    try {
      const trained = await trainAutoencoder({
        spec: small,
        train,
        config: { ...config, epochs: 1000, maxSeconds: 0.001 },
      });
      expect(trained.history).toHaveLength(1);
      expect(trained.stopReason).toBe('time-limit');
      trained.dispose();
    } finally {
      now.mockRestore();
    }
  });

  it('fails with "loss diverged at epoch N" when the loss becomes NaN', async () => {
    const poisoned = sineSplit(20, 24, 1);
    poisoned.x[5] = Number.NaN;
    const before = tf.memory().numTensors;
    await expect(trainAutoencoder({ spec: small, train: poisoned, config })).rejects.toThrow(
      new TrainingDivergedError(1),
    );
    expect(tf.memory().numTensors).toBe(before);
  });

  it('rejects a bad spec or config before training, naming the field', async () => {
    await expect(trainAutoencoder({ spec: { ...small, encoder: [16, 40] }, train, config })).rejects.toThrow(
      'encoder[1]: bottleneck 40 is larger than input 24',
    );
    await expect(trainAutoencoder({ spec: small, train, config: { ...config, batchSize: 0 } })).rejects.toThrow(
      'invalid training config: batchSize must be > 0, got 0',
    );
  });

  it('ends normally as pruned when shouldStop says so after an epoch, with the history so far', async () => {
    const seen: string[] = [];
    const trained = await trainAutoencoder({
      spec: small,
      train,
      validation,
      config: { ...config, epochs: 20, earlyStopping: { patience: 5, restoreBestWeights: true } },
      onEpoch: (e) => seen.push(`onEpoch ${e.epoch}`),
      shouldStop: (e) => {
        seen.push(`shouldStop ${e.epoch}`);
        return e.epoch === 3;
      },
    });
    expect(seen).toEqual(['onEpoch 1', 'shouldStop 1', 'onEpoch 2', 'shouldStop 2', 'onEpoch 3', 'shouldStop 3']);
    expect(trained).toMatchObject({ stopReason: 'pruned', stoppedEarly: true });
    expect(trained.history.map((h) => h.epoch)).toEqual([1, 2, 3]);
    expect(trained.bestEpoch).toBeGreaterThanOrEqual(1);
    expect((await reconstructionErrors(trained.model, validation)).mse).toHaveLength(validation.rows);
    trained.dispose();
  });

  it('names every bad field of the training config', async () => {
    const bad = {
      ...config,
      epochs: 2.5,
      loss: 'l1',
      seed: 0.5,
      maxSeconds: 0,
      earlyStopping: { patience: 0 },
      momentum: 0.9,
    } as unknown as TrainerConfig;
    await expect(trainAutoencoder({ spec: small, train, config: bad })).rejects.toThrow(
      'invalid training config: epochs must be an integer, got 2.5; loss must be one of mse, mae, got "l1"; ' +
        'earlyStopping.patience must be > 0, got 0; momentum is not a known field; ' +
        'seed must be an integer, got 0.5; maxSeconds must be > 0, got 0',
    );
  });

  it('rejects with the abort reason when aborted', async () => {
    const controller = new AbortController();
    const run = trainAutoencoder({
      spec: small,
      train,
      config: { ...config, epochs: 50 },
      signal: controller.signal,
      onEpoch: (e) => e.epoch === 2 && controller.abort(new Error('trial cancelled')),
    });
    await expect(run).rejects.toThrow('trial cancelled');
  });
});

describe('weightedEpochLoss', () => {
  it("is wasm's sum(mul(stack(losses), weights)) to the bit: float32 products added in order in float32", () => {
    const uniform = seededUniform(26);
    let offDouble = 0;
    for (let trial = 0; trial < 400; trial++) {
      const batches = 1 + Math.floor(uniform() * 150);
      // losses over twelve decades, so that the order and width of the sum show in the bits
      const losses = Float32Array.from(
        { length: batches },
        () => uniform() ** 4 * 10 ** Math.floor(uniform() * 12 - 6),
      );
      const rows = 32 * batches - Math.floor(uniform() * 31);
      const weights = Float32Array.from({ length: batches }, (_, i) => (i < batches - 1 ? 32 : rows % 32 || 32) / rows);
      const kernels = tf.tidy(() =>
        tf.sum(tf.mul(tf.stack(Array.from(losses, (l) => tf.scalar(l))), tf.tensor1d(weights))).dataSync(),
      )[0];
      expect(weightedEpochLoss(losses, weights)).toBe(kernels);
      const inDouble = Math.fround(losses.reduce((sum, l, i) => sum + Math.fround(l * weights[i]), 0));
      if (inDouble !== kernels) offDouble++;
    }
    // most of the cases tell a float32 sum from a sum in a double
    expect(offDouble).toBeGreaterThan(100);
  });
});

describe('reconstruction errors', () => {
  it('equal the per-row mean squared and absolute differences of the reconstruction', async () => {
    const trained = await trainAutoencoder({ spec: small, train, config });
    const rows = sineSplit(9, 24, 11);
    const recon = await reconstruct(trained.model, rows, { batchSize: 4 });
    const errors = await reconstructionErrors(trained.model, rows, { batchSize: 4 });
    const steps = await perStepErrors(trained.model, rows, { metric: 'absolute' });
    for (let r = 0; r < rows.rows; r++) {
      let se = 0;
      let ae = 0;
      for (let f = 0; f < rows.features; f++) {
        const d = rows.x[r * 24 + f] - recon[r * 24 + f];
        se += d * d;
        ae += Math.abs(d);
        expect(steps[r * 24 + f]).toBeCloseTo(Math.abs(d), 5);
      }
      expect(errors.mse[r]).toBeCloseTo(se / 24, 5);
      expect(errors.mae[r]).toBeCloseTo(ae / 24, 5);
    }
    trained.dispose();
  });
});
