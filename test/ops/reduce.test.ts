// ReduceSum and ReduceMean against onnxruntime in each opset form (axes attribute; axes input from 13 for
// ReduceSum, 18 for ReduceMean; noop_with_empty_axes; keepdims). Integers are exact. Float32 sums:
// bnnc adds left to right; onnxruntime does too when the reduced axes lead the kept ones (it adds whole
// rows in order), and there we demand 0 ULP. Otherwise it sums in vector lanes (partial sums combined at
// the end), so roundings differ. Bounds, with u = 2^-24 and n terms:
//  - same-sign data: every partial sum is at most the total, so each of the n-1 roundings of either order
//    moves the result by at most half an ULP of the total: the two differ by at most n-1 ULP (mean: n);
//  - mixed signs: each rounding errs by at most u·Σ|x| ≤ u·n·max|x|, so the two differ by at most
//    2n²·max|x|·u in absolute terms (a ULP bound means nothing near zero; float64: u = 2^-53).
// Measured: at most 8 ULP for 2112 positive terms; here (n ≤ 60) 0–1 ULP.
import { describe, expect, it } from 'vitest';
import { importModelBytes } from '../../src/onnx/import.js';
import { inferAndFold } from '../../src/passes/infer-and-fold.js';
import { sizeOf, tensor } from '../../src/ir/tensor.js';
import type { DType, Tensor } from '../../src/ir/types.js';
import { buildModel, expectTensorClose, randomTensor, rng } from '../helpers/onnx-build.js';
import { both, expectExact, single, type SingleOpts } from './op-check.js';

const SHAPE = [3, 4, 5];
const AXES: (number[] | undefined)[] = [[1], [0, 2], [-1], [0], [2, 0, 1], undefined];

/** The single-node model in the form `opset` requires for `axes`. */
function reduceModel(op: string, x: Tensor, opset: number, axes: number[] | undefined, attrs: SingleOpts['attrs'] = {}) {
  const inputForm = opset >= (op === 'ReduceSum' ? 13 : 18);
  if (!inputForm) return single(op, { x }, { y: x.dtype }, { opset, attrs: axes ? { ...attrs, axes } : attrs });
  const initializers: Record<string, Tensor> = axes ? { axes: tensor('int64', [axes.length], axes) } : {};
  return single(op, { x }, { y: x.dtype }, { opset, attrs, initializers });
}

function reducedCount(axes: number[] | undefined): number {
  return axes ? sizeOf(axes.map((a) => SHAPE[(a + SHAPE.length) % SHAPE.length])) : sizeOf(SHAPE);
}

/** onnxruntime adds in bnnc's order when the reduced axes are 0..k-1 with k < rank. */
function inOrder(axes: number[] | undefined): boolean {
  const sorted = (axes ?? []).map((a) => (a + SHAPE.length) % SHAPE.length).sort();
  return sorted.length > 0 && sorted.length < SHAPE.length && sorted.every((a, i) => a === i);
}

for (const op of ['ReduceSum', 'ReduceMean']) {
  describe(op, () => {
    const opsets = op === 'ReduceSum' ? [11, 13, 18] : [11, 13, 18, 21];
    for (const opset of opsets) {
      for (const keepdims of [1, 0]) {
        it(`opset ${opset}, keepdims ${keepdims}: float32 positive data within n ULP (0 when in order)`, async () => {
          const r = rng(opset * 2 + keepdims);
          for (const axes of AXES) {
            const x = randomTensor(r, 'float32', SHAPE, 0.5, 2);
            const { ort, bnnc } = await both(reduceModel(op, x, opset, axes, { keepdims }), { x });
            expectTensorClose(bnnc.y, ort.y, { ulps: inOrder(axes) ? 0 : reducedCount(axes), label: `axes ${axes}` });
          }
        });
      }
      it(`opset ${opset}: mixed-sign float32 and float64 within 2n²·max|x|·2^-24`, async () => {
        const r = rng(opset + 100);
        for (const dtype of ['float32', 'float64'] as DType[]) {
          for (const axes of AXES) {
            const x = randomTensor(r, dtype, SHAPE, -4, 4);
            const { ort, bnnc } = await both(reduceModel(op, x, opset, axes), { x });
            const n = reducedCount(axes);
            const u = dtype === 'float32' ? 2 ** -24 : 2 ** -53;
            expectTensorClose(bnnc.y, ort.y, { absTol: 2 * n * n * 4 * u, label: `${dtype} axes ${axes}` });
          }
        }
      });
      it(`opset ${opset}: int32 and int64 exactly (the mean truncates toward zero)`, async () => {
        const r = rng(opset + 200);
        for (const dtype of ['int32', 'int64'] as DType[]) {
          for (const axes of AXES) {
            const x = randomTensor(r, dtype, SHAPE, -1000, 1000);
            await expectExact(reduceModel(op, x, opset, axes, { keepdims: axes?.length === 1 ? 0 : 1 }), { x });
          }
        }
      });
    }
    const inputFrom = op === 'ReduceSum' ? 13 : 18;
    it(`opset ${inputFrom}: empty axes reduce all; with noop_with_empty_axes they pass the input through`, async () => {
      const x = randomTensor(rng(7), 'float32', SHAPE, 0.5, 2);
      const empty = { axes: tensor('int64', [0], []) };
      for (const [attrs, initializers] of [[{}, empty], [{ noop_with_empty_axes: 1 }, empty], [{ noop_with_empty_axes: 1 }, {}], [{ noop_with_empty_axes: 0 }, {}]] as const) {
        const { ort, bnnc } = await both(single(op, { x }, { y: 'float32' }, { opset: inputFrom, attrs, initializers }), { x });
        expectTensorClose(bnnc.y, ort.y, { ulps: x.data.length });
      }
    });
    it('keeps edge values: -0 sums to -0, NaN and Inf propagate', async () => {
      const x = tensor('float32', [4, 3], [-0, -0, -0, 1, NaN, 2, Infinity, 1, 2, -Infinity, Infinity, 0]);
      await expectExact(reduceModel(op, x, 13, [1]), { x });
    });
    it('refuses non-constant axes (BNNC_E021) and repeated axes (BNNC_E006)', () => {
      const x = tensor('float32', [2, 2], [1, 2, 3, 4]);
      const axes = tensor('int64', [1], [0]);
      const dynamic = buildModel(single(op, { x, axes }, { y: 'float32' }, { opset: inputFrom }));
      expect(() => inferAndFold(importModelBytes(dynamic))).toThrow(/BNNC_E021/);
      const repeated = buildModel(reduceModel(op, x, 11, [0, -2]));
      expect(() => inferAndFold(importModelBytes(repeated))).toThrow(/BNNC_E006/);
    });
  });
}
