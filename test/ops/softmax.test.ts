// Softmax and LogSoftmax against onnxruntime: the 2-D coercion before opset 13 (default axis 1) and the
// single axis from 13 (default -1). Not bit-exact: onnxruntime (MLAS) uses its own vectorized exp and log
// and sums in vector lanes. Bounds, with n elements per softmax and u = 2^-24:
//  - Softmax y = e/s: the two sums of positive terms differ by at most n-1 ULP (each rounding is at most
//    half an ULP of the total), each exp by a few ULP, the division by half an ULP: n + 4 ULP.
//  - LogSoftmax y = d - log(s): d = x - max is the same float op in both; s ∈ [1, n], so log s ∈ [0, 8)
//    has an ULP of at most 2^-21 and moves by at most n·2^-23 from the sum: |Δy| ≤ (n + 4)·2^-21. Near
//    y = 0 this cancellation makes ULP counts meaningless, hence an absolute bound.
// float64 uses the same reasoning with u = 2^-53. Measured: ≤ 3 ULP for the n ≤ 60 here; 163 ULP for n = 2112.
import { describe, expect, it } from 'vitest';
import { importModelBytes } from '../../src/onnx/import.js';
import { inferAndFold } from '../../src/passes/infer-and-fold.js';
import { sizeOf, tensor } from '../../src/ir/tensor.js';
import type { DType, Tensor } from '../../src/ir/types.js';
import { buildModel, expectTensorClose, randomTensor, rng } from '../helpers/onnx-build.js';
import { both, single, worstUlps64 } from './op-check.js';

/** Elements per softmax: all dims from axis on before opset 13, the axis alone from 13. */
function rowLength(shape: number[], opset: number, axis: number | undefined): number {
  const a = ((axis ?? (opset < 13 ? 1 : -1)) + shape.length) % shape.length;
  return opset < 13 ? sizeOf(shape.slice(a)) : shape[a];
}

async function check(op: string, x: Tensor, opset: number, axis: number | undefined): Promise<void> {
  const n = rowLength([...x.shape], opset, axis);
  const m = single(op, { x }, { y: x.dtype }, { opset, attrs: axis === undefined ? {} : { axis } });
  const { ort, bnnc } = await both(m, { x });
  const label = `${op} opset ${opset} axis ${axis} [${x.shape}]`;
  if (x.dtype === 'float64') {
    if (op === 'Softmax') expect(worstUlps64(bnnc.y, ort.y), label).toBeLessThanOrEqual(n + 4);
    else expectTensorClose(bnnc.y, ort.y, { absTol: (n + 4) * 2 ** -50, label });
  } else if (op === 'Softmax') {
    expectTensorClose(bnnc.y, ort.y, { ulps: n + 4, label });
  } else {
    expectTensorClose(bnnc.y, ort.y, { absTol: (n + 4) * 2 ** -21, label });
  }
}

const SHAPE = [3, 4, 5];
const FORMS: [number, number | undefined][] = [
  [11, undefined], [11, 0], [11, 2], [11, -1], [7, undefined], [13, undefined], [13, 0], [13, 1], [13, -2], [21, undefined],
];

for (const op of ['Softmax', 'LogSoftmax']) {
  describe(op, () => {
    for (const [opset, axis] of FORMS) {
      it(`opset ${opset}, axis ${axis ?? 'default'}: float32 and float64 within the stated bound`, async () => {
        const r = rng(opset * 10 + (axis ?? 5));
        for (const dtype of ['float32', 'float64'] as DType[]) {
          for (const scale of [1, 10, 100]) await check(op, randomTensor(r, dtype, SHAPE, -scale, scale), opset, axis);
        }
      });
    }
    it('a long row (n = 300) within the bound', async () => {
      await check(op, randomTensor(rng(5), 'float32', [2, 300], -10, 10), 13, undefined);
    });
    it('rows with NaN, +Inf or only -Inf are all NaN; ±0 are ordinary', async () => {
      const x = tensor('float32', [4, 3], [1, NaN, 2, 1, Infinity, 2, -Infinity, -Infinity, -Infinity, -0, 0, 1]);
      await check(op, x, 13, undefined);
      const { bnnc } = await both(single(op, { x }, { y: 'float32' }), { x });
      expect(Array.from(bnnc.y.data.slice(0, 9)).every(Number.isNaN)).toBe(true);
    });
    it('refuses an axis out of range (BNNC_E006) and integer input (BNNC_E010)', () => {
      const x = tensor('float32', [3], [1, 2, 3]);
      expect(() => inferAndFold(importModelBytes(buildModel(single(op, { x }, { y: 'float32' }, { opset: 11 }))))).toThrow(/BNNC_E006/);
      const i = tensor('int32', [3], [1, 2, 3]);
      expect(() => inferAndFold(importModelBytes(buildModel(single(op, { x: i }, { y: 'int32' }))))).toThrow(/BNNC_E010/);
    });
  });
}
