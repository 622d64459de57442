/** The server's study list: the static index's table with each study's state, counts, best value and last update. */
import { formatDate, numberCell } from '../format.js';
import { numberColumn, textColumn } from '../pages/page.js';
import type { StudySummary } from './study-state.js';

export function studiesTable(studies: readonly StudySummary[]) {
  return {
    id: 'studies',
    columns: [
      textColumn('Study'),
      textColumn('Dataset'),
      textColumn('Sampler / pruner'),
      textColumn('State'),
      numberColumn('Complete', 'desc'),
      numberColumn('Pruned', 'desc'),
      numberColumn('Failed', 'desc'),
      numberColumn('Trials', 'desc'),
      textColumn('Best (selection metric)'),
      numberColumn('Best value', 'desc'),
      textColumn('Last update (UTC)', 'desc'),
    ],
    rows: studies.map((s) => ({
      cells: [
        { text: s.name, href: `${s.id}/index.html` },
        { text: s.dataset },
        { text: `${s.sampler} / ${s.pruner}` },
        { text: s.state, className: `state-${s.state}` },
        numberCell(s.trials.complete, 'count'),
        numberCell(s.trials.pruned, 'count'),
        numberCell(s.trials.failed, 'count'),
        numberCell(s.trials.total, 'count'),
        { text: s.best ? `${s.best.label}, split ${s.best.split}` : '–' },
        numberCell(s.best?.value, 'metric'),
        { text: formatDate(s.updatedAt), sort: s.updatedAt },
      ],
    })),
  };
}
