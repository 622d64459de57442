import type { ExamplesArtifact, ReconstructionExample } from '@aelab/core';
import type { TopLevelSpec } from 'vega-lite';
import { downsample } from '../stats.js';
import { chartHead, round } from './common.js';

/** Time steps kept per example. */
export const MAX_EXAMPLE_POINTS = 1000;

/**
 * A normal and an anomalous input with their reconstructions, the gap between them shaded
 * (as in the seed notebook): a good model hugs the normal input and misses the anomaly.
 */
export function reconstructionSpec(examples: ExamplesArtifact): TopLevelSpec {
  const panels: [string, ReconstructionExample][] = [];
  if (examples.normal) panels.push(['Normal', examples.normal]);
  if (examples.anomalous) panels.push(['Anomalous', examples.anomalous]);
  return {
    ...chartHead({}),
    hconcat: panels.map(([kind, ex]) => {
      const points = downsample(
        ex.input.map((v, t) => ({ t, input: round(v, 5), reconstruction: round(ex.reconstruction[t], 5) })),
        MAX_EXAMPLE_POINTS,
      );
      return {
        title: { text: `${kind} example`, subtitle: `row ${ex.row}, label ${ex.label}, error ${round(ex.error, 4)}` },
        width: 260,
        height: 170,
        data: { values: points },
        layer: [
          {
            mark: { type: 'area' as const, color: '#f4a6a6', opacity: 0.6 },
            encoding: {
              x: { field: 't', type: 'quantitative' as const, title: 'Step' },
              y: { field: 'input', type: 'quantitative' as const, title: 'Value' },
              y2: { field: 'reconstruction' },
            },
          },
          {
            transform: [{ fold: ['input', 'reconstruction'], as: ['series', 'value'] as [string, string] }],
            mark: { type: 'line' as const, strokeWidth: 1.5 },
            encoding: {
              x: { field: 't', type: 'quantitative' as const },
              y: { field: 'value', type: 'quantitative' as const },
              color: {
                field: 'series',
                type: 'nominal' as const,
                title: null,
                scale: { domain: ['input', 'reconstruction'], range: ['#1f77b4', '#d62728'] },
              },
            },
          },
        ],
      };
    }),
  };
}
