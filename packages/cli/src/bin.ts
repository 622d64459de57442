#!/usr/bin/env node
import { createCli } from './cli.js';

try {
  await createCli(process.argv.slice(2)).parseAsync();
} catch (error) {
  // Errors are written for people: the message names the file, field or dataset at fault.
  // The stack is for us, on request.
  const err = error as Error;
  console.error(`aelab: ${err?.message ?? String(error)}`);
  if (process.env.AELAB_DEBUG) console.error(err?.stack);
  process.exitCode = 1;
}
