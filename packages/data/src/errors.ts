import { printable } from './printable.js';

/**
 * A file that does not hold what its format promises. The message always names the file,
 * the 1-based line (and column where one cell is at fault) and what was expected, so the
 * user can open the file at the right place. Loaders never return a partial dataset: they
 * throw this instead.
 */
export class DataFormatError extends Error {
  override readonly name = 'DataFormatError';
  constructor(
    readonly file: string,
    /** 1-based line number, or undefined for whole-file problems (empty file). */
    readonly line: number | undefined,
    /** 1-based column (cell index for delimited formats), when one cell is at fault. */
    readonly column: number | undefined,
    readonly detail: string,
  ) {
    // the message quotes cells and labels from the file: escape them so printing it is safe
    super(
      printable(`${file}${line !== undefined ? `:${line}` : ''}${column !== undefined ? `:${column}` : ''}: ${detail}`),
    );
  }
}

/** A named dataset whose files are not in the data directory. One line, with the fix. */
export class DatasetNotFoundError extends Error {
  override readonly name = 'DatasetNotFoundError';
  constructor(
    readonly dataset: string,
    readonly lookedAt: string[],
    readonly dataDirSource: string,
  ) {
    super(
      `dataset '${dataset}' not found: looked for ${lookedAt.join(' or ')} (data dir from ${dataDirSource}); ` +
        `run \`npx aelab data fetch ${dataset}\` or set AELAB_DATA_DIR / --data-dir`,
    );
  }
}

/**
 * A dataset that loads but cannot be prepared as asked (no normal training rows, bad split).
 * Its message names labels from the data, escaped with {@link printable}.
 */
export class DataPreparationError extends Error {
  override readonly name = 'DataPreparationError';
  constructor(message: string) {
    super(printable(message));
  }
}
