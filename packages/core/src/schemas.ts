import { z } from 'zod';
import type { Json } from './json.js';
import type { SchemaProblem } from './zod-issues.js';

/** Any JSON value (zod), for user-supplied parameter values. */
export const jsonSchema: z.ZodType<Json> = z.lazy(() =>
  z.union([z.null(), z.boolean(), z.number(), z.string(), z.array(jsonSchema), z.record(z.string(), jsonSchema)]),
);

/**
 * How deeply arrays and objects may nest in a JSON document read from a user (an
 * experiment file). The deepest shipped experiment nests 5 levels; every recursive reader
 * after JSON.parse (zod, structuredClone, stableStringify) overflows the stack at some
 * thousands of levels, so a deeper document is refused before any of them sees it.
 */
export const MAX_JSON_DEPTH = 64;

/**
 * What makes parsed JSON unsafe to hand to recursive code or to copy into plain objects:
 * nesting deeper than {@link MAX_JSON_DEPTH}, and `__proto__` keys (JSON.parse keeps them
 * as own properties, but copying one into an object sets its prototype instead, so the
 * field vanished without a word). Walks without recursion; each problem names its path.
 */
export function untrustedJsonProblems(value: unknown, maxDepth = MAX_JSON_DEPTH): SchemaProblem[] {
  const problems: SchemaProblem[] = [];
  const stack: { value: unknown; path: string; depth: number }[] = [{ value, path: '', depth: 0 }];
  while (stack.length > 0) {
    const node = stack.pop()!;
    if (node.value === null || typeof node.value !== 'object') continue;
    if (node.depth >= maxDepth) {
      problems.push({ path: node.path, message: `nests deeper than ${maxDepth} levels of arrays and objects` });
      continue;
    }
    const entries = Array.isArray(node.value) ? node.value.map((v, i) => [i, v] as const) : Object.entries(node.value);
    for (const [key, child] of entries) {
      const path = typeof key === 'number' ? `${node.path}[${key}]` : node.path ? `${node.path}.${key}` : key;
      if (key === '__proto__') problems.push({ path, message: 'is not allowed as a field name' });
      else stack.push({ value: child, path, depth: node.depth + 1 });
    }
  }
  return problems;
}

/**
 * The problem of the first array or object of `value` nested deeper than `maxDepth`, or
 * undefined. For large documents read often (a run store's files): walks without recursion
 * and builds no path unless it finds one.
 */
export function tooDeepJson(value: unknown, maxDepth: number): SchemaProblem | undefined {
  if (value === null || typeof value !== 'object') return undefined;
  const nodes: object[] = [value];
  const depths: number[] = [0];
  while (nodes.length > 0) {
    const node = nodes.pop()!;
    const depth = depths.pop()!;
    if (depth >= maxDepth) return untrustedJsonProblems(value, maxDepth).find((p) => p.message.startsWith('nests'));
    for (const child of Array.isArray(node) ? node : Object.values(node)) {
      if (child === null || typeof child !== 'object') continue;
      nodes.push(child);
      depths.push(depth + 1);
    }
  }
  return undefined;
}
