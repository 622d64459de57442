import { describe, expect, it } from 'vitest';
import { buildLeaderboard } from '../src/leaderboard.js';
import { leaderboardTextTable, markdownTable } from '../src/markdown.js';
import { newStore, writeSyntheticStudy } from './synthetic-study.js';

describe('the leaderboard as a text table', () => {
  it(
    'keeps rank order and the columns of the study page: rank, configuration, what it ranks by, ' +
      'then the test metrics',
    async () => {
      const store = newStore();
      const id = await writeSyntheticStudy(store, {
        families: ['dense'],
        versions: ['base', 'tuned'],
        repeats: 2,
        artifacts: false,
      });
      const board = buildLeaderboard(
        (await store.getStudy(id))!,
        await store.listTrials(id),
        await store.listEvaluations(id),
      );
      const table = leaderboardTextTable(board);
      expect(table.header.slice(0, 6)).toEqual([
        '#',
        'configuration',
        'train.learningRate',
        'ROC-AUC (test)',
        '95% CI',
        'p vs ★',
      ]);
      expect(table.rows.map((r) => r[0])).toEqual(board.rows.map((r) => `${r.rank}${r.isWinner ? ' ★' : ''}`));
      expect(table.rows[0][1]).toBe(
        `dense ${board.winner!.variant} · p${board.winner!.scoring['threshold.percentile']} (train)`,
      );
      expect(table.rows.every((r) => r.length === table.header.length)).toBe(true);
    },
  );

  it('escapes what would break a Markdown cell', () => {
    const text = markdownTable({ header: ['a', 'b'], rows: [['x | y', 'back\\slash\nnew line']] });
    expect(text).toBe('| a | b |\n|---|---|\n| x \\| y | back\\\\slash new line |\n');
  });
});
