// The command line of a bench, declared once per bench by its defaults.
import { parseArgs } from 'node:util';

/**
 * `--name value` for each key of `defaults`, read as its default's type: a number default
 * gives a number, a boolean one a flag, a string stays text; a key whose default is
 * undefined is a text option that may be absent. Unknown options are refused (parseArgs).
 */
export function benchOptions(defaults, args = process.argv.slice(2)) {
  const options = {};
  for (const [name, value] of Object.entries(defaults)) {
    options[name] =
      typeof value === 'boolean'
        ? { type: 'boolean', default: value }
        : { type: 'string', ...(value === undefined ? {} : { default: String(value) }) };
  }
  const { values } = parseArgs({ args, options });
  for (const [name, value] of Object.entries(defaults)) {
    if (typeof value !== 'number') continue;
    const number = Number(values[name]);
    if (!Number.isFinite(number)) throw new Error(`--${name} must be a number, got ${JSON.stringify(values[name])}`);
    values[name] = number;
  }
  return values;
}
