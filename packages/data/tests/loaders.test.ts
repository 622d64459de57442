import { mkdirSync, mkdtempSync, openSync, closeSync, ftruncateSync, writeFileSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { afterAll, describe, expect, it } from 'vitest';
import { rmSync } from 'node:fs';
import {
  DataFormatError,
  isCsvHeader,
  isCsvValue,
  loadArff,
  loadCsv,
  loadDataset,
  loadFile,
  loadNab,
  loadTs,
  loadUcr,
  loadUnlabelledCsv,
  prepareData,
} from '../src/index.js';

const dir = mkdtempSync(join(tmpdir(), 'aelab-data-loaders-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
let counter = 0;
function file(text: string, extension = 'csv'): string {
  const path = join(dir, `f${counter++}.${extension}`);
  writeFileSync(path, text);
  return path;
}

async function formatError(promise: Promise<unknown>): Promise<DataFormatError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(DataFormatError);
  return error as DataFormatError;
}

describe('CSV loader', () => {
  it('reads headerless rows with e-notation and CRLF, label last, as written', async () => {
    const d = await loadCsv(file('1.5,-2e-3,1.0\r\n3,4E2,0.0\r\n'));
    expect(d.rows).toBe(2);
    expect(d.features).toBe(2);
    expect(Array.from(d.values)).toEqual([1.5, Math.fround(-0.002), 3, 400]);
    expect(d.labels).toEqual(['1.0', '0.0']);
    expect(d.featureNames).toEqual(['c0', 'c1']);
  });

  it('detects a quoted header, takes the label column by name, unquotes cells and drops columns', async () => {
    const d = await loadCsv(file('"Time","V1","Amount","Class"\n0,"1.5",3,"0"\n1,2,"4","1"'), {
      labelColumn: 'Class',
      dropColumns: ['Time'],
    });
    expect(d.featureNames).toEqual(['V1', 'Amount']);
    expect(Array.from(d.values)).toEqual([1.5, 3, 2, 4]);
    expect(d.labels).toEqual(['0', '1']);
  });

  it('keeps empty cells as missing (NaN) for preparation to fill and count', async () => {
    const d = await loadCsv(file('1,,3,a\n4,5,6,b\n'));
    expect(Number.isNaN(d.values[1])).toBe(true);
  });

  it('rejects an empty file, a header-only file and a missing label column with file and line', async () => {
    let e = await formatError(loadCsv(file('')));
    expect(e.message).toMatch(/f\d+\.csv: empty file/);
    e = await formatError(loadCsv(file('a,b,label\n'), { header: true }));
    expect(e.message).toMatch(/:2: header only/);
    e = await formatError(loadCsv(file('a,b,label\n1,2,x\n'), { labelColumn: 'Class' }));
    expect(e.line).toBe(1);
    expect(e.message).toMatch(/labelColumn 'Class' not found in the header; columns are: a, b, label/);
  });

  it('rejects a ragged row, naming line and expected cell count', async () => {
    const e = await formatError(loadCsv(file('1,2,3,0\n1,2,3,0\n1,2,0\n')));
    expect([e.line, e.column]).toEqual([3, undefined]);
    expect(e.message).toMatch(/:3: expected 4 cells as on line 1, found 3/);
  });

  it('rejects a non-numeric cell with line and column', async () => {
    const e = await formatError(loadCsv(file('1,2,0\n1,abc,0\n')));
    expect([e.line, e.column]).toEqual([2, 2]);
    expect(e.message).toMatch(/:2:2: expected a number, got 'abc'/);
  });

  it('rejects Infinity but reads NaN as a missing cell', async () => {
    const e = await formatError(loadCsv(file('1,2,0\n1,Infinity,0\n')));
    expect(e.message).toMatch(/:2:2: expected a number, got 'Infinity': values must be finite/);
    await expect(loadCsv(file('1,2,0\n1,-inf,0\n'))).rejects.toThrow(/values must be finite/);
    const d = await loadCsv(file('1,2,0\n1,NaN,1\n'));
    expect(Number.isNaN(d.values[3])).toBe(true);
    const prepared = await prepareData({
      dataset: file('1,2,0\n1,NaN,1\n3,3,0\n2,2,0\n'),
      normalClass: '0',
      split: { kind: 'rows', train: [2, 4], test: [0, 2] },
      validationFraction: 0,
    });
    expect(prepared.filledCells).toBe(1);
  });

  it('names the likely delimiter when a file is not comma-separated', async () => {
    const e = await formatError(loadCsv(file('1;2;0\n3;4;1\n')));
    expect(e.line).toBe(1);
    expect(e.message).toMatch(/found 1.*contains ';': wrong delimiter\?/);
    const d = await loadCsv(file('1;2;0\n3;4;1\n'), { delimiter: ';' });
    expect(d.rows).toBe(2);
  });

  it('rejects an unterminated quote', async () => {
    const e = await formatError(loadCsv(file('1,"2,0\n')));
    expect(e.message).toMatch(/:1:2: unterminated " quote/);
  });

  it('rejects a 2 GB sparse file without a line break quickly and without reading it into memory', async () => {
    const path = join(dir, 'huge.csv');
    const fd = openSync(path, 'w');
    writeSync(fd, 'a,b,label\n');
    ftruncateSync(fd, Math.round(2.2 * 1024 ** 3)); // sparse: no disk used, reads as zero bytes
    closeSync(fd);
    const before = process.memoryUsage();
    const e = await formatError(loadCsv(path));
    const after = process.memoryUsage();
    expect(e.line).toBe(2);
    expect(e.message).toMatch(/line is longer than 67108864 bytes without a line break/);
    const grown = after.heapUsed + after.arrayBuffers - (before.heapUsed + before.arrayBuffers);
    console.log(
      `2.2 GB sparse file: rejected at line 2 after 64 MiB; heap+arrayBuffers grew ${(grown / 2 ** 20).toFixed(1)} MiB`,
    );
    expect(grown).toBeLessThan(300 * 2 ** 20);
  });

  it('streams a generated 40 MB CSV with memory proportional to the Float32 values, not the text', async () => {
    const rows = 400_000;
    const features = 10;
    let produced = 0;
    let bytes = 0;
    setFlagsFromString('--expose-gc');
    const collect = runInNewContext('gc') as () => void;
    // two full collections with a turn between, so buffers of earlier tests are really gone
    const gc = async () => {
      for (let i = 0; i < 2; i++) {
        collect();
        await new Promise((resolve) => setImmediate(resolve));
      }
    };
    await gc();
    const before = process.memoryUsage();
    let peak = 0;
    const stream = Readable.from(
      (function* () {
        for (; produced < rows; produced++) {
          if (produced % 20_000 === 0) {
            // sampled while the loader consumes the stream
            const m = process.memoryUsage();
            peak = Math.max(peak, m.heapUsed + m.arrayBuffers - before.heapUsed - before.arrayBuffers);
          }
          const cells: string[] = [];
          for (let j = 0; j < features; j++) cells.push((((produced * 7 + j * 13) % 1000) / 333.3 - 1.5).toFixed(6));
          const line = `${cells.join(',')},${produced % 10 === 0 ? 1 : 0}\n`;
          bytes += line.length;
          yield line;
        }
      })(),
    );
    const d = await loadCsv({ stream, name: 'generated.csv' });
    await gc();
    const end = process.memoryUsage();
    const retained = end.heapUsed + end.arrayBuffers - before.heapUsed - before.arrayBuffers;
    expect(d.rows).toBe(rows);
    expect(d.features).toBe(features);
    expect(d.labels.filter((l) => l === '1').length).toBe(rows / 10);
    console.log(
      `generated ${(bytes / 2 ** 20).toFixed(1)} MiB CSV (not on disk): ` +
        `heap+arrayBuffers peak growth ${(peak / 2 ** 20).toFixed(1)} MiB (sampled, incl. garbage), ` +
        `retained ${(retained / 2 ** 20).toFixed(1)} MiB, values ${(d.values.byteLength / 2 ** 20).toFixed(1)} MiB`,
    );
    expect(bytes).toBeGreaterThan(35 * 2 ** 20);
    // the text is never held: what stays is the Float32 values (15 MiB) and one pointer per label
    expect(retained).toBeLessThan(0.75 * bytes);
  });
});

describe('the CSV rules aelab score shares', () => {
  it('tells a header by its non-label cells, as loadCsv does', async () => {
    expect(isCsvHeader(['1', ' 2.5e3 ', ''])).toBe(false);
    expect(isCsvHeader(['1', 'x'])).toBe(true);
    expect(isCsvHeader(['1', 'normal'], 1)).toBe(false);
    const labelled = await loadCsv(file('1,2,normal\n3,4,anomaly\n'));
    expect(labelled.rows).toBe(2);
    expect(isCsvValue('NA') && isCsvValue(' -1.5 ') && !isCsvValue('0x10') && !isCsvValue('1e39')).toBe(true);
  });

  it('loads numbers-only files with or without a header, missing cells as NaN', async () => {
    const named = await loadUnlabelledCsv(file('a,b\n1,?\n"3",4\n'));
    expect([named.rows, named.features, named.featureNames, named.labels]).toEqual([2, 2, ['a', 'b'], ['', '']]);
    expect(Array.from(named.values)).toEqual([1, NaN, 3, 4]);
    const bare = await loadUnlabelledCsv(file('1\t2\n3\t4\n', 'tsv'), { delimiter: '\t' });
    expect([bare.featureNames, Array.from(bare.values)]).toEqual([
      ['c0', 'c1'],
      [1, 2, 3, 4],
    ]);
  });

  it('refuses ragged rows, bad cells and header-only files, naming line and column', async () => {
    const ragged = await formatError(loadUnlabelledCsv(file('1,2\n3\n')));
    expect(ragged.message).toMatch(/:2: expected 2 cells as on line 1, found 1/);
    const bad = await formatError(loadUnlabelledCsv(file('1,2\n3,x\n')));
    expect([bad.line, bad.column]).toEqual([2, 2]);
    expect((await formatError(loadUnlabelledCsv(file('a,b\n')))).message).toMatch(/header only/);
  });
});

describe('ARFF loader', () => {
  const header =
    "% comment\n@RELATION 'test set'\n@attribute  a   numeric\n@ATTRIBUTE 'b c' REAL\n" +
    "@attribute kind {x, 'y z'}\n@attribute  target {1,2}\n@data\n";
  it('reads numeric and nominal attributes, comments, quotes, ? and any spacing', async () => {
    const d = await loadArff(file(`${header}1.5,2e1,x,1\n% mid comment\n?,3,'y z',2\n`, 'arff'));
    expect(d.name).toBe('test set');
    expect(d.featureNames).toEqual(['a', 'b c', 'kind']);
    expect(Array.from(d.values)).toEqual([1.5, 20, 0, NaN, 3, 1]);
    expect(d.labels).toEqual(['1', '2']);
  });

  it('rejects an unknown nominal value, a short row and a header-only file', async () => {
    let e = await formatError(loadArff(file(`${header}1,2,x,7\n`, 'arff')));
    expect([e.line, e.column]).toEqual([8, 4]);
    expect(e.message).toMatch(/unknown nominal value '7' for attribute 'target'; expected one of \{1,2\}/);
    e = await formatError(loadArff(file(`${header}1,2,q,1\n`, 'arff')));
    expect(e.message).toMatch(/unknown nominal value 'q' for attribute 'kind'/);
    e = await formatError(loadArff(file(`${header}1,2,1\n`, 'arff')));
    expect(e.message).toMatch(/:8: expected 4 values \(one per @attribute\), found 3/);
    e = await formatError(loadArff(file(header, 'arff')));
    expect(e.message).toMatch(/header only/);
    e = await formatError(loadArff(file('', 'arff')));
    expect(e.message).toMatch(/empty file/);
    e = await formatError(loadArff(file('@relation r\n@attribute s string\n', 'arff')));
    expect(e.message).toMatch(/:2: attribute 's' has type 'string'/);
  });
});

describe('UCR text and .ts loaders', () => {
  it('reads UCR text (label first, whitespace, e-notation) with labels in shortest form', async () => {
    const d = await loadUcr(file('  1.0000000e+00  -1.5e-01  2.0\n2.0000000e+00 3 4\n', 'txt'));
    expect(d.labels).toEqual(['1', '2']);
    expect(Array.from(d.values)).toEqual([Math.fround(-0.15), 2, 3, 4]);
    await expect(loadUcr(file('1 2 3\n1 2\n', 'txt'))).rejects.toThrow(
      /:2: expected 2 values after the label as on line 1, found 1/,
    );
  });

  it('reads .ts and rejects undeclared labels, wrong lengths and multivariate rows', async () => {
    const head = '#c\n@problemName P\n@seriesLength 3\n@classLabel true 1 2\n@data\n';
    const d = await loadTs(file(`${head}1,2,3:1\n4,?,6:2\n`, 'ts'));
    expect(d.name).toBe('P');
    expect(d.labels).toEqual(['1', '2']);
    expect(Number.isNaN(d.values[4])).toBe(true);
    await expect(loadTs(file(`${head}1,2,3:9\n`, 'ts'))).rejects.toThrow(
      /:6: unknown class label '9'; @classLabel declares 1 2/,
    );
    await expect(loadTs(file(`${head}1,2:1\n`, 'ts'))).rejects.toThrow(/expected 3 values \(@seriesLength\), found 2/);
    await expect(loadTs(file(`${head}1,2,3:4,5,6:1\n`, 'ts'))).rejects.toThrow(/one dimension/);
  });

  it('chooses the loader from the file extension and rejects unknown ones', async () => {
    expect((await loadFile(file('1 2 3\n', 'txt'))).source.format).toBe('ucr');
    await expect(loadFile(file('x', 'xlsx'))).rejects.toThrow(/extension '.xlsx'/);
  });
});

describe('named datasets without files', () => {
  it('gives one line naming where it looked and the fetch command', async () => {
    const empty = mkdtempSync(join(dir, 'empty-'));
    const error = await loadDataset('ecg', {}, { dataDir: empty }).then(
      () => undefined,
      (e: Error) => e,
    );
    expect(error?.message).toBe(
      `dataset 'ecg' not found: looked for ${join(empty, 'ecg_tensorflow/ecg.csv')} (data dir from --data-dir); ` +
        `run \`npx aelab data fetch ecg\` or set AELAB_DATA_DIR / --data-dir`,
    );
    expect(error?.message.includes('\n')).toBe(false);
    await expect(loadDataset('nab/nope/x')).rejects.toThrow(/unknown NAB series/);
    await expect(loadDataset('no-such-thing')).rejects.toThrow(/neither a registered dataset .* nor an existing file/);
  });
});

describe('values beyond float32', () => {
  const arffHead = '@relation r\n@attribute a numeric\n@attribute b numeric\n@attribute class {0,1}\n@data\n';
  const tsHead = '@problemName P\n@classLabel true 0 1\n@data\n';
  const nabLabels = () => file(JSON.stringify({ 'f/s.csv': [] }), 'json');
  const nabSeries = (v: string) =>
    file(`timestamp,value\n2014-01-01 00:00:00,1\n2014-01-01 00:05:00,${v}\n2014-01-01 00:10:00,2\n`, 'csv');
  const loads: [format: string, load: (v: string) => Promise<unknown>, at: string][] = [
    ['CSV', (v) => loadCsv(file(`1,2,0\n1,${v},0\n`)), ':2:2'],
    ['ARFF', (v) => loadArff(file(`${arffHead}1,2,0\n1,${v},1\n`, 'arff')), ':7:2'],
    ['UCR', (v) => loadUcr(file(`1 2 3\n1 2 ${v}\n`, 'txt')), ':2:3'],
    ['.ts', (v) => loadTs(file(`${tsHead}1,2,3:0\n1,${v},3:1\n`, 'ts')), ':5:2'],
    ['NAB', (v) => loadNab(nabSeries(v), nabLabels(), 'f/s.csv', { windowSize: 2, stride: 1 }), ':3:2'],
  ];
  for (const value of [
    '1e39',
    '-1e39',
    '1e999',
    '-1e999',
    '3.5e38',
    '-3.5e38',
    '340282357000000000000000000000000000000',
  ])
    it.each(loads)(`rejects ${value} in %s with file:line:column and the value`, async (_, load, at) => {
      const e = await formatError(load(value));
      expect(e.message).toContain(`${at}: expected a number`);
      expect(e.message).toContain(`, got '${value}': values must be finite and fit in float32 (|x| <= 3.4028235e38)`);
    });

  it.each(loads)('keeps the largest float32 values and underflows tiny ones to 0 in %s', async (_, load) => {
    for (const value of ['3.4028234e38', '-3.4028235e38', '1e-50']) {
      const d = (await load(value)) as { values: Float32Array };
      expect(Array.from(d.values).every(Number.isFinite)).toBe(true);
    }
  });

  it('checks numeric UCR class labels as numbers, not as float32 values', async () => {
    expect((await loadUcr(file('1e39 1 2\n', 'txt'))).labels).toEqual(['1e+39']);
    const e = await formatError(loadUcr(file('1e999 1 2\n', 'txt')));
    expect(e.message).toMatch(/:1:1: expected a numeric class label, got '1e999': values must be finite/);
  });
});

describe('dropColumns', () => {
  const table = () => file('Time,V1,V2,Class\n0,1,2,0\n1,3,4,1\n');
  it('takes an array of names and indices, a comma-separated string or one index', async () => {
    expect((await loadFile(table(), { dropColumns: ['Time', 2] })).featureNames).toEqual(['V1']);
    expect((await loadFile(table(), { dropColumns: 'Time, V2' })).featureNames).toEqual(['V1']);
    expect((await loadFile(table(), { dropColumns: 0 })).featureNames).toEqual(['V1', 'V2']);
    expect((await loadCsv(table(), { dropColumns: 'Time' })).featureNames).toEqual(['V1', 'V2']);
    expect((await loadFile(table(), { dropColumns: '' })).featureNames).toEqual(['Time', 'V1', 'V2']);
  });

  it('says what type it expects', async () => {
    await expect(loadFile(table(), { dropColumns: true })).rejects.toThrow(
      'dropColumns must be a comma-separated string of column names ' +
        'or an array of column names / 0-based indices, got true',
    );
    await expect(loadCsv(table(), { dropColumns: [['Time']] as never })).rejects.toThrow(
      /dropColumns entry 0 must be a column name or a 0-based index, got \["Time"\]/,
    );
  });

  it('refuses to drop every feature column', async () => {
    const e = await formatError(loadFile(table(), { dropColumns: ['Time', 'V1', 'V2'] }));
    expect(e.message).toMatch(/:1: dropColumns \(Time, V1, V2\) leaves no feature column/);
  });
});

describe('a directory where a file is expected', () => {
  it('names the path instead of a bare EISDIR', async () => {
    const folder = join(dir, 'folder.csv');
    mkdirSync(folder);
    // one load at a time: a rejection nobody awaits yet would be reported as unhandled
    for (const load of [loadFile, loadDataset, loadCsv, loadArff, loadUcr, loadTs])
      await expect(load(folder)).rejects.toThrow(`${folder}: is a directory; expected a data file`);
    const series = file('timestamp,value\n2014-01-01 00:00:00,1\n2014-01-01 00:05:00,2\n');
    await expect(loadNab(series, folder, 'f/s.csv', { windowSize: 2, stride: 1 })).rejects.toThrow(
      `${folder}: is a directory; expected a data file`,
    );
  });
});

describe('regressions found by the loader fuzz suite (tests/loaders.fuzz.test.ts)', () => {
  const arffHead = '@relation r\n@attribute a numeric\n@attribute class {0,1}\n';
  const tsHead = '@problemName P\n@classLabel true 0 1\n';
  const labels = () => file(JSON.stringify({ 'f/s.csv': [] }), 'json');
  const nab = (series: string) => loadNab(file(series), labels(), 'f/s.csv', { windowSize: 2, stride: 1 });

  it('names a line for whole-file problems: where the file ended, or the @data line', async () => {
    let e = await formatError(loadArff(file('@relation r\n', 'arff')));
    expect(e.message).toMatch(/:1: no @data line before the end of the file/);
    e = await formatError(loadArff(file(`${arffHead}\n% c\n`, 'arff')));
    expect(e.message).toMatch(/:5: no @data line before the end of the file/);
    e = await formatError(loadArff(file(`${arffHead}@data\n\n`, 'arff')));
    expect(e.message).toMatch(/:4: header only: expected data rows after @data/);
    e = await formatError(loadTs(file('@problemName p\n', 'ts')));
    expect(e.message).toMatch(/:1: no @data line before the end of the file/);
    e = await formatError(loadTs(file(`${tsHead}@data\n# c\n`, 'ts')));
    expect(e.message).toMatch(/:3: header only: expected data rows after @data/);
    e = await formatError(nab('timestamp,value\n2014-01-01 00:00:00,1\n'));
    expect(e.message).toMatch(/:2: series ends after 1 points, fewer than windowSize 2/);
    e = await formatError(nab('timestamp,value\n\n'));
    expect(e.message).toMatch(/:2: no data rows/);
    e = await formatError(nab(''));
    expect(e.line).toBeUndefined();
    expect(e.message).toMatch(/f\d+\.csv: empty file: expected the NAB header 'timestamp,value'/);
  });

  it('checks the NAB header when blank lines come first', async () => {
    const e = await formatError(nab('\n2014-01-01 00:00:00,1\n2014-01-01 00:05:00,2\n'));
    expect(e.message).toMatch(/:2: expected the NAB header 'timestamp,value', got '2014-01-01 00:00:00,1'/);
    expect((await nab('\ntimestamp,value\n2014-01-01 00:00:00,1\n2014-01-01 00:05:00,2\n')).rows).toBe(1);
  });

  it(
    'rejects NAB timestamps that are not calendar times (month 13, hour 99) ' + 'instead of rolling them over',
    async () => {
      for (const bad of [
        '2014-13-01 00:00:00',
        '2014-02-30 00:00:00',
        '2014-01-01 24:00:00',
        '2014-01-01 00:60:00',
        '2014-01-01 00:00:61',
      ]) {
        const e = await formatError(nab(`timestamp,value\n2014-01-01 00:00:00,1\n${bad},2\n`));
        expect(e.message).toContain(`:3:1: expected a timestamp 'YYYY-MM-DD HH:MM:SS', got '${bad}'`);
      }
      expect((await nab('timestamp,value\n2016-02-29 23:59:59,1\n2016-03-01 00:00:00.5,2\n')).timestamps).toEqual([
        Date.UTC(2016, 1, 29, 23, 59, 59),
      ]);
    },
  );

  it('rejects a 100,000-digit cell with trailing junk in linear time (no regex backtracking)', async () => {
    const digits = '7'.repeat(100_000);
    const cases: [content: string, load: (path: string) => Promise<unknown>, rejects: boolean][] = [
      [`1,2,0\n1,${digits}x,0\n`, loadCsv, true],
      // header detection reads the same cell: a header line, not a number
      [`${digits}x,2,0\n1,2,0\n`, loadCsv, false],
      [`1 2 3\n${digits}.5.5 2 3\n`, loadUcr, true],
    ];
    for (const [content, load, rejects] of cases) {
      const start = performance.now();
      const loading = load(file(content));
      if (rejects) await expect(loading).rejects.toThrow(DataFormatError);
      else await loading;
      expect(performance.now() - start).toBeLessThan(1000);
    }
  });
});
