/**
 * One probe of an extension point (a seam): the smallest new implementation of it, added to
 * a temporary copy of the repository by `architecture-probes.test.ts`, which counts the files
 * it touches. Each probe is one file `tests/probes/<seam>.ts` default-exporting a `Probe`;
 * the framework finds them by listing that folder, so adding a probe edits nothing else.
 */
export interface Probe {
  /** The seam, e.g. 'sampler', 'pruner', 'executor', 'backend', 'family', 'threshold-rule'. */
  seam: string;
  /** New files, path relative to the repository root -> content: exactly one implementation file. */
  create: Record<string, string>;
  /** Edits of existing files (the registry line): path -> function of the old text returning the new text.
   *  The framework asserts each edit changes exactly one line (adds one line or changes one). */
  edit: Record<string, (text: string) => string>;
  /** A Node ESM script (text) run in the copy, after `npx tsc -b` and `node tools/generate-schema.mjs`, from the
   *  copy's root; it must exit 0 only when the new implementation works end to end through the public path
   *  (e.g. an experiment file naming it is validated and runs one short training, or the registry lists it and
   *  the checked JSON schema includes its settings). */
  check: string;
}
