// Dropout in inference is the identity; its mask is all ones. onnxruntime agrees from opset 12; before it,
// onnxruntime fills the mask with zeros, so there the mask is checked against the ONNX reference (ones).
import { describe, expect, it } from 'vitest';
import { importModelBytes } from '../../src/onnx/import.js';
import { inferAndFold } from '../../src/passes/infer-and-fold.js';
import { tensor } from '../../src/ir/tensor.js';
import type { DType } from '../../src/ir/types.js';
import { buildModel, randomTensor, rng, runBnnc } from '../helpers/onnx-build.js';
import { both, expectExact, FLOAT_EDGES, single, withEdges } from './op-check.js';

describe('Dropout', () => {
  const x = withEdges(randomTensor(rng(1), 'float32', [2, 3, 4]), FLOAT_EDGES);
  it('opset 12 and 13: output and mask match onnxruntime, with ratio and training_mode = false inputs', async () => {
    for (const opset of [12, 13]) {
      await expectExact(single('Dropout', { x }, { y: 'float32' }, { opset }), { x });
      await expectExact(single('Dropout', { x }, { y: 'float32', mask: 'bool' }, { opset }), { x });
      const initializers = { ratio: tensor('float32', [], [0.3]), training: tensor('bool', [], [0]) };
      await expectExact(single('Dropout', { x }, { y: 'float32', mask: 'bool' }, { opset, initializers }), { x });
    }
  });
  for (const [opset, maskType] of [[7, 'float32'], [10, 'bool']] as [number, DType][]) {
    it(`opset ${opset}: output matches onnxruntime, mask is ones of ${maskType}`, async () => {
      const m = single('Dropout', { x }, { y: 'float32', mask: maskType }, { opset, attrs: { ratio: { float: 0.25 } } });
      const { ort, bnnc } = await both(m, { x });
      await expectExact(single('Dropout', { x }, { y: 'float32' }, { opset }), { x });
      expect(bnnc.mask.dtype).toBe(maskType);
      expect(Array.from(bnnc.mask.data).every((v) => v === 1)).toBe(true);
      expect(Array.from(ort.mask.data).every((v) => v === 0)).toBe(true); // onnxruntime's deviation, recorded
    });
  }
  it('refuses training_mode = true (BNNC_E017) and a non-constant training_mode (BNNC_E021)', () => {
    const t = tensor('bool', [], [1]);
    const trained = buildModel(single('Dropout', { x }, { y: 'float32' }, { inputs: ['x', '', 't'], initializers: { t } }));
    expect(() => inferAndFold(importModelBytes(trained))).toThrow(/BNNC_E017/);
    const dynamic = buildModel(single('Dropout', { x, t }, { y: 'float32' }, { inputs: ['x', '', 't'] }));
    expect(() => inferAndFold(importModelBytes(dynamic))).toThrow(/BNNC_E021/);
  });
  it('runs with the mask output omitted in the middle of a graph', () => {
    const out = runBnnc(buildModel({
      inputs: [{ name: 'x', dtype: 'float32', shape: [2, 3, 4] }],
      outputs: [{ name: 'z', dtype: 'float32' }],
      nodes: [{ op: 'Dropout', inputs: ['x'], outputs: ['y'] }, { op: 'Relu', inputs: ['y'], outputs: ['z'] }],
    }), { x });
    expect(out.z.shape).toEqual([2, 3, 4]);
  });
});
