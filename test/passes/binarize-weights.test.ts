// binarize-weights (--binarize-weights): latent float weights become α·sign(W) per output filter with
// α = mean |W| (float64, rounded once) and sign(0) = +1. The pass changes the model by design, so the
// check is: the graph after the pass computes exactly what a model written with the hand-binarized weights
// computes; weights already binary, unmarked layers and non-constant weights are left alone.
import { describe, expect, it } from 'vitest';
import { CompileError } from '../../src/errors.js';
import { tensor } from '../../src/ir/tensor.js';
import { binarizeWeights } from '../../src/passes/binarize-weights.js';
import { inferAndFold } from '../../src/passes/infer-and-fold.js';
import type { ModelIn } from '../helpers/onnx-build.js';
import { expectSameOutputs, imported, seededFeeds } from './equivalence.js';

const f = Math.fround;

/**
 * x [1,1,3,2] → Conv [2,1,2,2] (+ bias) → Flatten [1,4] → Gemm transB 0 [K=4, M=2] → Gemm transB 1 [2,2] → z,
 * and the Flatten → MatMul [4, 2] → y.
 */
function model(w: { conv: number[]; gemm: number[]; matmul: number[]; gemmT: number[] }): ModelIn {
  return {
    inputs: [{ name: 'x', dtype: 'float32', shape: [1, 1, 3, 2] }],
    outputs: [{ name: 'y', dtype: 'float32' }, { name: 'z', dtype: 'float32' }],
    nodes: [
      { op: 'Conv', inputs: ['x', 'wc', 'bc'], outputs: ['c'], attrs: { kernel_shape: [2, 2] }, name: 'conv' },
      { op: 'Flatten', inputs: ['c'], outputs: ['fl'], attrs: { axis: 1 } },
      { op: 'Gemm', inputs: ['fl', 'wg'], outputs: ['g'], name: 'gemm' },
      { op: 'MatMul', inputs: ['fl', 'wm'], outputs: ['y'], name: 'matmul' },
      { op: 'Gemm', inputs: ['g', 'wt'], outputs: ['z'], attrs: { transB: 1 }, name: 'gemmT' },
    ],
    initializers: {
      wc: tensor('float32', [2, 1, 2, 2], w.conv),
      bc: tensor('float32', [2], [0.5, -0.25]),
      wg: tensor('float32', [4, 2], w.gemm),
      wm: tensor('float32', [4, 2], w.matmul),
      wt: tensor('float32', [2, 2], w.gemmT),
    },
  };
}

// latent weights, and by hand: α per filter (a Conv filter is a row of 4; a [K, M] matrix's filter a column)
const LATENT = {
  // filter 0: |.5|+|−.25|+|0|+|1.25| = 2 → α = 0.5, sign(0) = +1; filter 1: .75+.125+.5+.375 = 1.75 → α = 0.4375
  conv: [0.5, -0.25, 0, 1.25, -0.75, 0.125, -0.5, 0.375],
  // [4, 2]: column 0 = 1, −2, 0.5, 0.5 → α = 1; column 1 = −0.1, 0.2, 0.3, −0.4 → α = fl((fl(.1)+fl(.2)+fl(.3)+fl(.4))/4)
  gemm: [1, -0.1, -2, 0.2, 0.5, 0.3, 0.5, -0.4],
  // column 0 = 0, 0, −3, 1 → α = 1, signs +, +, −, +; column 1 = 2, 2, 2, −2 → α = 2 (already ±α: the matrix as a whole is not)
  matmul: [0, 2, 0, 2, -3, 2, 1, -2],
  // [M=2, K=2] rows: 1, −1 (α = 1) and 0.25, −0.75 → α = 0.5
  gemmT: [1, -1, 0.25, -0.75],
};
const alphaG1 = f((f(0.1) + f(0.2) + f(0.3) + f(0.4)) / 4);
const BY_HAND = {
  conv: [0.5, -0.5, 0.5, 0.5, -0.4375, 0.4375, -0.4375, 0.4375],
  gemm: [1, -alphaG1, -1, alphaG1, 1, alphaG1, 1, -alphaG1],
  matmul: [1, 2, 1, 2, -1, 2, 1, -2],
  gemmT: [1, -1, 0.5, -0.5],
};

describe('binarize-weights', () => {
  it('α = mean |W| per filter and sign(0) = +1, as computed by hand; runs as the hand-binarized model', () => {
    const before = inferAndFold(imported(model(LATENT)));
    const after = binarizeWeights(before, 'all');
    expect(after).not.toBe(before);
    for (const [k, name] of [['conv', 'wc'], ['gemm', 'wg'], ['matmul', 'wm'], ['gemmT', 'wt']] as const) {
      const w = after.initializers.get(name)!;
      expect(w.dtype).toBe('float32');
      expect([...w.data], k).toEqual(BY_HAND[k].map(f));
    }
    // the bias and the structure are untouched
    expect(after.initializers.get('bc')).toBe(before.initializers.get('bc'));
    expect(after.nodes).toBe(before.nodes);
    const hand = inferAndFold(imported(model(BY_HAND)));
    expectSameOutputs(hand, after, seededFeeds(before, 10, 930));
  });

  it('names select layers; the others keep their latent weights', () => {
    const before = inferAndFold(imported(model(LATENT)));
    const after = binarizeWeights(before, ['gemm', 'gemmT']);
    expect(after.initializers.get('wc')).toBe(before.initializers.get('wc'));
    expect(after.initializers.get('wm')).toBe(before.initializers.get('wm'));
    expect([...after.initializers.get('wg')!.data]).toEqual(BY_HAND.gemm.map(f));
    expect([...after.initializers.get('wt')!.data]).toEqual(BY_HAND.gemmT.map(f));
  });

  it('returns the very same graph when every weight is already ±1 or ±α, or no layer is named', () => {
    const binary = inferAndFold(imported(model(BY_HAND)));
    expect(binarizeWeights(binary, 'all')).toBe(binary);
    const latent = inferAndFold(imported(model(LATENT)));
    expect(binarizeWeights(latent, [])).toBe(latent);
  });

  it('refuses an unknown node name and a named layer whose weights are computed (BNNC_E019)', () => {
    const g = inferAndFold(imported(model(LATENT)));
    expect(() => binarizeWeights(g, ['nope'])).toThrow(/BNNC_E019.*'nope'/);
    const dyn: ModelIn = {
      inputs: [{ name: 'x', dtype: 'float32', shape: [2, 3] }, { name: 'w', dtype: 'float32', shape: [3, 2] }],
      outputs: [{ name: 'y', dtype: 'float32' }],
      nodes: [{ op: 'MatMul', inputs: ['x', 'w'], outputs: ['y'], name: 'mm' }],
    };
    const d = inferAndFold(imported(dyn));
    try {
      binarizeWeights(d, ['mm']);
      expect.unreachable();
    } catch (e) {
      expect((e as CompileError).code).toBe('BNNC_E019');
      expect((e as CompileError).where.node).toBe('mm');
    }
    expect(binarizeWeights(d, 'all')).toBe(d);
  });
});
