import type { Dataset } from '../dataset.js';
import { DataFormatError } from '../errors.js';
import { LabelledRows } from '../labelled-rows.js';
import { canonicalNumericLabel, inputName, type LineInput, parseNumberCell, readLines } from '../lines.js';

const UCR_MISSING = new Set(['NaN', 'nan', '?']);

/**
 * Loads the classic UCR text format: one series per line, whitespace (or comma)
 * separated, class label first, values often in e-notation. Numeric labels are written in
 * shortest form ("1.0000000e+00" -> "1") so they agree with the ARFF and .ts files.
 */
export async function loadUcr(input: LineInput, options: { name?: string } = {}): Promise<Dataset> {
  const file = inputName(input);
  const rows = new LabelledRows();
  let length = -1;
  let firstLine = 0;
  const { sha256 } = await readLines(input, (text, line) => {
    const trimmed = text.trim();
    if (trimmed === '') return;
    const cells = trimmed.split(/[\s,]+/);
    if (length === -1) {
      length = cells.length - 1;
      firstLine = line;
      if (length < 1)
        throw new DataFormatError(
          file,
          line,
          undefined,
          `expected a label followed by the series values, found ${cells.length} cell`,
        );
    } else if (cells.length - 1 !== length)
      throw new DataFormatError(
        file,
        line,
        undefined,
        `expected ${length} values after the label as on line ${firstLine}, found ${cells.length - 1}`,
      );
    parseNumberCell(cells[0], new Set(), file, line, 1, 'a numeric class label', 'float64');
    for (let j = 1; j < cells.length; j++) rows.values.push(parseNumberCell(cells[j], UCR_MISSING, file, line, j + 1));
    rows.pushLabel(canonicalNumericLabel(cells[0]));
  });
  if (rows.labels.length === 0)
    throw new DataFormatError(file, undefined, undefined, 'empty file: expected one series per line, label first');
  const featureNames = Array.from({ length }, (_, j) => `t${j}`);
  return rows.finish({ file, sha256, format: 'ucr', name: options.name, featureNames });
}
