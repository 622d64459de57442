#!/usr/bin/env node
// Writes experiments/schema.json from the zod schema in @aelab/search (run after a build).
// `--check` exits 1 when the committed file differs, so schema and type cannot drift.
import { readFileSync, writeFileSync } from 'node:fs';
import { experimentJsonSchema } from '@aelab/search';

const target = new URL('../experiments/schema.json', import.meta.url);
const text = `${JSON.stringify(experimentJsonSchema(), null, 2)}\n`;
if (process.argv.includes('--check')) {
  const current = readFileSync(target, 'utf8');
  if (current !== text) {
    console.error('experiments/schema.json is out of date: run `node tools/generate-schema.mjs`');
    process.exit(1);
  }
  console.log('experiments/schema.json is up to date');
} else {
  writeFileSync(target, text);
  console.log(`wrote ${target.pathname}`);
}
