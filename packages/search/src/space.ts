import { isScoringParam, type Distribution, type Json, type Params, type SearchSpace } from '@aelab/core';

/** Splits a space into the part that needs training and the part that only rescoring needs. */
export function splitSpace(space: SearchSpace): { training: SearchSpace; scoring: SearchSpace } {
  const training: SearchSpace = {};
  const scoring: SearchSpace = {};
  for (const [name, dist] of Object.entries(space)) (isScoringParam(name) ? scoring : training)[name] = dist;
  return { training, scoring };
}

/** Maps u in [0, 1) to a value of the distribution. */
export function fromUnit(dist: Distribution, u: number): Json {
  if (dist.type === 'categorical') return dist.values[Math.min(dist.values.length - 1, Math.floor(u * dist.values.length))];
  const { low, high } = dist;
  if (dist.log) {
    const value = Math.exp(Math.log(low) + u * (Math.log(high) - Math.log(low)));
    return dist.type === 'int' ? Math.min(high, Math.max(low, Math.round(value))) : value;
  }
  if (dist.step !== undefined || dist.type === 'int') {
    const values = gridValues(dist);
    return values[Math.min(values.length - 1, Math.floor(u * values.length))];
  }
  return low + u * (high - low);
}

/** Inverse of {@link fromUnit}: the unit-interval position of a value (the middle of its bin for discrete values). */
export function toUnit(dist: Distribution, value: Json): number {
  if (dist.type === 'categorical') {
    const i = dist.values.findIndex((v) => JSON.stringify(v) === JSON.stringify(value));
    if (i < 0) throw new Error(`value ${JSON.stringify(value)} is not one of the categories`);
    return (i + 0.5) / dist.values.length;
  }
  const v = Number(value);
  if (dist.log) return (Math.log(v) - Math.log(dist.low)) / (Math.log(dist.high) - Math.log(dist.low));
  if (dist.step !== undefined || dist.type === 'int') {
    const values = gridValues(dist);
    const i = values.findIndex((x) => x === v);
    if (i < 0) throw new Error(`value ${v} is not on the grid [${dist.low}, ${dist.high}]`);
    return (i + 0.5) / values.length;
  }
  return (v - dist.low) / (dist.high - dist.low);
}

/**
 * The finite values a grid sampler visits. Continuous floats without a step cannot be
 * gridded; the caller gets a clear error naming the parameter.
 */
export function gridValues(dist: Distribution, name = 'parameter'): Json[] {
  if (dist.type === 'categorical') return dist.values;
  const step = dist.step ?? (dist.type === 'int' ? 1 : undefined);
  if (step === undefined) {
    throw new Error(`${name}: a float range needs "step" (or use "type": "categorical") to be searched by a grid`);
  }
  const values: number[] = [];
  // Rounding to 12 significant digits keeps 0.1 + 0.2 style drift out of params and hashes.
  for (let i = 0; ; i++) {
    const v = Number((dist.low + i * step).toPrecision(12));
    if (v > dist.high + step * 1e-9) break;
    values.push(v);
  }
  return values;
}

/** True when a conditional parameter applies to the (partial) params chosen so far. */
export function isActive(dist: Distribution, params: Params): boolean {
  if (!dist.when) return true;
  return Object.entries(dist.when).every(([k, v]) => JSON.stringify(params[k]) === JSON.stringify(v));
}

/**
 * Orders parameter names so that every parameter comes after the ones its `when`
 * clause refers to; conditional samplers then decide activity in one pass.
 */
export function orderedNames(space: SearchSpace): string[] {
  const names = Object.keys(space);
  const done = new Set<string>();
  const out: string[] = [];
  const visit = (name: string, trail: string[]) => {
    if (done.has(name)) return;
    if (trail.includes(name)) throw new Error(`space: circular "when" between ${[...trail, name].join(' -> ')}`);
    for (const dep of Object.keys(space[name]?.when ?? {})) if (space[dep]) visit(dep, [...trail, name]);
    done.add(name);
    out.push(name);
  };
  for (const name of names) visit(name, []);
  return out;
}

/** Every combination of the space's values (conditional parameters only where active). */
export function enumerateGrid(space: SearchSpace): Params[] {
  let combos: Params[] = [{}];
  for (const name of orderedNames(space)) {
    const dist = space[name];
    const values = gridValues(dist, name);
    const next: Params[] = [];
    for (const combo of combos) {
      if (!isActive(dist, combo)) {
        next.push(combo);
        continue;
      }
      for (const value of values) next.push({ ...combo, [name]: value });
    }
    combos = next;
  }
  return combos;
}

/** How many combinations {@link enumerateGrid} gives, without listing them when no parameter is conditional. */
export function gridSize(space: SearchSpace): number {
  const dists = Object.entries(space);
  if (dists.some(([, d]) => d.when)) return enumerateGrid(space).length;
  return dists.reduce((n, [name, d]) => n * gridValues(d, name).length, 1);
}
