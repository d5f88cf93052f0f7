// `verify --expect`: compares what the firmware computed with the user's own golden float outputs (saved
// from PyTorch or onnxruntime running the float model on the same inputs), as a firmware team's CI would:
// the top-1 equality rate and the largest absolute score difference, against thresholds the user sets; and
// the JUnit XML report of such runs (one testcase per model × target). docs/ci.md.
import { fail } from '../errors.js';
import { sizeOf } from '../ir/tensor.js';
import type { Graph, Tensor } from '../ir/types.js';

export interface ExpectThresholds {
  /** The least fraction of vectors whose top-1 class must equal the expected one (0..1). */
  readonly minTop1?: number;
  /** The largest absolute difference allowed between any firmware score and the expected one. */
  readonly maxAbsDiff?: number;
}

export interface ExpectReport {
  vectors: number;
  /** Vectors whose firmware argmax equals the expected argmax (first index of the largest value on ties). */
  top1Equal: number;
  top1Rate: number;
  /** The largest |firmware − expected| over every score of every vector (NaN counts as infinite). */
  maxAbsDiff: number;
  /** Where maxAbsDiff occurs (absent without vectors). */
  worst?: { vector: number; index: number; expected: number; actual: number };
  thresholds: ExpectThresholds;
  /** One sentence per broken threshold; empty when every threshold holds. */
  failures: string[];
}

/** Index of the largest value, the first on ties; NaN ranks lowest. */
export function argmax(v: ArrayLike<number>): number {
  let best = 0;
  for (let i = 1; i < v.length; i++) if (v[i] > v[best] || Number.isNaN(v[best])) best = i;
  return best;
}

/**
 * Checks the expected outputs against the model's output size: shape [N, …output] (dimensions of 1 aside,
 * or any shape of as many values per vector); returns the values per vector. BNNC_E105 when they do not fit.
 */
export function expectedVectors(path: string, t: Tensor, perVector: number, vectors: number): (vector: number) => Float64Array {
  if (!(t.dtype === 'float32' || t.dtype === 'float64')) fail('BNNC_E105', `'${path}' holds ${t.dtype}; save the float scores (float32 or float64)`);
  const n = t.shape.length === 0 ? 0 : t.shape[0];
  if (t.shape.length < 1 || sizeOf(t.shape.slice(1)) !== perVector) {
    fail('BNNC_E105', `'${path}' has shape [${t.shape}]; the model's output needs [N, ${perVector}] (N vectors of ${perVector} scores)`);
  }
  if (n < vectors) fail('BNNC_E105', `'${path}' holds ${n} vectors of expected outputs for ${vectors} input vectors`);
  return (v) => Float64Array.from(t.data.subarray(v * perVector, (v + 1) * perVector));
}

/** Checks a threshold flag's value (BNNC_E106). */
export function parseThreshold(flag: '--min-top1' | '--max-abs-diff', given: string | number | undefined): number | undefined {
  if (given === undefined) return undefined;
  const text = String(given);
  const v = Number(text.trim());
  if (text.trim() === '' || !Number.isFinite(v) || v < 0 || (flag === '--min-top1' && v > 1)) {
    fail('BNNC_E106', `${flag} '${text}': expected ${flag === '--min-top1' ? 'a fraction from 0 to 1, e.g. 0.99' : 'a number of at least 0, e.g. 1e-4'}`);
  }
  return v;
}

/**
 * verify's comparison with golden outputs, or undefined without `expect`: the expected file read (by `read`,
 * the data layer's reader) and checked against the lowered model's outputs and the number of input vectors
 * before anything is built.
 */
export function expectation(
  lowered: Graph, vectors: number,
  o: { data?: string; expect?: string; minTop1?: number | string; maxAbsDiff?: number | string },
  read: (path: string) => Tensor,
): ExpectTally | undefined {
  const thresholds = { minTop1: parseThreshold('--min-top1', o.minTop1), maxAbsDiff: parseThreshold('--max-abs-diff', o.maxAbsDiff) };
  if (o.expect === undefined) {
    if (thresholds.minTop1 !== undefined || thresholds.maxAbsDiff !== undefined) fail('BNNC_E107', '--min-top1 and --max-abs-diff need --expect');
    return undefined;
  }
  if (o.data === undefined) fail('BNNC_E107', '--expect needs --data: the inputs the expected outputs were computed on');
  const perVector = lowered.outputs.reduce((s, n) => s + sizeOf(lowered.types.get(n)!.shape), 0);
  return new ExpectTally(expectedVectors(o.expect, read(o.expect), perVector, vectors), thresholds);
}

/** Accumulates the comparison vector by vector (verify's batches call `add` in order). */
export class ExpectTally {
  private vectors = 0;
  private top1 = 0;
  private max = 0;
  private worst?: ExpectReport['worst'];

  constructor(private readonly expected: (vector: number) => Float64Array, private readonly thresholds: ExpectThresholds = {}) {}

  /** The figures of one vector (bound: verify calls it as a plain function). */
  readonly add = (vector: number, actual: ArrayLike<number>): void => {
    const exp = this.expected(vector);
    this.vectors++;
    if (actual.length !== exp.length) {
      // a short output file (the firmware wrote less): nothing of this vector agrees
      this.max = Infinity;
      this.worst = { vector, index: actual.length, expected: exp[actual.length] ?? NaN, actual: NaN };
      return;
    }
    if (argmax(actual) === argmax(exp)) this.top1++;
    for (let i = 0; i < exp.length; i++) {
      const d = Math.abs(actual[i] - exp[i]);
      const diff = Number.isNaN(d) ? Infinity : d;
      if (this.worst === undefined || diff > this.max) {
        this.max = diff;
        this.worst = { vector, index: i, expected: exp[i], actual: actual[i] };
      }
    }
  };

  report(thresholds: ExpectThresholds = this.thresholds): ExpectReport {
    const rate = this.vectors === 0 ? 1 : this.top1 / this.vectors;
    const failures: string[] = [];
    if (thresholds.minTop1 !== undefined && rate < thresholds.minTop1) {
      failures.push(`top-1 equal on ${this.top1} of ${this.vectors} vectors (${pct(rate)}), below --min-top1 ${thresholds.minTop1}`);
    }
    if (thresholds.maxAbsDiff !== undefined && this.max > thresholds.maxAbsDiff) {
      const w = this.worst!;
      failures.push(`largest score difference ${this.max} (vector ${w.vector}, score ${w.index}: expected ${w.expected}, firmware ${w.actual}) above --max-abs-diff ${thresholds.maxAbsDiff}`);
    }
    return { vectors: this.vectors, top1Equal: this.top1, top1Rate: rate, maxAbsDiff: this.max, worst: this.worst, thresholds, failures };
  }
}

const pct = (r: number) => `${(100 * r).toFixed(2)} %`;

/** One line: `top-1 equal on 98 of 100 vectors (98.00 %), largest score difference 3.1e-7`. */
export function formatExpect(r: ExpectReport): string {
  return `top-1 equal to the expected outputs on ${r.top1Equal} of ${r.vectors} vectors (${pct(r.top1Rate)}), largest score difference ${r.maxAbsDiff}`;
}

/** One testcase of the JUnit report: a model on a target. */
export interface JunitCase {
  model: string;
  target: string;
  /** False when the code was compiled only (no emulator): the testcase is skipped. */
  ran: boolean;
  /** Why a testcase is skipped, or what ran. */
  note: string;
  /** The figures, written to the testcase's system-out. */
  figures: string[];
  /** Each broken check; a testcase with any fails. */
  failures: string[];
}

const xml = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;')
  // XML 1.0 cannot hold most control characters, not even escaped
  .replace(/[\u0000-\u0008\u000b\u000c\u000e-\u001f]/g, '?');

/** A JUnit XML report (the Ant/Jenkins format GitHub and GitLab read): one testsuite, a testcase per case. */
export function junitXml(cases: readonly JunitCase[]): string {
  const failed = cases.filter((c) => c.ran && c.failures.length > 0).length;
  const skipped = cases.filter((c) => !c.ran).length;
  const lines = [
    '<?xml version="1.0" encoding="UTF-8"?>',
    `<testsuites name="bnnc verify" tests="${cases.length}" failures="${failed}" skipped="${skipped}">`,
    `  <testsuite name="bnnc verify" tests="${cases.length}" failures="${failed}" errors="0" skipped="${skipped}">`,
  ];
  for (const c of cases) {
    lines.push(`    <testcase classname="bnnc.verify.${xml(c.target)}" name="${xml(`${c.model} on ${c.target}`)}">`);
    if (!c.ran) lines.push(`      <skipped message="${xml(c.note)}"/>`);
    else if (c.failures.length) lines.push(`      <failure type="threshold" message="${xml(c.failures[0])}">${xml(c.failures.join('\n'))}</failure>`);
    lines.push(`      <system-out>${xml([...c.figures, c.note].join('\n'))}</system-out>`, '    </testcase>');
  }
  lines.push('  </testsuite>', '</testsuites>', '');
  return lines.join('\n');
}
