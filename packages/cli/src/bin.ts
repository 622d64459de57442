#!/usr/bin/env node
import { failpointSetting } from '@aelab/core';
import { createCli } from './cli.js';

try {
  // A mistyped test seam is refused before anything is opened or written.
  failpointSetting();
  await createCli(process.argv.slice(2)).parseAsync();
} catch (error) {
  // Errors are written for people: the message names the file, field or dataset at fault.
  // The stack is for us, on request.
  // Messages quote user files (labels, names, paths): their control characters are shown,
  // never obeyed by the terminal; the message's own line breaks stay.
  const err = error as Error;
  const { printable } = await import('@aelab/data');
  console.error(
    `aelab: ${String(err?.message ?? error)
      .split('\n')
      .map(printable)
      .join('\n')}`,
  );
  if (process.env.AELAB_DEBUG) console.error(err?.stack);
  process.exitCode = 1;
}
