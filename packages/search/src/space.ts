import { gridValues, isScoringParam, type Distribution, type Params, type SearchSpace } from '@aelab/core';

// The unit-interval mapping lives in @aelab/core (reports measure parameter importance in it too).
export { fromUnit, gridValues, toUnit } from '@aelab/core';

/** Splits a space into the part that needs training and the part that only rescoring needs. */
export function splitSpace(space: SearchSpace): { training: SearchSpace; scoring: SearchSpace } {
  const training: SearchSpace = {};
  const scoring: SearchSpace = {};
  for (const [name, dist] of Object.entries(space)) (isScoringParam(name) ? scoring : training)[name] = dist;
  return { training, scoring };
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
