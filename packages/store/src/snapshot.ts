/**
 * Turns caller input into a stored record: a deep copy that holds exactly what a JSON
 * file would give back, deep-frozen so returned records are read-only.
 *
 * Both stores go through JSON so they behave alike: `undefined` fields disappear and
 * non-finite numbers (a diverged loss of NaN) become null, as they would on disk.
 */
export function storedCopy<T>(value: T): T {
  const text = JSON.stringify(value);
  if (text === undefined) throw new TypeError('run store: a record must be a JSON value');
  return deepFreeze(JSON.parse(text) as T);
}

export function deepFreeze<T>(value: T): T {
  if (value !== null && typeof value === 'object' && !Object.isFrozen(value)) {
    for (const child of Object.values(value)) deepFreeze(child);
    Object.freeze(value);
  }
  return value;
}
