// BatchNormalization (inference) against onnxruntime in opsets 7 to 15, ranks 2 to 5, spatial = 0 (opset 7),
// within a bound derived below; training forms are refused.
import { describe, expect, it } from 'vitest';
import { importModelBytes } from '../../src/onnx/import.js';
import { inferAndFold } from '../../src/passes/infer-and-fold.js';
import type { Tensor } from '../../src/ir/types.js';
import { buildModel, randomTensor, rng, runBnnc, runOrt, type AttrIn, type ModelIn } from '../helpers/onnx-build.js';
import { expectWithin } from './sum-bound.js';

const U = 2 ** -24;

/**
 * bnnc follows ONNX's reference, fl(fl(fl(s·fl(x − m)) / fl(√fl(v + ε))) + B): the quotient T carries at most
 * 4.5u relative error (−, ·, + ε then √ halving it, √, /), then + B adds u·|y|. onnxruntime folds first,
 * a = s·(1/√(v + ε)) (3.5u), b = B − m·a, y = x·a + b: at most 4.5u·(|x·a| + |m·a|) + u·|b| + u·|y|.
 * With A = |s|·(|x| + |m|)/√(v + ε) ≥ |T| and |b|, |y| ≤ A + |B|, the two differ by at most 12u·(A + |B|).
 */
function bound(x: Tensor, [s, b, m, v]: Tensor[], eps: number, stat: number): number[] {
  const inner = x.shape.slice(1).reduce((p, q) => p * q, 1) / stat;
  return Array.from(x.data, (xe, e) => {
    const j = Math.floor(e / inner) % stat;
    return 12 * U * ((Math.abs(s.data[j]) * (Math.abs(xe) + Math.abs(m.data[j]))) / Math.sqrt(v.data[j] + eps) + Math.abs(b.data[j]));
  });
}

interface BnCase { x: number[]; opset: number; attrs?: Record<string, AttrIn>; spatial0?: boolean }

function model(c: BnCase, stats: Tensor[]): ModelIn {
  return {
    inputs: [{ name: 'x', dtype: 'float32', shape: c.x }],
    outputs: [{ name: 'y', dtype: 'float32' }],
    nodes: [{ op: 'BatchNormalization', name: 'bn', inputs: ['x', 's', 'b', 'm', 'v'], outputs: ['y'], attrs: c.attrs }],
    initializers: { s: stats[0], b: stats[1], m: stats[2], v: stats[3] },
    opset: c.opset,
  };
}

const cases: BnCase[] = [
  { x: [2, 3, 5, 4], opset: 7 },
  { x: [2, 3, 5, 4], opset: 7, attrs: { spatial: 0 }, spatial0: true },
  { x: [1, 4, 6], opset: 9, attrs: { epsilon: { float: 1e-3 } } },
  { x: [3, 5], opset: 9 },
  { x: [2, 6, 4, 4], opset: 14, attrs: { training_mode: 0, momentum: { float: 0.99 } } },
  { x: [1, 2, 3, 4, 5], opset: 15, attrs: { epsilon: { float: 0.5 } } },
  { x: [1, 64, 7, 7], opset: 13 },
];

describe('BatchNormalization against onnxruntime', () => {
  it.each(cases.map((c, i) => [`x[${c.x}] opset ${c.opset} ${JSON.stringify(c.attrs ?? {})}`, c, i] as const))('%s', async (_, c, i) => {
    const r = rng(1500 + i);
    const statShape = c.spatial0 ? c.x.slice(1) : [c.x[1]];
    const stats = [randomTensor(r, 'float32', statShape, -2, 2), randomTensor(r, 'float32', statShape), randomTensor(r, 'float32', statShape), randomTensor(r, 'float32', statShape, 0, 3)];
    const x = randomTensor(r, 'float32', c.x, -3, 3);
    const bytes = buildModel(model(c, stats));
    const eps = (c.attrs?.epsilon as { float: number } | undefined)?.float ?? 1e-5;
    expectWithin(runBnnc(bytes, { x }).y, (await runOrt(bytes, { x })).y, bound(x, stats, Math.fround(eps), statShape.reduce((p, q) => p * q, 1)));
  });
});

describe('BatchNormalization diagnostics', () => {
  const stats = Array.from({ length: 4 }, () => randomTensor(rng(1), 'float32', [3], 0, 1));
  const compile = (m: ModelIn) => () => inferAndFold(importModelBytes(buildModel(m)));
  it('refuses training_mode = 1 (E017)', () => {
    expect(compile(model({ x: [1, 3, 2, 2], opset: 15, attrs: { training_mode: 1 } }, stats))).toThrow(expect.objectContaining({ code: 'BNNC_E017', where: expect.objectContaining({ node: 'bn' }) }));
  });
  it('refuses the running-statistics outputs (E017)', () => {
    const m = model({ x: [1, 3, 2, 2], opset: 9 }, stats);
    m.nodes[0].outputs = ['y', 'mean_out'];
    expect(compile(m)).toThrow(expect.objectContaining({ code: 'BNNC_E017' }));
  });
  it('refuses statistics of the wrong length (E009)', () => {
    expect(compile(model({ x: [1, 4, 2, 2], opset: 13 }, stats))).toThrow(expect.objectContaining({ code: 'BNNC_E009' }));
  });
});
