// fold-nhwc-flatten: Transpose to channels-last → Flatten / Reshape → (scalar elementwise ops) → Gemm /
// MatMul becomes a Flatten of the channels-first tensor → the same ops → the dense layer with its K axis
// permuted. Checked: the original against onnxruntime; the rewrite bit-exact where every sum is exact
// (±1 activations and weights, the case the lowering sees) and within rounding on random floats, where it
// is not bit-exact (the reason it is a NORMALIZE_PIPELINE pass); a Keras/Larq-ordered binary CNN lowers.
import { describe, expect, it } from 'vitest';
import { tensor } from '../../src/ir/tensor.js';
import type { Tensor } from '../../src/ir/types.js';
import { foldNhwcFlatten } from '../../src/passes/fold-nhwc-flatten.js';
import { IMPORT_PIPELINE, NORMALIZE_PIPELINE } from '../../src/passes/index.js';
import { inferAndFold } from '../../src/passes/infer-and-fold.js';
import { type ModelIn, type NodeIn, randomTensor, rng } from '../helpers/onnx-build.js';
import { lowerAndCheck, loweredOps, Net, Q256 } from '../lower/net.js';
import { expectSameOutputs, imported, ops, seededFeeds } from './equivalence.js';
import { expectMatchesOrt } from './forms.js';

const pm1 = (r: () => number, shape: number[]) => tensor('float32', shape, Array.from({ length: shape.reduce((a, b) => a * b, 1) }, () => (r() < 0.5 ? -1 : 1)));

interface Form { name: string; shape: number[]; flatten: 'Flatten' | 'Reshape'; between: string[]; dense: 'Gemm' | 'GemmT' | 'MatMul' }

const FORMS: Form[] = [
  { name: 'NHWC → Flatten → Gemm (transB)', shape: [1, 3, 4, 5], flatten: 'Flatten', between: [], dense: 'GemmT' },
  { name: 'NHWC → Reshape [1, −1] → Sign → MatMul (Larq QuantDense)', shape: [1, 5, 3, 3], flatten: 'Reshape', between: ['Sign'], dense: 'MatMul' },
  { name: 'NHWC, batch 2 → Flatten → Mul by a scalar → Gemm', shape: [2, 4, 2, 3], flatten: 'Flatten', between: ['Mul'], dense: 'Gemm' },
  { name: 'NLC (Keras Conv1D) → Flatten → Gemm (transB)', shape: [1, 6, 7], flatten: 'Flatten', between: [], dense: 'GemmT' },
];

function model(f: Form, weights: (shape: number[]) => Tensor): ModelIn {
  const r = f.shape.length;
  const N = f.shape[0], K = f.shape.slice(1).reduce((a, b) => a * b, 1), M = 6;
  const nodes: NodeIn[] = [{ op: 'Transpose', inputs: ['x'], outputs: ['t'], attrs: { perm: [0, ...Array.from({ length: r - 2 }, (_, i) => i + 2), 1] } }];
  const inits: Record<string, Tensor> = {};
  if (f.flatten === 'Flatten') nodes.push({ op: 'Flatten', inputs: ['t'], outputs: ['f0'], attrs: { axis: 1 } });
  else { nodes.push({ op: 'Reshape', inputs: ['t', 'shape'], outputs: ['f0'] }); inits.shape = tensor('int64', [2], [N, -1]); }
  f.between.forEach((op, i) => {
    const ins = [`f${i}`];
    if (op === 'Mul') { ins.push('k'); inits.k = tensor('float32', [], [0.5]); }
    nodes.push({ op, inputs: ins, outputs: [`f${i + 1}`] });
  });
  const last = `f${f.between.length}`;
  if (f.dense === 'MatMul') { nodes.push({ op: 'MatMul', inputs: [last, 'w'], outputs: ['y'] }); inits.w = weights([K, M]); }
  else {
    nodes.push({ op: 'Gemm', inputs: [last, 'w', 'b'], outputs: ['y'], attrs: { transB: f.dense === 'GemmT' ? 1 : 0 } });
    inits.w = weights(f.dense === 'GemmT' ? [M, K] : [K, M]);
    inits.b = tensor('float32', [M], [0.5, -1, 2, 0, 1.5, -3]);
  }
  return { opset: 13, inputs: [{ name: 'x', dtype: 'float32', shape: f.shape }], outputs: [{ name: 'y', dtype: 'float32' }], nodes, initializers: inits };
}

describe('fold-nhwc-flatten', () => {
  it.each(FORMS)('$name: ±1 data, bit-exact', async (f) => {
    const r = rng(81);
    const m = model(f, (s) => pm1(r, s));
    const before = inferAndFold(imported(m));
    const after = foldNhwcFlatten(before);
    expect(ops(after)).toEqual(['Flatten', ...f.between, f.dense === 'MatMul' ? 'MatMul' : 'Gemm']);
    expect(after.nodes[0].inputs).toEqual(['x']);
    expect(after.initializers.has('w')).toBe(false);
    expect(after.initializers.has('shape')).toBe(false);
    expect(foldNhwcFlatten(after)).toBe(after);
    const feeds = Array.from({ length: 4 }, () => ({ x: pm1(r, f.shape) }));
    await expectMatchesOrt(m, before, feeds);
    expectSameOutputs(before, after, feeds);
  });

  it.each(FORMS)('$name: random floats, equal up to the order of the sum', async (f) => {
    const r = rng(82);
    const m = model(f, (s) => randomTensor(r, 'float32', s));
    const before = inferAndFold(imported(m));
    const after = foldNhwcFlatten(before);
    const feeds = seededFeeds(before, 6, 83);
    await expectMatchesOrt(m, before, feeds, { absTol: 1e-4 });
    // |Σ − Σ'| ≤ 2·γ_K·Σ|w·x| with K ≤ 63 terms of |w·x| ≤ 4: far below 1e-4
    expectSameOutputs(before, after, feeds, 2 ** 12);
  });

  it('is not bit-exact in float32 on random floats, which is why it runs in NORMALIZE_PIPELINE', () => {
    const r = rng(84);
    const m = model(FORMS[0], (s) => randomTensor(r, 'float32', s));
    const before = inferAndFold(imported(m));
    const worst = expectSameOutputs(before, foldNhwcFlatten(before), seededFeeds(before, 6, 85), 2 ** 12);
    expect(worst).toBeGreaterThan(0);
    expect(NORMALIZE_PIPELINE.map((p) => p.name)).toContain('fold-nhwc-flatten');
    expect(IMPORT_PIPELINE.map((p) => p.name)).not.toContain('fold-nhwc-flatten');
  });

  it('leaves other permutations, a shared transpose and a non-scalar operand in between alone', () => {
    const r = rng(86);
    const base = model(FORMS[0], (s) => pm1(r, s));
    const other = { ...base, nodes: base.nodes.map((n) => (n.op === 'Transpose' ? { ...n, attrs: { perm: [0, 3, 1, 2] } } : n)) };
    const g1 = inferAndFold(imported(other));
    expect(foldNhwcFlatten(g1)).toBe(g1);
    const shared = { ...base, outputs: [...base.outputs, { name: 't', dtype: 'float32' as const }] };
    const g2 = inferAndFold(imported(shared));
    expect(foldNhwcFlatten(g2)).toBe(g2);
    const perElement = model(FORMS[2], (s) => pm1(r, s));
    perElement.initializers!.k = randomTensor(r, 'float32', [1, 24]);
    const g3 = inferAndFold(imported(perElement));
    expect(foldNhwcFlatten(g3)).toBe(g3);
  });

  it('a binary CNN in Keras/Larq order (Transpose to NHWC before the flatten) lowers', () => {
    const net = new Net(87, { dtype: 'float32', shape: [1, 2, 6, 6] });
    net.conv(12, { pads: [1, 1, 1, 1] }).bn({ neg: [2] }).sign().conv(33, { s: 2, pads: [1, 1, 1, 1] }).bn().sign();
    net.node('Transpose', [net.x], { perm: [0, 2, 3, 1] });
    net.flatten().dense(5, { bias: true }).output();
    const { lowered } = lowerAndCheck(net.float(), Q256, { n: 20 });
    expect(loweredOps(lowered)).toEqual(['IntConv', 'Threshold', 'XnorConv', 'Threshold', 'XnorConv', 'Epilogue']);
  });
});
