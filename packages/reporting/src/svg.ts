import { View, parse } from 'vega';
import { compile, type TopLevelSpec } from 'vega-lite';

/** A chart as a page embeds it: the static SVG and the Vega-Lite spec it came from. */
export interface RenderedChart {
  /** Stable id of the chart on its page (also the prefix of every id inside the SVG). */
  id: string;
  svg: string;
  /** Pretty-printed Vega-Lite JSON, for the Vega editor. */
  specJson: string;
}

/**
 * Vega numbers clip paths and gradients with a process-wide counter, so the same chart
 * gets different ids depending on what was rendered before it, and two charts on one
 * page could collide. Renumbering every id in order of appearance under the chart's own
 * prefix makes the SVG depend on the chart alone.
 */
export function stabilizeSvgIds(svg: string, prefix: string): string {
  const ids = new Map<string, string>();
  for (const m of svg.matchAll(/\sid="([^"]+)"/g)) {
    if (!ids.has(m[1])) ids.set(m[1], `${prefix}-${ids.size + 1}`);
  }
  if (ids.size === 0) return svg;
  return svg
    .replace(/(\sid=")([^"]+)(")/g, (_, a: string, id: string, b: string) => a + (ids.get(id) ?? id) + b)
    .replace(/url\(#([^)]+)\)/g, (whole, id: string) => (ids.has(id) ? `url(#${ids.get(id)})` : whole))
    .replace(/(href=")#([^"]+)(")/g, (whole, a: string, id: string, b: string) =>
      ids.has(id) ? `${a}#${ids.get(id)}${b}` : whole,
    );
}

/**
 * Compiles a Vega-Lite spec and renders it headless to SVG (no canvas, no DOM: vega's
 * `renderer: 'none'` with `toSVG`), so reports need no JavaScript to show their charts.
 */
export async function renderChart(spec: TopLevelSpec, id: string): Promise<RenderedChart> {
  // Vega tags (and some transforms modify) the data objects it ingests: serialise first.
  const specJson = JSON.stringify(spec, null, 1);
  const view = new View(parse(compile(spec).spec), { renderer: 'none' });
  try {
    const svg = await view.toSVG();
    return { id, svg: stabilizeSvgIds(svg, id), specJson };
  } finally {
    view.finalize();
  }
}
