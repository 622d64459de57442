import { prepareData } from '@aelab/data';
import type { TrainAutoencoderOptions } from '@aelab/models';
import { describe, expect, it, vi } from 'vitest';

// The trainer is replaced by one that records what it is asked to monitor and stops there:
// what is checked is which validation rows reach early stopping and pruning.
const monitored: TrainAutoencoderOptions['validation'][] = [];
vi.mock('@aelab/models', async (original) => ({
  ...(await original<typeof import('@aelab/models')>()),
  trainAutoencoder: async (options: TrainAutoencoderOptions) => {
    monitored.push(options.validation);
    throw new Error('stopped after recording the validation rows');
  },
}));

const { monitoredValidation, trainTrial } = await import('../src/trial-runner.js');
const { preparedDataMessage } = await import('../src/prepared-message.js');

const data = (validationAnomalies: 'keep' | 'drop') => ({
  dataset: 'synthetic-ecg',
  options: { trainRows: 120, testRows: 40 },
  validationFraction: 0.3,
  validationAnomalies,
});

describe('early stopping and pruning monitor the normal validation rows only', () => {
  it(
    'keeps the normal rows of a labelled validation split, in order, ' +
      'and passes a split without anomalies as it is',
    async () => {
      const prepared = preparedDataMessage(await prepareData(data('keep'))).message;
      const { validation } = prepared;
      const normalRows = [...validation.y.keys()].filter((i) => validation.y[i] === 0);
      expect(normalRows.length).toBeGreaterThan(0);
      expect(normalRows.length).toBeLessThan(validation.rows); // the split holds anomalies: the test has teeth
      const rows = monitoredValidation(validation)!;
      expect(rows.rows).toBe(normalRows.length);
      const f = validation.features;
      normalRows.forEach((row, i) =>
        expect(rows.x.subarray(i * f, (i + 1) * f)).toEqual(validation.x.subarray(row * f, (row + 1) * f)),
      );

      const plain = preparedDataMessage(await prepareData(data('drop'))).message;
      expect(monitoredValidation(plain.validation)).toBe(plain.validation); // unchanged where there is no anomaly
      expect(monitoredValidation({ ...validation, rows: 0, x: new Float32Array(0), y: new Uint8Array(0) })).toBeNull();
    },
  );

  it('a training is given those rows to monitor', async () => {
    const task = {
      trialId: 't',
      config: {
        data: data('keep'),
        model: { kind: 'dense', encoder: [8, 4], activation: 'relu', outputActivation: 'linear', dropout: 0, l2: 0 },
        training: { epochs: 1, batchSize: 32, learningRate: 0.001, loss: 'mse' as const },
      },
      seed: 1,
      backend: 'cpu' as const,
    };
    const channel = { report: () => {}, shouldStop: () => false };
    await expect(trainTrial(task as Parameters<typeof trainTrial>[0], channel)).rejects.toThrow(
      /stopped after recording/,
    );
    const prepared = preparedDataMessage(await prepareData(data('keep'))).message;
    const normal = prepared.validation.y.filter((y) => y === 0).length;
    expect(monitored.at(-1)?.rows).toBe(normal);
    expect(normal).toBeLessThan(prepared.validation.rows);
  });
});
