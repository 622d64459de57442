import { mulberry32, type CurvesArtifact } from '@aelab/core';
import { averagePrecision, prCurve, rocAuc, rocCurve } from '@aelab/models/evaluation';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { curvesArtifactText, errorsArtifactText, float32Text } from '../src/recorder.js';
import { curvesOf, type SplitErrorsResult, type TrialErrors } from '../src/scoring.js';

// A piece is valid until the next is asked for: copied as they come.
const decoded = (pieces: Iterable<Uint8Array>) =>
  new TextDecoder().decode(Buffer.concat(Array.from(pieces, (piece) => Buffer.from(piece))));

function split(rows: number, seed: number): SplitErrorsResult {
  const random = mulberry32(seed);
  const mse = Float32Array.from({ length: rows }, () => random() ** 3 * 50);
  const mae = Float32Array.from({ length: rows }, () => random());
  if (rows > 3) [mse[1], mae[2], mse[3]] = [NaN, Infinity, 1 / 3];
  const y = Uint8Array.from({ length: rows }, () => (random() < 0.1 ? 1 : 0));
  return { mse, mae, y, labels: Array.from(y, (v) => (v ? 'anomaly "b"' : 'normal')) };
}

/** The errors artifact as the recorder wrote it before it wrote pieces: one JSON.stringify over number arrays. */
function wholeText(errors: TrialErrors): string {
  const round = (values: Float32Array) => Array.from(values, (v) => Number(v.toPrecision(9)));
  const artifact: Record<string, unknown> = {};
  for (const name of ['train', 'validation', 'test'] as const) {
    const s = errors[name];
    if (s) artifact[name] = { mse: round(s.mse), mae: round(s.mae), y: Array.from(s.y), labels: s.labels as string[] };
  }
  return JSON.stringify(artifact);
}

describe('float32Text', () => {
  it('writes the JSON text of the number toPrecision(9) reads back as, for every float32', () => {
    const expected = (value: number) => JSON.stringify(Number(value.toPrecision(9)));
    // fc.float: float32 values, NaN, infinities, -0 and subnormals included
    fc.assert(
      fc.property(fc.float(), (value) => float32Text(value) === expected(value)),
      { numRuns: 200_000 },
    );
    for (const value of [0, -0, 1, 100, 0.5, 1e-6, 9.999999996e-7, 1e-7, 999_999_999, 1e9, 3e38, -2.5e-45])
      expect(float32Text(Math.fround(value))).toBe(expected(Math.fround(value)));
  });
});

describe('errorsArtifactText', () => {
  it('writes, in pieces, the same bytes as the whole-string errors artifact', () => {
    const withValidation: TrialErrors = {
      train: split(30_000, 1),
      validation: split(5_000, 2),
      test: split(12_000, 3),
    };
    const pieces = Array.from(errorsArtifactText(withValidation), (piece) => piece.slice());
    expect(pieces.length).toBeGreaterThan(10);
    expect(decoded(pieces)).toBe(wholeText(withValidation));
    // Labels given as codes into the classes (the coordinator's own data) write the same text.
    const coded = (s: SplitErrorsResult): SplitErrorsResult => {
      const classes = [...new Set(s.labels as string[])];
      return {
        ...s,
        labels: { classes, codes: Uint32Array.from(s.labels as string[], (label) => classes.indexOf(label)) },
      };
    };
    expect(
      decoded(
        errorsArtifactText({
          train: coded(withValidation.train),
          validation: coded(withValidation.validation!),
          test: coded(withValidation.test),
        }),
      ),
    ).toBe(wholeText(withValidation));
    const small: TrialErrors = { train: split(3, 4), test: split(0, 5) };
    expect(decoded(errorsArtifactText(small))).toBe(wholeText(small));
  });

  it('reads back (JSON.parse) as the float32 errors, every value exact', () => {
    const errors: TrialErrors = { train: split(2_000, 6), test: split(1_000, 7) };
    const parsed = JSON.parse(decoded(errorsArtifactText(errors))) as { test: { mse: (number | null)[] } };
    expect(Float32Array.from(parsed.test.mse, (v) => v ?? NaN)).toEqual(errors.test.mse);
  });

  it(
    'writes the curves artifact, in pieces, as JSON.stringify ' + 'of the number arrays (PR: a point per recall step)',
    () => {
      const errors: TrialErrors = { train: split(1_000, 8), validation: split(3_000, 9), test: split(20_000, 10) };
      errors.test.mse[1] = 0.25; // no NaN: the curves sort by score
      errors.validation!.mse[1] = 0.25;
      // What the recorder wrote before: each curve and area on its own, in number arrays.
      const before = (s: SplitErrorsResult) => {
        const pr = prCurve(s.y, s.mse, { dropIntermediate: true })!;
        return {
          roc: rocCurve(s.y, s.mse)!,
          pr: { recall: pr.recall, precision: pr.precision, thresholds: pr.thresholds },
          rocAuc: rocAuc(s.y, s.mse) ?? null,
          prAuc: averagePrecision(s.y, s.mse) ?? null,
        };
      };
      const curves: CurvesArtifact = {
        errorMetric: 'mse',
        test: before(errors.test),
        validation: before(errors.validation!),
      };
      // 10% anomalies among 20,000 rows: at most two points per anomaly, against one per distinct score before.
      expect(curves.test?.pr.precision.length).toBeGreaterThan(1_000);
      expect(curves.test?.pr.precision.length).toBeLessThan(2 * 2_200);
      expect(prCurve(errors.test.y, errors.test.mse)!.precision.length).toBeGreaterThan(19_000);
      expect(decoded(curvesArtifactText(errors, 'mse'))).toBe(JSON.stringify(curves));
      // One class only: no curves, as before.
      const oneClass = { ...errors.test, y: new Uint8Array(errors.test.y.length) };
      expect(curvesOf(oneClass, 'mse')).toBeUndefined();
      expect(decoded(curvesArtifactText({ train: errors.train, test: oneClass }, 'mae'))).toBe('{"errorMetric":"mae"}');
    },
  );
});
