// Input checks shared by thresholds and metrics, so every evaluation error reads the same
// way: the argument name, the offending index and what was expected.

/** Throws unless `values` is non-empty and holds no NaN (±Infinity sorts fine and is kept). */
export function assertScores(name: string, values: ArrayLike<number>): void {
  if (values.length === 0) throw new RangeError(`${name} is empty: need at least one value`);
  for (let i = 0; i < values.length; i++) {
    const v = values[i]!;
    if (typeof v !== 'number' || Number.isNaN(v)) {
      throw new RangeError(`${name}[${i}] must be a number, got ${String(v)}`);
    }
  }
}

/**
 * Throws unless every label is 0 (normal) or 1 (anomaly) and, when given, the length
 * matches `other`. Returns the number of anomalies (positives).
 */
export function assertBinaryLabels(
  name: string,
  y: ArrayLike<number | boolean>,
  other?: { name: string; length: number },
): number {
  if (other !== undefined && y.length !== other.length) {
    throw new RangeError(
      `${name} has ${y.length} entries but ${other.name} has ${other.length}: they must be the same length`,
    );
  }
  if (y.length === 0) throw new RangeError(`${name} is empty: need at least one label`);
  let positives = 0;
  for (let i = 0; i < y.length; i++) {
    const v = y[i];
    if (v === 1 || v === true) positives++;
    else if (v !== 0 && v !== false) {
      throw new RangeError(`${name}[${i}] must be 0 (normal) or 1 (anomaly), got ${String(v)}`);
    }
  }
  return positives;
}

/** Throws unless `value` is a finite number; `what` names the field (`k`, `value`, ...). */
export function assertFinite(what: string, value: unknown): asserts value is number {
  if (typeof value !== 'number' || !Number.isFinite(value)) {
    throw new RangeError(`${what} must be a finite number, got ${quote(value)}`);
  }
}

/** A value as error messages show it: strings in quotes, so `"median"` reads as given. */
export function quote(value: unknown): string {
  return typeof value === 'string' ? JSON.stringify(value) : String(value);
}
