import { defaultServerConditions } from 'vite';
import { defineConfig } from 'vitest/config';

/**
 * Tests import sibling packages from their TypeScript sources (the `@aelab/source`
 * export condition), so a change in `data` is seen by `models` tests without a rebuild.
 * Code that runs in worker threads (the trial pool) loads the built `dist/` instead.
 */
export const sharedConfig = defineConfig({
  resolve: { conditions: ['@aelab/source', ...defaultServerConditions] },
  ssr: { resolve: { conditions: ['@aelab/source', ...defaultServerConditions] } },
  test: {
    include: ['tests/**/*.test.ts'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    pool: 'forks',
  },
});
