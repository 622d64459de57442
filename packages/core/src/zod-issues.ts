/**
 * Zod issues as messages that name the field and the offending value, e.g.
 * `dropout[1] must be in [0, 1), got 1` or `loss must be one of mse, mae, got "l1"`: the
 * one wording of validation errors, for model specs and experiment files alike. Schemas
 * may word their own messages; for those without (the training and threshold schemas)
 * {@link issueMessage} words the common cases the same way.
 */
import type { z } from 'zod';

/** A value as messages show it: numbers bare (NaN, Infinity too), anything else as JSON. */
export function formatValue(value: unknown): string {
  return typeof value === 'number' || value === undefined ? String(value) : JSON.stringify(value);
}

/** `encoder[3]`, `earlyStopping.patience`: a zod path as a field name. */
export function fieldName(path: readonly PropertyKey[]): string {
  return path.reduce<string>(
    (name, key) => (typeof key === 'number' ? `${name}[${key}]` : name ? `${name}.${String(key)}` : String(key)),
    '',
  );
}

type RawIssue = z.core.$ZodRawIssue;

function anOrA(word: string): string {
  return /^[aeiou]/.test(word) ? `an ${word}` : `a ${word}`;
}

/**
 * The package's wording of a zod issue (`must be ..., got ...`), for schemas that carry no
 * message of their own; undefined keeps zod's default.
 */
export function issueMessage(issue: RawIssue): string | undefined {
  const got = `got ${formatValue(issue.input)}`;
  switch (issue.code) {
    case 'invalid_type': {
      // zod numbers are finite; `int` is how zod names its integer format.
      const expected =
        issue.expected === 'number' ? 'finite number' : issue.expected === 'int' ? 'integer' : String(issue.expected);
      return `must be ${anOrA(expected)}, ${got}`;
    }
    case 'too_small':
      // zod checks integers against the safe range (origin "int") before any bound of the schema.
      if (issue.origin === 'int') return `must be an integer of at most 2^53 - 1 in size, ${got}`;
      return issue.origin === 'number'
        ? `must be ${issue.inclusive ? '>=' : '>'} ${String(issue.minimum)}, ${got}`
        : undefined;
    case 'too_big':
      if (issue.origin === 'int') return `must be an integer of at most 2^53 - 1 in size, ${got}`;
      return issue.origin === 'number'
        ? `must be ${issue.inclusive ? '<=' : '<'} ${String(issue.maximum)}, ${got}`
        : undefined;
    case 'invalid_value':
      return `must be one of ${issue.values.map(String).join(', ')}, ${got}`;
    case 'unrecognized_keys': {
      // One line per key (problemsOf splits them in the same order), each with a suggestion.
      const known = Object.keys(
        (issue.inst as { _zod?: { def?: { shape?: object } } } | undefined)?._zod?.def?.shape ?? {},
      );
      return issue.keys.map((key) => unknownFieldMessage(key, known)).join('\n');
    }
    case 'invalid_union': {
      // A discriminated union names the discriminator's value, not the whole object.
      if (!('discriminator' in issue) || typeof issue.discriminator !== 'string') return undefined;
      const input = issue.input as Record<string, unknown> | undefined;
      const options = (issue as { options?: unknown[] }).options ?? [];
      return `must be one of ${options.map(String).join(', ')}, got ${formatValue(input?.[issue.discriminator])}`;
    }
    default:
      return undefined;
  }
}

/** zod's own message for a union no option matched (a union with a message of its own keeps it). */
const ZOD_UNION_MESSAGE = 'Invalid input';

/** One validation problem: the field at fault (empty for the root) and what is wrong with it. */
export interface SchemaProblem {
  path: string;
  message: string;
}

/**
 * The problems of one zod issue, with full paths: one per unknown key of a strict object
 * (`is not a known field`); for a plain union without a message of its own (a model given
 * as a spec or as a preset), those of the option the value came closest to matching, not
 * a bare "Invalid input".
 */
export function problemsOf(issue: z.core.$ZodIssue, prefix: readonly PropertyKey[] = []): SchemaProblem[] {
  const path = [...prefix, ...issue.path];
  if (issue.code === 'unrecognized_keys') {
    const messages = issue.message.split('\n');
    const own = messages.length === issue.keys.length;
    return issue.keys.map((key, i) => ({
      path: fieldName([...path, key]),
      message: own ? messages[i] : 'is not a known field',
    }));
  }
  if (issue.code === 'invalid_union' && issue.errors.length > 0 && issue.message === ZOD_UNION_MESSAGE) {
    const closest = [...issue.errors].sort((a, b) => a.length - b.length)[0];
    return closest.flatMap((inner) => problemsOf(inner, path));
  }
  return [{ path: fieldName(path), message: issue.message }];
}

/** Every problem with `value` under `schema` (duplicates, two failed checks of one value, once). */
export function schemaProblems(
  schema: z.ZodType,
  value: unknown,
  prefix: readonly PropertyKey[] = [],
): SchemaProblem[] {
  const result = schema.safeParse(value, { error: issueMessage });
  if (result.success) return [];
  const problems = result.error.issues.flatMap((issue) => problemsOf(issue, prefix));
  const seen = new Set<string>();
  return problems.filter((p) => !seen.has(`${p.path}\0${p.message}`) && Boolean(seen.add(`${p.path}\0${p.message}`)));
}

/** {@link schemaProblems} as `field message` lines (the message alone for the root). */
export function schemaIssues(schema: z.ZodType, value: unknown): string[] {
  return schemaProblems(schema, value).map((p) => (p.path ? `${p.path} ${p.message}` : p.message));
}

/** Levenshtein distance (insertions, deletions, substitutions), for "did you mean". */
function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const row = [i];
    for (let j = 1; j <= b.length; j++)
      row[j] = Math.min(previous[j] + 1, row[j - 1] + 1, previous[j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1));
    previous = row;
  }
  return previous[b.length];
}

/** The known name closest to a misspelt one, when it is close enough to be a likely typo. */
export function closestName(name: string, known: readonly string[]): string | undefined {
  let best: { name: string; distance: number } | undefined;
  for (const candidate of known) {
    const distance = editDistance(name.toLowerCase(), candidate.toLowerCase());
    if (!best || distance < best.distance) best = { name: candidate, distance };
  }
  return best && best.distance <= Math.max(2, Math.floor(name.length / 3)) ? best.name : undefined;
}

/** `is not a known field; did you mean "dropout"?` (the suggestion only when one is close). */
export function unknownFieldMessage(name: string, known: readonly string[]): string {
  const suggestion = closestName(name, known);
  return `is not a known field${suggestion ? `; did you mean "${suggestion}"?` : ''}`;
}
