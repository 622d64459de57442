#!/usr/bin/env node
// Load time and peak memory of @aelab/data loaders on real files, printed as JSON.
// Usage: npx tsc -b packages/data && AELAB_DATA_DIR=<datasets folder> node tools/bench/data-load.mjs
// Each case runs in a fresh child process so peak RSS belongs to that load alone.
import { execFileSync } from 'node:child_process';
import { existsSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const dataDir = process.env.AELAB_DATA_DIR;
if (!dataDir || !existsSync(dataDir)) {
  console.error('set AELAB_DATA_DIR to the datasets folder (the layout `aelab data fetch` writes)');
  process.exit(2);
}

if (process.argv[2] === '--case') {
  const { loadDataset, clearDatasetCache } = await import('@aelab/data');
  const name = process.argv[3];
  const runs = [];
  let dataset;
  for (let i = 0; i < 3; i++) {
    clearDatasetCache();
    const start = process.hrtime.bigint();
    dataset = await loadDataset(name, {}, { dataDir });
    runs.push(Number(process.hrtime.bigint() - start) / 1e9);
  }
  const bytes = dataset.source.paths.map((p) => (existsSync(p) ? statSync(p).size : 0)).reduce((a, b) => a + b, 0);
  console.log(
    JSON.stringify({
      dataset: name,
      rows: dataset.rows,
      features: dataset.features,
      fileBytes: bytes,
      loadSeconds: { first: runs[0], best: Math.min(...runs) },
      peakRssMiB: Math.round((process.resourceUsage().maxRSS / 1024) * 10) / 10,
    }),
  );
  process.exit(0);
}

const { NAB_CORPUS } = await import('@aelab/data');
const largestNab = [...NAB_CORPUS].sort((a, b) => b.bytes - a.bytes)[0];
const self = fileURLToPath(import.meta.url);
const cases = ['ecg', `nab/${largestNab.key.replace(/\.csv$/, '')}`].map((name) =>
  JSON.parse(execFileSync(process.execPath, [self, '--case', name], { encoding: 'utf8', cwd: join(self, '..') })),
);
console.log(
  JSON.stringify(
    { node: process.version, note: 'wall times on a shared 2-vCPU machine: noisy', dataDir, cases },
    null,
    2,
  ),
);
