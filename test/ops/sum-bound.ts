// The comparison for float32 results that are sums of many terms (Conv, Gemm, MatMul, the average pools).
// onnxruntime's MLAS sums in its own blocked, vectorized, FMA order, so bit-exactness is impossible; but
// any order of evaluating a sum of K float32 terms t_i (products included) errs by at most γ_K·Σ|t_i|,
// γ_K = K·u / (1 − K·u), u = 2^-24 (Higham, Accuracy and Stability of Numerical Algorithms, §3.1 and
// §4.2; an FMA only removes roundings). Both results are within that of the exact value, so they differ
// by at most 2·γ_K·Σ|t_i|. Σ|t_i| per output is the same model run through bnnc on |inputs| (and |alpha|,
// |beta|): a sum of non-negative terms, itself computed to within a factor 1 + γ_K.
import { expect } from 'vitest';
import { tensor } from '../../src/ir/tensor.js';
import type { Tensor } from '../../src/ir/types.js';
import { buildModel, runBnnc, runOrt, type AttrIn, type ModelIn } from '../helpers/onnx-build.js';

const U = 2 ** -24;

export function gamma(k: number): number {
  return (k * U) / (1 - k * U);
}

const abs = (t: Tensor): Tensor => tensor(t.dtype, t.shape, Array.from(t.data, Math.abs));
const absAttr = (v: AttrIn): AttrIn => (typeof v === 'number' ? Math.abs(v) : typeof v === 'object' && 'float' in v ? { float: Math.abs(v.float) } : v);

/** Every output element within `tol[i]` of onnxruntime's (reports the worst element on failure). */
export function expectWithin(actual: Tensor, expected: Tensor, tol: ArrayLike<number>, label = ''): void {
  expect(actual.dtype, `${label} dtype`).toBe(expected.dtype);
  expect([...actual.shape], `${label} shape`).toEqual([...expected.shape]);
  let worst = 0, at = -1;
  for (let i = 0; i < expected.data.length; i++) {
    const d = Math.abs(actual.data[i] - expected.data[i]);
    const ratio = d === 0 ? 0 : d / tol[i];
    if (!(ratio <= worst)) { worst = ratio; at = i; }
  }
  expect(worst, `${label} element ${at}: bnnc ${actual.data[at]}, onnxruntime ${expected.data[at]}, bound ${tol[at]}`).toBeLessThanOrEqual(1);
}

/** Runs the model in both and compares every output within 2·γ_K·Σ|t_i|, K = `terms` roundings per output. */
export async function compareWithinSumBound(m: ModelIn, feeds: Record<string, Tensor>, terms: number): Promise<void> {
  const bytes = buildModel(m);
  const expected = await runOrt(bytes, feeds);
  const actual = runBnnc(bytes, feeds);
  const absModel: ModelIn = {
    ...m,
    initializers: Object.fromEntries(Object.entries(m.initializers ?? {}).map(([k, t]) => [k, abs(t)])),
    nodes: m.nodes.map((n) => ({ ...n, attrs: Object.fromEntries(Object.entries(n.attrs ?? {}).map(([k, v]) => [k, absAttr(v)])) })),
  };
  const mag = runBnnc(buildModel(absModel), Object.fromEntries(Object.entries(feeds).map(([k, t]) => [k, abs(t)])));
  const g = gamma(terms);
  for (const o of m.outputs) {
    const tol = Array.from(mag[o.name].data, (s) => 2 * g * s * (1 + g));
    expectWithin(actual[o.name], expected[o.name], tol, o.name);
  }
}
