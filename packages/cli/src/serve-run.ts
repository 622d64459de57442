import { resolve } from 'node:path';
import { serve } from '@aelab/reporting';
import type { ServeArgs } from './args.js';

/** `aelab serve`: listens until SIGINT or SIGTERM, then closes the server (in-flight requests finish). */
export async function serveStore(args: ServeArgs): Promise<void> {
  const store = resolve(args.store);
  const start = performance.now();
  const { app, url, warmed } = await serve({ store, host: args.host, port: args.port, pollMs: args.pollMs });
  console.log(`aelab serve: ${url}/ (run store ${store}, read-only; Ctrl-C to stop)`);
  void warmed.then((studies) => {
    const seconds = ((performance.now() - start) / 1000).toFixed(1);
    console.log(`aelab serve: the pages of ${studies} ${studies === 1 ? 'study' : 'studies'} rendered (${seconds} s)`);
  });
  await new Promise<void>((done) => {
    const stop = () => {
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
      done();
    };
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
  });
  await app.close();
}
