/**
 * Seeded randomness for training and initialisers, in plain JS (no tfjs). tfjs `fit`
 * shuffles with `Math.random`, which makes runs irreproducible; everything random in
 * training goes through here, through core's `mulberry32`, or through tfjs ops given an
 * explicit seed.
 */

/** Seeds for the layers of one model, derived from the trial seed so layers differ. */
export class LayerSeeds {
  private next = 0;
  constructor(private readonly seed: number) {}
  take(): number {
    this.next += 1;
    return ((Math.imul(this.seed >>> 0, 2654435761) + this.next * 97) >>> 0) % 2147483647;
  }
}

/** Standard normal deviates (Box-Muller) from `rng`. */
export function normals(n: number, rng: () => number): Float32Array {
  const out = new Float32Array(n);
  for (let i = 0; i < n; i += 2) {
    const u = 1 - rng();
    const v = rng();
    const r = Math.sqrt(-2 * Math.log(u));
    out[i] = r * Math.cos(2 * Math.PI * v);
    if (i + 1 < n) out[i + 1] = r * Math.sin(2 * Math.PI * v);
  }
  return out;
}

/**
 * A `rows x cols` matrix (row-major) whose rows (if rows <= cols) or columns are
 * orthonormal, like Keras' orthogonal initializer but computed in plain JS by modified
 * Gram-Schmidt: tfjs' own one runs a slow QR and warns for matrices over 2,000 values.
 */
export function orthogonalMatrix(rows: number, cols: number, rng: () => number, gain = 1): Float32Array {
  // Orthonormalise the k = min(rows, cols) vectors of length n = max(rows, cols).
  const n = Math.max(rows, cols);
  const k = Math.min(rows, cols);
  const g = normals(n * k, rng);
  const v: Float64Array[] = [];
  for (let j = 0; j < k; j++) {
    const w = Float64Array.from(g.subarray(j * n, (j + 1) * n));
    for (const u of v) {
      let dot = 0;
      for (let i = 0; i < n; i++) dot += u[i] * w[i];
      for (let i = 0; i < n; i++) w[i] -= dot * u[i];
    }
    let norm = 0;
    for (let i = 0; i < n; i++) norm += w[i] * w[i];
    norm = Math.sqrt(norm) || 1;
    for (let i = 0; i < n; i++) w[i] /= norm;
    v.push(w);
  }
  const out = new Float32Array(rows * cols);
  for (let r = 0; r < rows; r++) {
    for (let c = 0; c < cols; c++) {
      // rows <= cols: vector r is row r; otherwise vector c is column c.
      out[r * cols + c] = gain * (rows <= cols ? v[r][c] : v[c][r]);
    }
  }
  return out;
}
