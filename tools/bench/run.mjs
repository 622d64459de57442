#!/usr/bin/env node
// Runs every benchmark in this folder in turn (each prints one JSON document) and prints
// them as one JSON array. `npm run bench -- search-sweep` runs only names containing that.
import { spawnSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const dir = fileURLToPath(new URL('.', import.meta.url));
const filter = process.argv[2] ?? '';
const results = [];
for (const file of readdirSync(dir)
  .filter((f) => f.endsWith('.mjs') && f !== 'run.mjs' && f.includes(filter))
  .sort()) {
  process.stderr.write(`running ${file}...\n`);
  const run = spawnSync(process.execPath, [`${dir}${file}`], {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  try {
    results.push(JSON.parse(run.stdout));
  } catch {
    results.push({ bench: file, error: `exit ${run.status}`, output: run.stdout.slice(-2000) });
  }
}
console.log(JSON.stringify(results, null, 2));
