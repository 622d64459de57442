import { describe, expect, it } from 'vitest';
import { InvalidModelSpecError, PRESETS, modelSpecIssues, validateModelSpec, type ModelSpec } from '../src/registry.js';

const dense = (over: Partial<Record<string, unknown>>) => ({ ...PRESETS['ecg-v1'], ...over });

describe('validateModelSpec', () => {
  it('accepts every preset for 140-value rows', () => {
    for (const [name, spec] of Object.entries(PRESETS)) expect(modelSpecIssues(spec, 140), name).toEqual([]);
  });

  it('names the bottleneck field when it is wider than the input', () => {
    expect(modelSpecIssues(dense({ encoder: [128, 64, 200] }), 140)).toEqual([
      'encoder[2]: bottleneck 200 is larger than input 140',
    ]);
  });

  it('rejects negative dropout, per layer too, with the value', () => {
    expect(modelSpecIssues(dense({ dropout: -0.1 }), 140)).toEqual(['dropout must be in [0, 1), got -0.1']);
    expect(modelSpecIssues(dense({ dropout: [0.2, 1] }), 140)).toEqual(['dropout[1] must be in [0, 1), got 1']);
    expect(modelSpecIssues(dense({ l2: [0, 0, 0, 0, 0, 0, 0, 0.1] }), 140)).toEqual([
      'l2 has 8 entries but the model has 7 hidden layers',
    ]);
  });

  it('rejects a kernel larger than the sequence', () => {
    const spec = { ...PRESETS['conv1d-small'], kernelSize: 9 };
    expect(modelSpecIssues(spec, 4)).toContain('kernelSize 9 is larger than the sequence 4');
  });

  it('rejects unknown kinds, activations and non-integer widths', () => {
    expect(modelSpecIssues({ kind: 'gru' }, 140)).toEqual([
      'kind must be one of dense, conv1d, lstm, rnn, pca, isolation-forest, knn, got "gru"',
    ]);
    expect(modelSpecIssues(dense({ activation: 'relu6' }), 140)[0]).toMatch(
      /^activation must be one of relu, .*got "relu6"$/,
    );
    expect(modelSpecIssues(dense({ encoder: [64, 2.5] }), 140)).toEqual([
      'encoder[1] must be a positive integer, got 2.5',
    ]);
    expect(modelSpecIssues({ ...PRESETS['lstm-seq2seq'], layout: 'grid' }, 140)).toEqual([
      'layout must be one of sequence, tabular, got "grid"',
    ]);
  });

  it('throws every issue at once, and returns the spec when valid', () => {
    const bad = dense({ encoder: [64, 2.5], dropout: -1, l2: 'none' });
    expect(() => validateModelSpec(bad, 140)).toThrow(InvalidModelSpecError);
    expect(() => validateModelSpec(bad, 140)).toThrow(
      'invalid model spec: encoder[1] must be a positive integer, got 2.5; dropout must be in [0, 1), got -1; ' +
        'l2 must be in [0, 1], or an array of such penalties, got "none"',
    );
    const good: ModelSpec = PRESETS['ecg-v3'];
    expect(validateModelSpec(good, 140)).toBe(good);
  });

  it('checks the row size once the spec itself is valid', () => {
    expect(modelSpecIssues(dense({ encoder: [300], dropout: -1 }), 140)).toEqual(['dropout must be in [0, 1), got -1']);
    expect(modelSpecIssues(dense({ encoder: [300] }), 140)).toEqual([
      'encoder[0]: bottleneck 300 is larger than input 140',
    ]);
    expect(modelSpecIssues(PRESETS['conv1d-small'], 3)).toEqual([
      'kernelSize 7 is larger than the sequence 3',
      'poolSize 2 over 2 blocks shrinks the sequence 3 below one step',
    ]);
  });

  it('rejects unknown fields, missing fields and bad input sizes, naming them', () => {
    expect(modelSpecIssues(dense({ decodr: [8] }), 140)).toEqual([
      'decodr is not a known field; did you mean "decoder"?',
    ]);
    const { activation: _dropped, ...noActivation } = PRESETS['ecg-v1'];
    expect(modelSpecIssues(noActivation, 140)).toEqual([
      'activation must be one of relu, elu, selu, tanh, sigmoid, linear, swish, got undefined',
    ]);
    expect(modelSpecIssues({ ...PRESETS['conv1d-small'], poolSize: 0 }, 140)).toEqual([
      'poolSize must be a positive integer, got 0',
    ]);
    expect(modelSpecIssues(PRESETS['ecg-v1'], 0)).toEqual(['inputSize must be a positive integer, got 0']);
    expect(modelSpecIssues([1], 140)).toEqual(['spec must be an object, got [1]']);
  });

  it('round-trips every preset through JSON', () => {
    expect(JSON.parse(JSON.stringify(PRESETS))).toEqual(PRESETS);
  });
});
