// The builds a bench with --compare runs side by side: this checkout's as "new" and another
// built checkout's (e.g. an earlier commit: `git archive <commit> | tar -x -C <dir>`,
// node_modules linked, `npx tsc -b`) as "old", each its own `runStudy` and run store class.
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const thisCheckout = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');

async function load(root, storeClass) {
  const dist = (name) => pathToFileURL(path.join(root, 'packages', name, 'dist/index.js')).href;
  return { runStudy: (await import(dist('search'))).runStudy, [storeClass]: (await import(dist('store')))[storeClass] };
}

/** `{ new, old? }`, each `{ runStudy, [storeClass] }`; `old` only when `compare` names a checkout. */
export async function comparedBuilds(compare, storeClass) {
  const builds = { new: await load(thisCheckout, storeClass) };
  if (compare) builds.old = await load(path.resolve(compare), storeClass);
  return builds;
}
