// TopK and ArgMax against onnxruntime: exact (they only select). Data are coarse so that ties are common;
// ties go to the lower index (ArgMax: the higher with select_last_index). ONNX leaves TopK's order with
// sorted = 0 unspecified (onnxruntime returns heap order, bnnc sorted order): compared as sets.
import { describe, expect, it } from 'vitest';
import { importModelBytes } from '../../src/onnx/import.js';
import { inferAndFold } from '../../src/passes/infer-and-fold.js';
import { tensor } from '../../src/ir/tensor.js';
import type { DType, Tensor } from '../../src/ir/types.js';
import { buildModel, randomTensor, rng, runBnnc } from '../helpers/onnx-build.js';
import { both, expectExact, single, withEdges } from './op-check.js';

const DTYPES: DType[] = ['float32', 'float64', 'int8', 'uint8', 'int32', 'int64'];
const SHAPE = [3, 6, 5];

/** Values from a small set (many ties), with ±0 among the floats. */
function coarse(r: () => number, dtype: DType, shape = SHAPE): Tensor {
  const t = randomTensor(r, dtype, shape, dtype === 'uint8' ? 0 : -4, 4);
  if (dtype.startsWith('float')) return withEdges(t, [-0, 0, -0, 1.5, -2.5]);
  return tensor(dtype, t.shape, Array.from(t.data, (v) => v + 0)); // randomTensor can leave -0 in int64 data
}

const k64 = (k: number) => tensor('int64', [1], [k]);

describe('TopK', () => {
  it('opset 9: k attribute, largest, sorted', async () => {
    const r = rng(1);
    for (const axis of [-1, 0, 1]) {
      const x = coarse(r, 'float32');
      await expectExact(single('TopK', { x }, { v: 'float32', i: 'int64' }, { opset: 9, attrs: { k: 3, axis } }), { x });
    }
  });
  it('opset 10: k input, largest, along each axis and for every k', async () => {
    const r = rng(2);
    for (const axis of [2, 1, 0]) {
      for (const k of [1, 2, SHAPE[axis]]) {
        const x = coarse(r, 'float32');
        await expectExact(single('TopK', { x }, { v: 'float32', i: 'int64' }, { opset: 10, attrs: { axis }, initializers: { k: k64(k) } }), { x });
      }
    }
  });
  for (const dtype of DTYPES) {
    it(`opset 11+: largest and smallest ${dtype}, ties to the lower index`, async () => {
      const r = rng(3 + DTYPES.indexOf(dtype));
      for (const [opset, largest, axis, k] of [[11, 1, -1, 3], [11, 0, -1, 3], [13, 0, 1, 4], [13, 1, 0, 2], [21, 0, 0, 3]]) {
        const x = coarse(r, dtype);
        const m = single('TopK', { x }, { v: dtype, i: 'int64' }, { opset, attrs: { largest, axis }, initializers: { k: k64(k) } });
        await expectExact(m, { x });
      }
    });
  }
  it('sorted = 0 selects the same elements as onnxruntime', async () => {
    const r = rng(9);
    for (const largest of [1, 0]) {
      const x = randomTensor(r, 'float32', [4, 20], -100, 100);
      const m = single('TopK', { x }, { v: 'float32', i: 'int64' }, { attrs: { sorted: 0, largest }, initializers: { k: k64(6) } });
      const { ort, bnnc } = await both(m, { x });
      const rows = (t: Tensor) => Array.from({ length: 4 }, (_, row) => Array.from(t.data.slice(row * 6, row * 6 + 6)).sort((a, b) => a - b));
      expect(rows(bnnc.i)).toEqual(rows(ort.i));
      expect(rows(bnnc.v)).toEqual(rows(ort.v));
    }
  });
  it('ranks NaN above +Inf (ONNX leaves NaN order open; onnxruntime is not consistent)', () => {
    const x = tensor('float32', [6], [1, NaN, Infinity, 2, NaN, 0]);
    const run = (largest: number) => runBnnc(buildModel(single('TopK', { x }, { v: 'float32', i: 'int64' }, { attrs: { largest }, initializers: { k: k64(3) } })), { x });
    expect(Array.from(run(1).i.data)).toEqual([1, 4, 2]);
    expect(Array.from(run(0).i.data)).toEqual([5, 0, 3]);
  });
  it('refuses k larger than the axis (BNNC_E009) and a non-constant k (BNNC_E021)', () => {
    const x = tensor('float32', [2, 3], [1, 2, 3, 4, 5, 6]);
    const big = buildModel(single('TopK', { x }, { v: 'float32', i: 'int64' }, { initializers: { k: k64(4) } }));
    expect(() => inferAndFold(importModelBytes(big))).toThrow(/BNNC_E009/);
    const dyn = buildModel(single('TopK', { x, k: k64(2) }, { v: 'float32', i: 'int64' }));
    expect(() => inferAndFold(importModelBytes(dyn))).toThrow(/BNNC_E021/);
  });
});

describe('ArgMax', () => {
  for (const dtype of DTYPES) {
    it(`${dtype}: each axis, keepdims 0/1, first or last of equal maxima`, async () => {
      const r = rng(20 + DTYPES.indexOf(dtype));
      for (const [opset, axis, keepdims, last] of [[11, 0, 1, 0], [11, -1, 0, 0], [12, 1, 1, 1], [13, 2, 0, 1], [13, -2, 1, 0], [7, 1, 0, 0]]) {
        const x = coarse(r, dtype);
        const attrs: Record<string, number> = opset >= 12 ? { axis, keepdims, select_last_index: last } : { axis, keepdims };
        await expectExact(single('ArgMax', { x }, { y: 'int64' }, { opset, attrs }), { x });
      }
    });
  }
  it('takes the first NaN as the maximum (ONNX leaves NaN open; onnxruntime is not consistent)', () => {
    // onnxruntime gives 1 for [1, NaN, 3, 2, NaN, 0] as a vector but 2 for the same row of a matrix
    const x = tensor('float32', [4, 5], [1, NaN, 3, 2, NaN, NaN, 3, 2, 1, 0, 0, 1, 2, 3, NaN, 5, 4, 3, 2, 1]);
    const run = (last: number) => runBnnc(buildModel(single('ArgMax', { x }, { y: 'int64' }, { attrs: { axis: 1, select_last_index: last } })), { x });
    expect(Array.from(run(0).y.data)).toEqual([1, 0, 4, 0]);
    expect(Array.from(run(1).y.data)).toEqual([4, 0, 4, 0]);
  });
  it('defaults to axis 0 with keepdims', async () => {
    const x = coarse(rng(30), 'float32');
    const out = await expectExact(single('ArgMax', { x }, { y: 'int64' }), { x });
    expect(out.y.shape).toEqual([1, 6, 5]);
  });
});
