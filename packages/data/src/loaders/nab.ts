import { readFile } from 'node:fs/promises';
import type { Dataset } from '../dataset.js';
import { DataFormatError } from '../errors.js';
import { sha256Hex } from '@aelab/core';
import { fileReadError, parseNumberCell, readLines, splitExactly } from '../lines.js';
import { overlaps, windowStarts } from '../windows.js';

export interface NabOptions {
  /** Points per window (row), default 48. */
  windowSize?: number;
  /** Points between window starts, default 4. */
  stride?: number;
}

export const NAB_DEFAULTS: Required<NabOptions> = { windowSize: 48, stride: 4 };
export const NAB_NORMAL_CLASS = 'normal';
export const NAB_ANOMALY_CLASS = 'anomaly';

const TIMESTAMP = /^(\d{4})-(\d\d)-(\d\d)[ T](\d\d):(\d\d):(\d\d)(?:\.(\d+))?$/;

/**
 * NAB timestamps (`YYYY-MM-DD HH:MM:SS[.ffffff]`, no zone) as ms since epoch, read as UTC;
 * undefined for anything else, including times that are not on the calendar (month 13,
 * 30 February, hour 24), which Date.UTC would silently roll over.
 */
export function parseNabTimestamp(text: string): number | undefined {
  const m = TIMESTAMP.exec(text.trim());
  if (!m) return undefined;
  const [year, month, day, hour, minute, second] = [+m[1], +m[2] - 1, +m[3], +m[4], +m[5], +m[6]];
  const ms = m[7] ? Math.round(Number(`0.${m[7]}`) * 1000) : 0;
  const time = Date.UTC(year, month, day, hour, minute, second, ms);
  const at = new Date(Date.UTC(year, month, day, hour, minute, second));
  const onCalendar =
    at.getUTCFullYear() === year &&
    at.getUTCMonth() === month &&
    at.getUTCDate() === day &&
    at.getUTCHours() === hour &&
    at.getUTCMinutes() === minute &&
    at.getUTCSeconds() === second;
  return onCalendar ? time : undefined;
}

/** A NAB series file's points in file order, its digest and line count, and how many rows go back in time. */
async function readNabSeries(seriesPath: string) {
  const timestamps: number[] = [];
  const series: number[] = [];
  let outOfOrder = 0;
  let headerLine = 0;
  const { sha256: seriesSha, lines } = await readLines(seriesPath, (text, line) => {
    if (text.trim() === '') return;
    if (headerLine === 0) {
      if (text.trim() !== 'timestamp,value')
        throw new DataFormatError(
          seriesPath,
          line,
          undefined,
          `expected the NAB header 'timestamp,value', got '${text.slice(0, 60)}'`,
        );
      headerLine = line;
      return;
    }
    const cells = splitExactly(
      text,
      ',',
      2,
      { file: seriesPath, line },
      (n) => `expected 2 cells (timestamp,value), found ${n}`,
    );
    const time = parseNabTimestamp(cells[0]);
    if (time === undefined)
      throw new DataFormatError(
        seriesPath,
        line,
        1,
        `expected a timestamp 'YYYY-MM-DD HH:MM:SS', got '${cells[0].slice(0, 40)}'`,
      );
    // NAB itself repeats timestamps (DST changes) and once goes back an hour
    // (machine_temperature_system_failure.csv line 10151): keep file order, count, report
    if (timestamps.length && time <= timestamps[timestamps.length - 1]) outOfOrder++;
    timestamps.push(time);
    series.push(parseNumberCell(cells[1], new Set(['', 'NaN', 'nan']), seriesPath, line, 2));
  });
  if (headerLine === 0)
    throw new DataFormatError(
      seriesPath,
      undefined,
      undefined,
      "empty file: expected the NAB header 'timestamp,value' and data rows",
    );
  if (series.length === 0)
    throw new DataFormatError(
      seriesPath,
      headerLine + 1,
      undefined,
      'no data rows: expected timestamp,value lines after the header',
    );
  return { seriesSha, lines, timestamps, series, outOfOrder };
}

/** The labelled anomaly windows of series `key` in NAB's label file, and the file's bytes. */
async function readNabWindows(labelsPath: string, key: string) {
  const labelBytes = await readFile(labelsPath).catch((error: unknown) => {
    throw fileReadError(error, labelsPath);
  });
  let labelFile: Record<string, [string, string][]>;
  try {
    labelFile = JSON.parse(labelBytes.toString('utf8'));
  } catch (error) {
    throw new DataFormatError(
      labelsPath,
      undefined,
      undefined,
      `expected JSON mapping '<folder>/<file>.csv' to [start, end] windows: ${(error as Error).message}`,
    );
  }
  const windows = labelFile[key];
  if (!Array.isArray(windows))
    throw new DataFormatError(
      labelsPath,
      undefined,
      undefined,
      `no entry for '${key}'; expected a key like 'realKnownCause/nyc_taxi.csv'`,
    );
  const anomalyWindows = windows.map(([start, end], i): [number, number] => {
    const a = parseNabTimestamp(start);
    const b = parseNabTimestamp(end);
    if (a === undefined || b === undefined || b < a)
      throw new DataFormatError(
        labelsPath,
        undefined,
        undefined,
        `window ${i} of '${key}' must be [start, end] timestamps with start <= end, ` +
          `got ${JSON.stringify([start, end])}`,
      );
    return [a, b];
  });
  return { labelBytes, anomalyWindows };
}

/**
 * Loads one NAB series (`timestamp,value`) and its labelled windows from NAB's
 * `labels/combined_windows.json` (key `<folder>/<file>.csv`), then cuts it into sliding
 * windows. A window row is labelled `anomaly` when its time span (earliest to latest
 * timestamp in it) overlaps a labelled
 * window, else `normal`. The raw series, its windows and each row's start are kept so
 * reports can plot detections on the series.
 */
export async function loadNab(
  seriesPath: string,
  labelsPath: string,
  key: string,
  options: NabOptions = {},
): Promise<Dataset> {
  const windowSize = Number(options.windowSize ?? NAB_DEFAULTS.windowSize);
  const stride = Number(options.stride ?? NAB_DEFAULTS.stride);
  const { seriesSha, lines, timestamps, series, outOfOrder } = await readNabSeries(seriesPath);
  const { labelBytes, anomalyWindows } = await readNabWindows(labelsPath, key);
  if (series.length < windowSize)
    throw new DataFormatError(
      seriesPath,
      lines,
      undefined,
      `series ends after ${series.length} points, fewer than windowSize ${windowSize}`,
    );
  const starts = windowStarts(series.length, windowSize, stride);
  const values = new Float32Array(starts.length * windowSize);
  const labels = starts.map((start, row) => {
    for (let j = 0; j < windowSize; j++) values[row * windowSize + j] = series[start + j];
    let first = Infinity;
    let last = -Infinity;
    for (let j = start; j < start + windowSize; j++) {
      first = Math.min(first, timestamps[j]);
      last = Math.max(last, timestamps[j]);
    }
    return anomalyWindows.some(([a, b]) => overlaps(first, last, a, b)) ? NAB_ANOMALY_CLASS : NAB_NORMAL_CLASS;
  });
  return {
    name: `nab/${key.replace(/\.csv$/, '')}`,
    values,
    rows: starts.length,
    features: windowSize,
    labels,
    featureNames: Array.from({ length: windowSize }, (_, j) => `w${j}`),
    timestamps: starts.map((start) => timestamps[start]),
    series: { timestamps, values: series, anomalyWindows, windowSize, stride, windowStarts: starts },
    source: { paths: [seriesPath, labelsPath], sha256: sha256Hex(seriesSha, sha256Hex(labelBytes)), format: 'nab' },
    notes: outOfOrder
      ? [
          `${outOfOrder} row(s) repeat or precede the previous timestamp; ` +
            'kept in file order (a window spans its earliest to latest timestamp)',
        ]
      : undefined,
  };
}
