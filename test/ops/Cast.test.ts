// Cast against onnxruntime for every pair of supported types, bit-exact wherever ONNX defines the result;
// the undefined float → integer cases (NaN, out of range) are checked against bnnc's saturation directly.
import { describe, expect, it } from 'vitest';
import { importModelBytes } from '../../src/onnx/import.js';
import { inferAndFold } from '../../src/passes/infer-and-fold.js';
import { tensor } from '../../src/ir/tensor.js';
import type { DType, Tensor } from '../../src/ir/types.js';
import { buildModel, DTYPE_ELEM, randomTensor, rng, runBnnc } from '../helpers/onnx-build.js';
import { expectExact, single, withEdges } from './op-check.js';

const TYPES: DType[] = ['float32', 'float64', 'int8', 'uint8', 'int16', 'uint16', 'int32', 'int64', 'bool'];
const RANGE: Record<DType, [number, number]> = {
  float32: [-1e6, 1e6], float64: [-1e6, 1e6], int8: [-128, 127], uint8: [0, 255], int16: [-32768, 32767],
  uint16: [0, 65535], int32: [-(2 ** 31), 2 ** 31 - 1], int64: [-(2 ** 40), 2 ** 40], bool: [0, 1],
};
const isFloat = (d: DType) => d === 'float32' || d === 'float64';

/** Source values: full range for integer sources; floats inside the target's range (beyond it ONNX is undefined). */
function source(r: () => number, from: DType, to: DType): Tensor {
  if (!isFloat(from)) return randomTensor(r, from, [4, 16], ...RANGE[from]);
  const [lo, hi] = isFloat(to) || to === 'bool' ? [-1e6, 1e6] : [Math.max(RANGE[to][0], -1e6) - 0.99, Math.min(RANGE[to][1], 1e6) + 0.99];
  const t = randomTensor(r, from, [4, 16], lo, hi);
  const edges = [0, -0, 0.5, -0.5, 0.999, -0.99, 1e-45, 16777217, 0.1];
  if (isFloat(to) || to === 'bool') edges.push(NaN, Infinity, -Infinity, 3.4e38, 1e300);
  return withEdges(t, edges.filter((v) => !Number.isFinite(v) || (v >= lo && v <= hi) || isFloat(to) || to === 'bool'));
}

describe('Cast against onnxruntime', () => {
  for (const from of TYPES) {
    it(`from ${from} to every type, bit-exact`, async () => {
      const r = rng(TYPES.indexOf(from) + 1);
      for (const to of TYPES) {
        const x = source(r, from, to);
        await expectExact(single('Cast', { x }, { y: to }, { attrs: { to: DTYPE_ELEM[to] } }), { x });
      }
    });
  }
  it('is the same at opsets 7, 9, 19 and 21', async () => {
    const r = rng(50);
    for (const opset of [7, 9, 19, 21]) {
      const x = source(r, 'float32', 'int16');
      await expectExact(single('Cast', { x }, { y: 'int16' }, { opset, attrs: { to: DTYPE_ELEM.int16 } }), { x });
    }
  });
});

describe('Cast where ONNX leaves the result undefined', () => {
  const run = (x: Tensor, to: DType) => runBnnc(buildModel(single('Cast', { x }, { y: to }, { attrs: { to: DTYPE_ELEM[to] } })), { x }).y;
  it('saturates float → integer and maps NaN to 0 (onnxruntime on x86 gives INT_MIN)', () => {
    const x = tensor('float32', [7], [NaN, Infinity, -Infinity, 3e9, -3e9, 200.7, -200.7]);
    expect(Array.from(run(x, 'int8').data)).toEqual([0, 127, -128, 127, -128, 127, -128]);
    expect(Array.from(run(x, 'uint8').data)).toEqual([0, 255, 0, 255, 0, 200, 0]);
    expect(Array.from(run(x, 'int32').data)).toEqual([0, 2147483647, -2147483648, 2147483647, -2147483648, 200, -200]);
    expect(Array.from(run(x, 'int64').data)).toEqual([0, 2 ** 63, -(2 ** 63), 3e9, -3e9, 200, -200]);
  });
  it('wraps integer → narrower integer and gives +0 for -0.5 → int', () => {
    expect(Array.from(run(tensor('int32', [3], [200, -129, 65536 + 7]), 'int8').data)).toEqual([-56, 127, 7]);
    expect(Object.is(run(tensor('float32', [1], [-0.5]), 'int64').data[0], 0)).toBe(true);
  });
  it('refuses unsupported target types with BNNC_E017', () => {
    const x = tensor('float32', [2], [1, 2]);
    for (const to of [10, 8, 16, 12]) {
      const bytes = buildModel({ ...single('Cast', { x }, { y: 'float32' }, { attrs: { to } }) });
      expect(() => inferAndFold(importModelBytes(bytes))).toThrow(/BNNC_E017/);
    }
  });
});
