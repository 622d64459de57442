import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../src/backends/init.js';
import { reconstructionErrors } from '../src/reconstruction-errors.js';
import { PopulationGraph } from '../src/population/graph.js';
import { denseChain } from '../src/builders/dense-chain.js';
import { trainPopulation, type PopulationMember } from '../src/population/train.js';
import { buildModel } from '../src/builders/index.js';
import { PRESETS, populationKey, type DenseSpec } from '../src/registry.js';
import { addInOrder } from '../src/losses.js';
import { trainAutoencoder, type TrainedAutoencoder, type TrainerConfig } from '../src/train.js';
import { sineSplit } from './helpers.js';

const base: DenseSpec = {
  kind: 'dense',
  encoder: [16, 8, 4],
  activation: 'relu',
  outputActivation: 'linear',
  dropout: 0,
  l2: 0,
};
const config: TrainerConfig = { epochs: 20, batchSize: 16, learningRate: 0.01, loss: 'mse', seed: 3 };
const train = sineSplit(70, 24, 1);
const validation = sineSplit(20, 24, 2);

/** Four members that differ in dropout (per layer too), L2, learning rate and seed. */
const four: PopulationMember[] = [
  { spec: { ...base, dropout: 0.1, l2: 0.001 }, config: { ...config, learningRate: 0.01, seed: 3 } },
  { spec: { ...base, dropout: [0.2, 0, 0.3], l2: 0 }, config: { ...config, learningRate: 0.003, seed: 4 } },
  {
    spec: { ...base, activation: 'relu', dropout: 0, l2: [0, 0.01] },
    config: { ...config, learningRate: 0.005, seed: 5 },
  },
  { spec: { ...base, dropout: 0.05, l2: 0.0001 }, config: { ...config, learningRate: 0.001, seed: 6 } },
];

async function single(member: PopulationMember): Promise<TrainedAutoencoder> {
  return trainAutoencoder({ ...member, train, validation });
}

function relativeGap(a: number, b: number): number {
  return Math.abs(a - b) / Math.max(Math.abs(b), 1e-12);
}

/** The largest relative gap between two histories' training and validation losses. */
function historyGap(population: TrainedAutoencoder, alone: TrainedAutoencoder): number {
  expect(population.history.map((h) => h.epoch)).toEqual(alone.history.map((h) => h.epoch));
  return Math.max(
    ...population.history.flatMap((h, e) => [
      relativeGap(h.loss, alone.history[e].loss),
      relativeGap(h.valLoss!, alone.history[e].valLoss!),
    ]),
  );
}

function weightsOf(trained: TrainedAutoencoder): Float32Array[] {
  return trained.model.getWeights().map((w) => w.dataSync() as Float32Array);
}

function expectSameWeights(a: TrainedAutoencoder, b: TrainedAutoencoder, tolerance: number): void {
  const [wa, wb] = [weightsOf(a), weightsOf(b)];
  expect(wa.map((w) => w.length)).toEqual(wb.map((w) => w.length));
  const gap = Math.max(...wa.flatMap((w, i) => Array.from(w, (v, j) => Math.abs(v - wb[i][j]))));
  expect(gap).toBeLessThan(tolerance);
}

beforeAll(async () => {
  await initBackend('wasm');
});

describe('trainPopulation', () => {
  for (const backend of ['wasm', 'cpu'] as const) {
    it(
      `member k trains as trainAutoencoder trains it ` + `alone, to 1e-5 relative over 20 epochs (${backend})`,
      async () => {
        await initBackend(backend);
        try {
          const alone: TrainedAutoencoder[] = [];
          for (const member of four) alone.push(await single(member));
          const together = await Promise.all(trainPopulation({ members: four, train, validation }));
          together.forEach((trained, k) => {
            expect(trained).toMatchObject({
              stopReason: 'completed',
              stoppedEarly: false,
              bestEpoch: alone[k].bestEpoch,
              parameterCount: alone[k].parameterCount,
            });
            expect(historyGap(trained, alone[k])).toBeLessThan(1e-5);
            expectSameWeights(trained, alone[k], 1e-4);
          });
          [...alone, ...together].forEach((t) => t.dispose());
        } finally {
          await initBackend('wasm');
        }
      },
      120_000,
    );
  }

  it('freezes a member that stops early with its best weights, while the others train on unchanged', async () => {
    const members: PopulationMember[] = [
      // A learning rate this large makes the validation loss bounce, so patience 1 triggers quickly.
      {
        spec: base,
        config: {
          ...config,
          epochs: 60,
          learningRate: 0.05,
          earlyStopping: { patience: 1, minDelta: 1e-3, restoreBestWeights: true },
        },
      },
      { spec: { ...base, dropout: 0.1 }, config: { ...config, epochs: 12, seed: 8 } },
      {
        spec: base,
        config: {
          ...config,
          epochs: 60,
          learningRate: 0.004,
          seed: 9,
          earlyStopping: { patience: 3, restoreBestWeights: false },
        },
      },
    ];
    const alone: TrainedAutoencoder[] = [];
    for (const member of members) alone.push(await single(member));
    const together = await Promise.all(trainPopulation({ members, train, validation }));
    expect(together[0].stopReason).toBe('early-stopping');
    expect(together[0].history.length).toBe(together[0].bestEpoch + 1);
    expect(together[0].history.length).toBeLessThan(together[1].history.length);
    together.forEach((trained, k) => {
      expect(trained.stopReason).toBe(alone[k].stopReason);
      expect(trained.bestEpoch).toBe(alone[k].bestEpoch);
      expect(historyGap(trained, alone[k])).toBeLessThan(1e-4);
      expectSameWeights(trained, alone[k], 1e-4);
    });
    // The kept weights are the best epoch's: their validation error is that epoch's (its loss less the L2 penalty, here
    // 0).
    const errors = await reconstructionErrors(together[0].model, validation);
    const mse = errors.mse.reduce((a, b) => a + b, 0) / errors.mse.length;
    expect(relativeGap(mse, together[0].history[together[0].bestEpoch - 1].valLoss!)).toBeLessThan(1e-4);
    [...alone, ...together].forEach((t) => t.dispose());
  }, 120_000);

  it('prunes a member when its shouldStop says so, with the history so far; the others go on', async () => {
    const asked: number[] = [];
    const members: PopulationMember[] = [
      {
        spec: base,
        config: { ...config, epochs: 6 },
        shouldStop: (record) => (asked.push(record.epoch), record.epoch === 2),
      },
      { spec: base, config: { ...config, epochs: 6, seed: 4 }, shouldStop: async () => false },
    ];
    const [pruned, kept] = await Promise.all(trainPopulation({ members, train, validation }));
    expect(asked).toEqual([1, 2]);
    expect(pruned).toMatchObject({ stopReason: 'pruned', stoppedEarly: true });
    expect(pruned.history.map((h) => h.epoch)).toEqual([1, 2]);
    expect(kept.history).toHaveLength(6);
    const alone = await single({ spec: base, config: { ...config, epochs: 2 } });
    expectSameWeights(pruned, alone, 1e-5);
    [pruned, kept, alone].forEach((t) => t.dispose());
  }, 60_000);

  it('fails one member alone: an invalid config, an abort, or a throwing shouldStop', async () => {
    const controller = new AbortController();
    const members: PopulationMember[] = [
      { spec: base, config: { ...config, epochs: 0 } },
      {
        spec: base,
        config: { ...config, epochs: 4, seed: 4 },
        signal: controller.signal,
        onEpoch: (e) => e.epoch === 2 && controller.abort(new Error('trial cancelled')),
      },
      {
        spec: base,
        config: { ...config, epochs: 4, seed: 5 },
        shouldStop: () => Promise.reject(new Error('coordinator gone')),
      },
      { spec: base, config: { ...config, epochs: 4, seed: 6 } },
    ];
    const before = tf.memory().numTensors;
    const results = await Promise.allSettled(trainPopulation({ members, train, validation }));
    expect(results.map((r) => (r.status === 'rejected' ? (r.reason as Error).message : r.value.stopReason))).toEqual([
      'invalid training config: epochs must be > 0, got 0',
      'trial cancelled',
      'coordinator gone',
      'completed',
    ]);
    (results[3] as PromiseFulfilledResult<TrainedAutoencoder>).value.dispose();
    expect(tf.memory().numTensors).toBe(before);
  }, 60_000);

  it('refuses members that do not share an architecture, batch size and loss', () => {
    expect(() =>
      trainPopulation({
        members: [
          { spec: base, config },
          { spec: { ...base, encoder: [16, 4] }, config },
        ],
        train,
      }),
    ).toThrow('population members must share an architecture, batch size and loss');
    expect(() =>
      trainPopulation({
        members: [
          { spec: base, config },
          { spec: base, config: { ...config, batchSize: 8 } },
        ],
        train,
      }),
    ).toThrow('share an architecture');
    expect(populationKey(PRESETS['lstm-seq2seq'], config)).toBeNull();
    expect(() => trainPopulation({ members: [{ spec: PRESETS['lstm-seq2seq'], config }], train })).toThrow(
      'population training needs model families with a population architecture (dense); got lstm',
    );
  });

  it('leaves no tensors behind', async () => {
    const before = tf.memory().numTensors;
    const trained = await Promise.all(
      trainPopulation({
        members: four.map((m) => ({
          ...m,
          config: { ...m.config, epochs: 3, earlyStopping: { patience: 1, restoreBestWeights: true } },
        })),
        train,
        validation,
      }),
    );
    trained.forEach((t) => t.dispose());
    expect(tf.memory().numTensors).toBe(before);
  }, 60_000);

  it('runs the same kernels per step whatever the population size', async () => {
    const kernelsPerStep = async (size: number) => {
      const models = Array.from({ length: size }, (_, k) =>
        buildModel({ ...base, dropout: 0.1, l2: 0.001 }, train.features, k + 1),
      );
      const graph = new PopulationGraph(
        models.map((m, k) => ({ chain: denseChain(m), learningRate: 0.001 * (k + 1) })),
        'mse',
      );
      const x = tf.tensor2d(train.x, [train.rows, train.features]);
      const rows = new Int32Array(size * 16).map((_, i) => i % train.rows);
      const profile = await tf.profile(() => graph.step(x, rows, 16));
      tf.dispose([x, profile.result as tf.Tensor]);
      graph.dispose();
      models.forEach((m) => m.dispose());
      return profile.kernels.length;
    };
    const [one, eight] = [await kernelsPerStep(1), await kernelsPerStep(8)];
    expect(one).toBeGreaterThan(50);
    expect(eight).toBe(one);
  }, 60_000);

  it('adds many loss terms in AddN groups small enough for webgpu, with the bits of one AddN', async () => {
    const terms = Array.from({ length: 20 }, (_, i) => tf.tensor1d([0.1 * (i + 1), 1 / (i + 3), 1e-7 * i]));
    for (const count of [1, 2, 7, 8, 13, 20]) {
      const grouped = addInOrder(terms.slice(0, count));
      expect(Array.from(await grouped.data())).toEqual(Array.from(await tf.addN(terms.slice(0, count)).data()));
    }
    tf.dispose(terms);
  });
});
