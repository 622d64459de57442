export * from './dataset.js';
export * from './errors.js';
export { printable } from './printable.js';
export * from './synthetic.js';
export * from './scaling.js';
export * from './splits.js';
export * from './windows.js';
export * from './registry.js';
export * from './load.js';
export * from './loader-options.js';
export * from './prepare.js';
export { parsePreparation, type Preparation } from './preparation-schema.js';
export { legacyNumpyPermutation } from './numpy-random.js';
export {
  DECIMAL_NUMBER,
  readLines,
  parseNumberCell,
  splitDelimited,
  type LineInput,
  type ReadLinesOptions,
  type ReadLinesResult,
} from './lines.js';
export { loadArff } from './loaders/arff.js';
export { CSV_MISSING, isCsvHeader, isCsvValue, loadCsv, loadUnlabelledCsv, type CsvOptions } from './loaders/csv.js';
export { loadUcr } from './loaders/ucr.js';
export { loadTs } from './loaders/ts.js';
export { loadNab, parseNabTimestamp, NAB_DEFAULTS, type NabOptions } from './loaders/nab.js';
export { NAB_CORPUS, type NabSeriesInfo } from './nab-corpus.js';
export * from './fetch.js';
export * from './inspect.js';
