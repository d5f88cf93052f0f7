// Calibration math (docs/calibration.md): a histogram of |x| over every value of a tensor on the
// calibration samples, and the clipping bound c it gives for a k-bit grid of step s = c / qmax.
// The histogram's range is a power of two, [0, 2^e) with max|x| < 2^e, split into 2^HIST_BITS equal bins;
// x goes to bin ⌊|x|·2^(HIST_BITS−e)⌋, exact (a multiplication by a power of two). A larger value raises e,
// and bins merge pairwise (bin i → i >> d): the same index as if it had been binned with the final e from
// the start. So the histogram depends on the multiset of values only, not on their order or on how the
// samples were split: calibration is deterministic. Exact zeros are counted apart (a ReLU output has many,
// and every grid represents them exactly).
import { bug } from '../errors.js';

/** log2 of the bin count: 32768 bins, at least 8 per grid step of any bound ≥ max|x|/16. */
export const HIST_BITS = 15;
const BINS = 1 << HIST_BITS;

export type CalibrationMethod = 'minmax' | 'percentile' | 'mse';
export const CALIBRATION_METHODS: readonly CalibrationMethod[] = ['minmax', 'percentile', 'mse'];
/** The percentile method keeps this fraction of |x| inside the grid. */
export const PERCENTILE = 0.9999;

export class Histogram {
  /** Bin counts of nonzero |x|; bin width 2^(e − HIST_BITS). */
  readonly bins = new Float64Array(BINS);
  e = -Infinity;
  zeros = 0;
  count = 0;
  min = Infinity;
  max = -Infinity;

  add(data: ArrayLike<number>): void {
    const { bins } = this;
    let mul = 2 ** (HIST_BITS - this.e);
    for (let i = 0; i < data.length; i++) {
      const x = data[i];
      bug(Number.isFinite(x), 'calibration: a non-finite activation');
      if (x < this.min) this.min = x;
      if (x > this.max) this.max = x;
      const a = Math.abs(x);
      if (a === 0) { this.zeros++; continue; }
      if (!(a < 2 ** this.e)) { this.grow(exponentAbove(a)); mul = 2 ** (HIST_BITS - this.e); }
      bins[Math.floor(a * mul)]++;
    }
    this.count += data.length;
  }

  /** Adds another histogram's counts (a worker's share of the samples). */
  merge(o: Histogram): void {
    if (o.e > this.e) this.grow(o.e);
    const d = this.e - o.e;
    for (let i = 0; i < BINS; i++) if (o.bins[i]) this.bins[i >> d] += o.bins[i];
    this.zeros += o.zeros;
    this.count += o.count;
    this.min = Math.min(this.min, o.min);
    this.max = Math.max(this.max, o.max);
  }

  /** Range [0, 2^e): merges bins so that each new bin holds 2^(e − old e) old ones. */
  private grow(e: number): void {
    if (this.e === -Infinity) { this.e = e; return; }
    const d = e - this.e;
    if (d <= 0) return;
    const { bins } = this;
    for (let i = 0; i < BINS; i++) {
      const v = bins[i];
      bins[i] = 0;
      bins[i >> d] += v; // i >> d ≤ i: a bin is read before anything is added to it
    }
    this.e = e;
  }

  /** Width of one bin. */
  get width(): number {
    return 2 ** (this.e - HIST_BITS);
  }

  /** max |x| seen (0 when every value was 0). */
  get absMax(): number {
    return Math.max(Math.abs(this.min), Math.abs(this.max), 0);
  }
}

/** The least integer e with a < 2^e (a > 0). */
function exponentAbove(a: number): number {
  let e = Math.floor(Math.log2(a)) + 1;
  while (a >= 2 ** e) e++;
  while (e > -1074 && a < 2 ** (e - 1)) e--;
  return e;
}

/**
 * The clipping bound c of a grid with levels 0..qmax on |x| (step c / qmax), by `method`:
 *   minmax      c = max |x|: nothing clipped, the coarsest step.
 *   percentile  c = the PERCENTILE quantile of |x| (zeros included), at the upper edge of its bin.
 *   mse         c minimizing Σ (|x| − q_c(|x|))² with q_c(a) = s·min(round(a/s), qmax), s = c / qmax,
 *               each nonzero value taken at its bin's center; c over 1024 evenly spaced candidates in
 *               (0, max|x|]. (The int8 grid's extra level −128 is not used by the search.)
 * 0 when every value is 0.
 */
export function clipBound(h: Histogram, method: CalibrationMethod, qmax: number): number {
  const max = h.absMax;
  if (max === 0) return 0;
  if (method === 'minmax') return max;
  if (method === 'percentile') {
    const want = PERCENTILE * h.count;
    let seen = h.zeros;
    if (seen >= want) return Math.min(max, h.width);
    for (let i = 0; i < BINS; i++) {
      seen += h.bins[i];
      if (seen >= want) return Math.min(max, (i + 1) * h.width);
    }
    return max;
  }
  // mse: the nonzero bins as (center, count) pairs, then every candidate bound against them
  const centers: number[] = [], counts: number[] = [];
  for (let i = 0; i < BINS; i++) if (h.bins[i]) { centers.push((i + 0.5) * h.width); counts.push(h.bins[i]); }
  const CANDIDATES = 1024;
  let best = max, bestErr = Infinity;
  for (let k = 1; k <= CANDIDATES; k++) {
    const c = (max * k) / CANDIDATES;
    const s = c / qmax;
    let err = 0;
    for (let j = 0; j < centers.length; j++) {
      const a = centers[j];
      const d = a - s * Math.min(Math.round(a / s), qmax);
      err += counts[j] * d * d;
    }
    if (err < bestErr) { bestErr = err; best = c; }
  }
  return best;
}
