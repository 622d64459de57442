import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { DataPreparationError, inspectDataset, loadCsv, printable } from '../src/index.js';

const dir = mkdtempSync(join(tmpdir(), 'aelab-data-printable-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('printable', () => {
  it('shows terminal escape sequences and other C0 / C1 controls as visible escapes', () => {
    expect(printable('\u001b[31mred\u001b[0m')).toBe('\\x1b[31mred\\x1b[0m');
    expect(printable('a\u0000b\u0007c\u0008d\u007f')).toBe('a\\x00b\\x07c\\x08d\\x7f');
    expect(printable('tab\tnew\nline\rend')).toBe('tab\\tnew\\nline\\rend');
    // C1: U+009B is a one-character CSI on terminals that read 8-bit controls
    expect(printable('\u009b31m \u0085 \u0080')).toBe('\\x9b31m \\x85 \\x80');
  });

  it('shows characters that reorder or break a line (bidi overrides, line separators, lone surrogates)', () => {
    expect(printable('abc\u202edcba\u202c')).toBe('abc\\u202edcba\\u202c');
    expect(printable('\u2066x\u2069\u2028\u2029\u200f\u061c')).toBe('\\u2066x\\u2069\\u2028\\u2029\\u200f\\u061c');
    expect(printable('lone \ud800 and \udc00')).toBe('lone \\ud800 and \\udc00');
  });

  it('leaves ordinary text alone, including non-ASCII letters, emoji and backslashes', () => {
    for (const text of ['', 'normal', '1.0', 'Größe µV', 'ECG ❤️ 🫀', 'C:\\data\\x.csv', 'ÿ é ñ', '\u00a0'])
      expect(printable(text)).toBe(text);
  });
});

describe('data errors are printable', () => {
  it('escapes control characters of a bad cell in the DataFormatError message', async () => {
    const path = join(dir, 'bad.csv');
    writeFileSync(path, '1,2,0\n1,\u001b[2J,0\n');
    const error = await loadCsv(path).then(
      () => undefined,
      (e: Error) => e,
    );
    expect(error?.message).toBe(`${path}:2:2: expected a number, got '\\x1b[2J'`);
  });

  it('escapes labels quoted in preparation errors', () => {
    expect(new DataPreparationError("normal class 'x' matches no row; labels seen: \u001b[31m").message).toBe(
      "normal class 'x' matches no row; labels seen: \\x1b[31m",
    );
  });
});

describe('inspectDataset keeps the data as written', () => {
  it('returns labels and column names unchanged (escaping is for printing)', async () => {
    const path = join(dir, 'escapes.csv');
    writeFileSync(path, 'a\u001b[31m,b,label\n1,2,\u001b[31mok\n3,4,bad\n5,6,\u001b[31mok\n');
    const report = await inspectDataset({ dataset: path, normalClass: '\u001b[31mok' });
    expect(report.perFeature[0].name).toBe('a\u001b[31m');
    expect(Object.keys(report.classes)).toEqual(['\u001b[31mok', 'bad']);
  });
});
