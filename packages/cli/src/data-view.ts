import {
  fetchDataset,
  inspectDataset,
  listDatasets,
  printable,
  resolveDataDir,
  type DatasetInspection,
} from '@aelab/data';
import type { DataArgs } from './args.js';

const n = (v: number, digits = 4) => (Number.isFinite(v) ? Number(v.toPrecision(digits)).toString() : '-');
const classes = (c: Record<string, number>) =>
  Object.entries(c)
    .map(([k, v]) => `${printable(k)}: ${v}`)
    .join(', ');

/**
 * JSON text in which what JSON.stringify leaves raw but a terminal may obey (DEL, C1
 * controls such as the one-character CSI U+009B, bidi controls, U+2028/9) is written as
 * \u escapes: the same JSON value, safe to print. Such characters only occur inside strings.
 */
const terminalSafeJson = (value: unknown) =>
  JSON.stringify(value, null, 2).replace(
    /[\u007f-\u009f\u061c\u200e\u200f\u2028-\u202e\u2066-\u2069]/g,
    (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`,
  );

// Names, labels, paths and notes come from the data files: printed through printable() so
// an escape sequence in a label or column name is shown, not executed by the terminal.
function printInspection(r: DatasetInspection): void {
  console.log(printable(`${r.name}${r.description ? ` — ${r.description}` : ''}`));
  console.log(
    `source: ${printable(r.source.paths.join(', '))} (${r.source.format}, sha256 ${r.source.sha256.slice(0, 16)}…)`,
  );
  console.log(
    `shape: ${r.rows} rows x ${r.features} features; normal class: ${printable(r.normalClass.join(', ')) || '-'}`,
  );
  console.log(`classes: ${classes(r.classes)}`);
  if ('error' in r.splits) console.log(`splits: ${printable(r.splits.error)}`);
  else
    for (const [name, s] of Object.entries(r.splits))
      console.log(`  ${name.padEnd(10)} ${String(s.rows).padStart(6)} rows  ${classes(s.classes)}`);
  if (r.droppedTrainingAnomalies)
    console.log(`  (${r.droppedTrainingAnomalies} anomalous training rows left out: training uses normal rows only)`);
  console.log(`missing cells: ${r.missingCells}`);
  const s = r.summary;
  console.log(
    `values: min ${n(s.min)}, max ${n(s.max)}; feature means ${n(s.minMean)} .. ${n(s.maxMean)}; ` +
      `feature sds ${n(s.minStd)} .. ${n(s.maxStd)}`,
  );
  console.log(['feature', 'count', 'missing', 'mean', 'std', 'min', '25%', '50%', '75%', 'max'].join('\t'));
  for (const f of r.perFeature) {
    console.log(
      [
        printable(f.name),
        f.count,
        f.missing,
        n(f.mean),
        n(f.std),
        n(f.min),
        n(f.p25),
        n(f.p50),
        n(f.p75),
        n(f.max),
      ].join('\t'),
    );
  }
  for (const note of r.notes) console.log(`note: ${printable(note)}`);
}

/** `aelab data list|inspect|fetch`. */
export async function runData(args: DataArgs): Promise<void> {
  const dataDir = args['data-dir'];
  if (args.action === 'list') {
    const all = listDatasets();
    if (args.json) return void console.log(terminalSafeJson(all));
    console.log(`data directory: ${printable(resolveDataDir(dataDir))}`);
    for (const d of all)
      console.log(
        `${d.name.padEnd(16)} ${d.format.padEnd(9)} normal=${d.normalClass.join('|').padEnd(8)} ${d.description}`,
      );
    console.log('NAB series: nab/<folder>/<file>.csv (see `data inspect nab/realKnownCause/nyc_taxi.csv`)');
    return;
  }
  if (!args.name) throw new Error(`data ${args.action} needs a dataset name: see \`npx aelab data list\``);
  if (args.action === 'inspect') {
    const report = await inspectDataset(args.name, { dataDir, maxFeatures: args.json ? undefined : 20 });
    if (args.json) console.log(terminalSafeJson(report));
    else printInspection(report);
    return;
  }
  const result = await fetchDataset(args.name, {
    dataDir,
    baseUrl: args['base-url'],
    onProgress: (path, bytes, total) => {
      if (process.stderr.isTTY) process.stderr.write(`\r${printable(path)}: ${bytes}${total ? `/${total}` : ''} bytes`);
    },
  });
  if (process.stderr.isTTY) process.stderr.write('\n');
  for (const f of result.files) {
    console.log(
      `${f.status} ${printable(f.absolute)} (${f.bytes} bytes, ` +
        `sha256 ${f.sha256}${f.verified ? ', verified' : ', no pinned digest'})`,
    );
  }
  if (result.files.length === 0) console.log(`${result.name} is embedded: nothing to fetch`);
}
