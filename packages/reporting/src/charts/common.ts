import type { Config, TopLevelSpec } from 'vega-lite';

export const VEGA_LITE_SCHEMA = 'https://vega.github.io/schema/vega-lite/v6.json';

/** Shared look: readable on screen and on paper, no view border, one font. */
export const CHART_CONFIG: Config = {
  // No per-mark ARIA descriptions: they made SVGs of dense charts several times larger and
  // slower to render, and the page's tables carry the same numbers accessibly.
  aria: false,
  font: 'system-ui, -apple-system, "Segoe UI", Helvetica, Arial, sans-serif',
  view: { stroke: null },
  axis: { labelFontSize: 11, titleFontSize: 12, titleFontWeight: 'normal', grid: true, gridColor: '#eceff3' },
  legend: { labelFontSize: 11, titleFontSize: 12, labelLimit: 220 },
  title: { fontSize: 13, anchor: 'start', fontWeight: 'bold' },
  range: {
    category: [
      '#1f77b4',
      '#d62728',
      '#2ca02c',
      '#ff7f0e',
      '#9467bd',
      '#8c564b',
      '#e377c2',
      '#17becf',
      '#7f7f7f',
      '#bcbd22',
    ],
  },
};

/** A chart's title and size, each optional (a concatenation sizes its parts). */
export interface ChartHead {
  title?: TopLevelSpec['title'];
  width?: number | { step: number };
  height?: number | { step: number };
}

/**
 * The fields every chart spec starts with, always in this order (`$schema`, `title`, `width`,
 * `height`, `config`) so specs stay byte-stable; a field the head lacks is left out.
 */
export function chartHead(head: ChartHead): ChartHead & { $schema: string; config: Config } {
  return {
    $schema: VEGA_LITE_SCHEMA,
    ...(head.title !== undefined && { title: head.title }),
    ...(head.width !== undefined && { width: head.width }),
    ...(head.height !== undefined && { height: head.height }),
    config: CHART_CONFIG,
  };
}

/** Rounds for the embedded data, so specs stay small and byte-stable across platforms. */
export function round(value: number, digits = 6): number {
  if (!Number.isFinite(value)) return value;
  return Number(value.toPrecision(digits));
}
