// A float model that quantizes its own input with an 8-bit QONNX Quant: the raw input is the integer inside
// that Quant, no --input-scale is needed, and the lowered network matches the float one bit for bit.
import { describe, expect, it } from 'vitest';
import { checkModel, sampleFromRaw } from '../../src/check.js';
import { lowerModel } from '../../src/compile.js';
import { tensor } from '../../src/ir/tensor.js';
import { modelInputQuant } from '../../src/lower/lower.js';
import { importModelBytes } from '../../src/onnx/import.js';
import { IMPORT_PIPELINE, runPipeline } from '../../src/passes/index.js';
import { buildModel, rng } from '../helpers/onnx-build.js';

function model(signed: number, zp: number) {
  const r = rng(21 + signed);
  const pm1 = (n: number) => Array.from({ length: n }, () => (r() < 0.5 ? -1 : 1));
  const bytes = buildModel({
    inputs: [{ name: 'x', dtype: 'float32', shape: [1, 32] }],
    outputs: [{ name: 'y', dtype: 'float32' }],
    domains: { 'qonnx.custom_op.general': 1 },
    initializers: {
      s: tensor('float32', [], [0.0625]), z: tensor('float32', [], [zp]), b: tensor('float32', [], [8]),
      W1: tensor('float32', [16, 32], pm1(512)), W2: tensor('float32', [4, 16], pm1(64)),
      t: tensor('float32', [16], Array.from({ length: 16 }, () => Math.round(r() * 8 - 4) + 0.5)),
    },
    nodes: [
      { op: 'Quant', domain: 'qonnx.custom_op.general', inputs: ['x', 's', 'z', 'b'], outputs: ['xq'], attrs: { signed, narrow: 0, rounding_mode: 'ROUND' } },
      { op: 'Gemm', inputs: ['xq', 'W1'], outputs: ['h'], attrs: { transB: 1 } },
      { op: 'Sub', inputs: ['h', 't'], outputs: ['hc'] },
      { op: 'Sign', inputs: ['hc'], outputs: ['a'] },
      { op: 'Gemm', inputs: ['a', 'W2'], outputs: ['y'], attrs: { transB: 1 } },
    ],
  });
  return runPipeline(importModelBytes(bytes), IMPORT_PIPELINE);
}

describe('a model that quantizes its own input (8-bit QONNX Quant)', () => {
  for (const [signed, zp] of [[1, 0], [0, 128]] as const) {
    it(`signed=${signed} zero point ${zp}: raw integers in, bit-exact with the float model`, () => {
      const g = model(signed, zp);
      const q = modelInputQuant(g)!.quant;
      expect(q).toEqual({ dtype: signed ? 'int8' : 'uint8', scale: 0.0625, divisor: 1, zeroPoint: zp });
      const lowered = lowerModel(g);
      expect(lowered.inputs[0].type.dtype).toBe(q.dtype);
      const r = rng(5);
      const [lo, span] = signed ? [-128, 256] : [0, 256];
      const samples = Array.from({ length: 60 }, () => sampleFromRaw(g.inputs[0].type, Array.from({ length: 32 }, () => lo + Math.floor(r() * span)), q, lowered.inputs[0].type.shape));
      const report = checkModel(g, lowered, samples);
      expect(report.agreement).toBe(1);
      for (const l of report.layers) expect(l.identical).toBe(l.bits);
    });
  }
});
