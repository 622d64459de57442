import type { FastifyInstance } from 'fastify';
import { vi } from 'vitest';

/**
 * Asks for a study's page and waits (as an open page's polls do) until the server has drawn
 * it in full: its first answers are the page without charts.
 */
export async function waitForDrawnPage(app: FastifyInstance, id: string): Promise<void> {
  await app.inject({ url: `/${id}/index.html` });
  await vi.waitFor(
    async () => {
      const live = (await app.inject({ url: `/api/studies/${id}/live` })).json() as {
        version: string;
        pageVersion: string | null;
      };
      if (live.pageVersion !== live.version) throw new Error(`the page of ${id} is not drawn yet`);
    },
    { timeout: 60_000, interval: 100 },
  );
}
