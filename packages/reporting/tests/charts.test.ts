import { binErrors } from '@aelab/core';
import { describe, expect, it } from 'vitest';
import { compile } from 'vega-lite';
import {
  confusionMatrixSpec,
  errorHistogramsSpec,
  intermediateValuesSpec,
  lossCurvesSpec,
  metricVsParamSpec,
  parallelCoordinatesSpec,
  reconstructionSpec,
  renderChart,
  rocPrSpec,
  seriesWindowsSpec,
  stabilizeSvgIds,
  thresholdSweepSpec,
  trialsOverTimeSpec,
} from '../src/index.js';

const curve = {
  roc: { fpr: [0, 0.1, 1], tpr: [0, 0.8, 1], thresholds: [9, 1, 0] },
  pr: { recall: [0, 0.8, 1], precision: [1, 0.9, 0.5], thresholds: [9, 1, 0] },
  rocAuc: 0.85,
  prAuc: 0.8,
};

const specs = {
  loss: lossCurvesSpec([
    {
      label: '#1',
      history: [
        { epoch: 1, loss: 1, valLoss: 1.2, seconds: 1 },
        { epoch: 2, loss: 0.5, valLoss: null, seconds: 1 },
      ],
    },
  ]),
  param: metricVsParamSpec(
    'train.learningRate',
    [
      { value: 0.001, score: 0.8, group: 'dense' },
      { value: 0.1, score: 0.7, group: 'lstm' },
    ],
    'F1',
  ),
  categorical: metricVsParamSpec(
    'model.kind',
    [
      { value: 'dense', score: 0.8, group: 'dense' },
      { value: undefined, score: 0.7, group: 'x' },
    ],
    'F1',
  ),
  parallel: parallelCoordinatesSpec(
    ['a', 'b'],
    [
      { id: '1', values: { a: 1, b: 'x' }, score: 0.5 },
      { id: '2', values: { a: 3, b: 'y' }, score: 0.9 },
    ],
    'F1',
  ),
  sweep: thresholdSweepSpec([
    { label: 'p85', precision: 0.78, recall: 0.999, f1: 0.876 },
    { label: 'p90', precision: 0.83, recall: 0.998, f1: 0.906 },
  ]),
  overTime: trialsOverTimeSpec(
    [
      { number: 0, score: 0.5, best: 0.5 },
      { number: 1, score: 0.4, best: 0.5 },
      { number: 2, score: 0.9, best: 0.9 },
    ],
    { metricLabel: 'F1' },
  ),
  histograms: errorHistogramsSpec({
    histograms: binErrors('mse', { train: [0.1, 0.2], test: { errors: [0.1, 0.9], y: [0, 1] } }, [0.3]),
    thresholds: [{ label: 'p90', value: 0.3 }],
    errorLabel: 'MSE',
  }),
  rocPr: rocPrSpec([{ label: 'test', curves: curve }]),
  confusion: confusionMatrixSpec({ tp: 5, fp: 1, tn: 10, fn: 2 }),
  examples: reconstructionSpec({
    normal: { row: 0, label: '1', error: 0.1, input: [1, 2, 3], reconstruction: [1, 2, 2.5] },
  }),
  intermediate: intermediateValuesSpec(
    [
      {
        trial: 0,
        status: 'complete',
        points: [
          { epoch: 1, value: 1 },
          { epoch: 2, value: 0.6 },
          { epoch: 3, value: 0.5 },
        ],
      },
      {
        trial: 1,
        status: 'pruned',
        points: [
          { epoch: 1, value: 1.2 },
          { epoch: 2, value: 1.1 },
        ],
      },
    ],
    { valueLabel: 'Validation loss' },
  ),
  series: seriesWindowsSpec({
    timestamps: [0, 1000, 2000, 3000],
    values: [1, 5, 1, 1],
    labelled: [[1000, 2000]],
    detected: [[900, 2100]],
  }),
};

describe('chart specs', () => {
  it.each(Object.entries(specs))('%s compiles with vega-lite and renders to SVG', async (name, spec) => {
    const json = JSON.stringify(spec, null, 1);
    expect(() => compile(spec)).not.toThrow();
    const chart = await renderChart(spec, name);
    expect(chart.svg.startsWith('<svg')).toBe(true);
    expect(chart.specJson).toBe(json);
  });

  it('draws every bin of each group, at the binned range, and says how many lie beyond it', () => {
    const histograms = binErrors('mse', { train: Array.from({ length: 1000 }, (_, i) => i) }, [], 10);
    const spec = errorHistogramsSpec({ histograms, thresholds: [], errorLabel: 'MSE' }) as unknown as {
      title: { subtitle: string };
      concat: { layer: { data: { values: { count: number; x0: number; x1: number }[] } }[] }[];
    };
    const bins = spec.concat[0].layer[0].data.values;
    expect(bins.map((b) => b.count)).toEqual(histograms.counts.train);
    expect([bins[0].x0, bins.at(-1)!.x1]).toEqual([0, 994.005]);
    // No test split: its panels are empty bins, not missing.
    expect(spec.concat[1].layer[0].data.values.map((b) => b.count)).toEqual(new Array(10).fill(0));
    expect(spec.title.subtitle).toContain('Last bin also counts the 5 errors above 994.');
  });

  it('puts parallel-coordinate positions in [0, 1] with the metric as the last axis', () => {
    const spec = specs.parallel as unknown as { layer: { data: { values: { axis: string; pos: number }[] } }[] };
    const lines = spec.layer[1].data.values;
    expect(lines.every((p) => p.pos >= 0 && p.pos <= 1)).toBe(true);
    expect(lines.map((p) => p.axis).slice(0, 3)).toEqual(['a', 'b', 'F1']);
  });

  it('renumbers SVG ids under the chart prefix, references included', () => {
    const svg =
      '<svg><clipPath id="clip7"><rect/></clipPath><g clip-path="url(#clip7)"></g>' +
      '<linearGradient id="gradient_3"/><rect fill="url(#gradient_3)"/></svg>';
    expect(stabilizeSvgIds(svg, 'roc')).toBe(
      '<svg><clipPath id="roc-1"><rect/></clipPath><g clip-path="url(#roc-1)"></g>' +
        '<linearGradient id="roc-2"/><rect fill="url(#roc-2)"/></svg>',
    );
  });

  it('renders the same spec to the same SVG whatever was rendered before', async () => {
    const first = await renderChart(specs.parallel, 'p');
    await renderChart(specs.rocPr, 'other');
    const second = await renderChart(specs.parallel, 'p');
    expect(second.svg).toBe(first.svg);
  });
});
