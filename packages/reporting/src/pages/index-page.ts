/** The report's front page (`index.html`): every study of the store with its winner. */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { StudyRecord } from '@aelab/store';
import { formatDate, summaryCell } from '../format.js';
import { configurationName, type Leaderboard } from '../leaderboard.js';
import type { Templates } from '../templates.js';
import { framePage, numberColumn, textColumn } from './page.js';

/** A study as the index lists it. */
export interface IndexEntry {
  study: StudyRecord;
  board: Leaderboard;
  /** The study's folder in the report. */
  dir: string;
  /** Whether the study's page exists: rendered this time, or by an earlier render into the same folder. */
  linked: boolean;
}

function studiesTable(entries: IndexEntry[]) {
  return {
    id: 'studies',
    columns: [
      textColumn('Study'),
      textColumn('Dataset'),
      numberColumn('Trials', 'desc'),
      textColumn('Selection rule'),
      numberColumn('Best (selection metric)', 'desc'),
      textColumn('Winner'),
      textColumn('Created (UTC)', 'desc'),
    ],
    rows: entries.map(({ study, board, dir, linked }) => {
      const complete = board.statusCounts.complete ?? 0;
      return {
        cells: [
          { text: study.name, href: linked ? `${dir}/index.html` : undefined },
          { text: study.dataset },
          { text: `${complete} / ${board.trials.length}`, sort: String(complete), className: 'num' },
          {
            text: board.warning ? `${board.ruleText} (warning: ${board.warning})` : board.ruleText,
            className: board.warning ? 'warn' : undefined,
          },
          board.winner ? summaryCell(board.winner.score, 'metric') : { text: '–' },
          { text: board.winner ? configurationName(board.winner) : '–' },
          { text: formatDate(study.createdAt), sort: study.createdAt },
        ],
      };
    }),
  };
}

/** Whether a study folder already holds a page from an earlier render. */
export function hasStudyPage(outDir: string, dir: string): boolean {
  return existsSync(join(outDir, dir, 'index.html'));
}

/** The index page's HTML. */
export function indexPage(templates: Templates, entries: IndexEntry[]): string {
  const body = templates.page('index', {
    studies: entries,
    single: entries.length === 1,
    table: studiesTable(entries),
  });
  return framePage(templates, {
    title: 'aelab studies',
    cssHref: 'report.css',
    homeHref: 'index.html',
    breadcrumbs: [],
    body,
  });
}
