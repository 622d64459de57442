/** A JSON value, as records and experiment files carry user-supplied parameters. */
export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

/** Flat parameter map: dotted names (`model.kind`, `training.learningRate`) to values. */
export type Params = Record<string, Json>;
