import { describe, expect, it } from 'vitest';
import { JsonArray, jsonTextPieces, mulberry32 } from '../src/index.js';

// A piece is valid until the next is asked for: copied as they come.
const decoded = (pieces: Iterable<Uint8Array>) =>
  new TextDecoder().decode(Buffer.concat(Array.from(pieces, (piece) => Buffer.from(piece))));
const text = (value: unknown) => decoded(jsonTextPieces(value));

describe('jsonTextPieces', () => {
  it('joins to the text of JSON.stringify for JSON data', () => {
    const values: unknown[] = [
      null,
      true,
      0,
      -0,
      1e21,
      -1.5e-7,
      NaN,
      -Infinity,
      'plain',
      'quotes " and \\ and \n and \u2028 and é',
      [],
      {},
      [1, 'a', null, [2, [3]], { b: false }],
      { a: 1, skipped: undefined, f: () => 1, nested: { empty: [], list: [undefined, NaN, 'x'] }, 'odd "key"': 2 },
      { date: new Date(0), typed: new Float32Array([0.5, 1]) },
    ];
    for (const value of values) expect(text(value)).toBe(JSON.stringify(value));
  });

  it('writes a JsonArray as the array it stands for, element by element', () => {
    const values = Float32Array.from([0.1, 1 / 3, NaN, Infinity, -0, 123456.789, 1e-30]);
    const map = (v: number) => Number(v.toPrecision(9));
    expect(
      text({
        mse: JsonArray.of(values, map),
        y: JsonArray.of(Uint8Array.from([0, 1])),
        labels: new JsonArray(3, (i) => ['a', 'b "c"'][i % 2]),
      }),
    ).toBe(JSON.stringify({ mse: Array.from(values, map), y: [0, 1], labels: ['a', 'b "c"', 'a'] }));
    expect(text(JsonArray.of(new Float32Array(0)))).toBe('[]');
    expect(text(new JsonArray(2, (i) => (i ? { a: [i] } : undefined)))).toBe('[null,{"a":[1]}]');
  });

  it('hands a large value on in pieces of about 64 KiB that join to the whole text, as UTF-8', () => {
    const random = mulberry32(7);
    const errors = Float32Array.from({ length: 100_000 }, () => random() * 10);
    const labels = Array.from({ length: 100_000 }, (_, i) => (i % 97 === 0 ? 'anomalie é \u{1F600}' : 'normal'));
    const value = { test: { mse: JsonArray.of(errors), labels }, rows: [{ a: errors.length }] };
    const pieces = Array.from(jsonTextPieces(value), (piece) => piece.slice());
    expect(pieces.length).toBeGreaterThan(20);
    for (const piece of pieces) expect(piece.length).toBeLessThan(2 * 65_536);
    // One buffer serves every piece (see jsonTextPieces): a piece is valid until the next.
    const [first, second] = jsonTextPieces(value);
    expect(second.buffer).toBe(first.buffer);
    expect(decoded(pieces)).toBe(
      JSON.stringify({ test: { mse: Array.from(errors), labels }, rows: [{ a: errors.length }] }),
    );
  });
});
