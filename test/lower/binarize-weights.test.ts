// --binarize-weights on latent float weights, then lowering: each marked layer's weights become ±α per
// output filter with α = mean |W| of the filter (float64, rounded once) and sign(0) = +1, checked here
// against the values the test computes itself; the lowered network then matches the binarized float model.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadModel, lowerModel } from '../../src/compile.js';
import { CompileError } from '../../src/errors.js';
import type { Graph, Tensor } from '../../src/ir/types.js';
import { binarizeWeights } from '../../src/passes/binarize-weights.js';
import { lowerAndCheck, loweredOps, Net, Q256 } from './net.js';

/** A latent-weight BNN: Conv, BN, Sign, Conv, BN, Sign, Gemm (transB 0), Sign, MatMul. */
function latentNet(seed: number): Net {
  return new Net(seed, { dtype: 'float32', shape: [1, 2, 6, 6] })
    .conv(16, { w: 'latent', pads: [1, 1, 1, 1] }).bn().sign()
    .conv(33, { w: 'latent', s: 2, pads: [1, 1, 1, 1] }).bn({ neg: [4] }).sign().flatten()
    .dense(24, { w: 'latent', transB: 0, bias: true }).sign()
    .dense(5, { w: 'latent', op: 'MatMul' }).output();
}

/** Expected binarization of a weight tensor with output channels on `axis` (0, or 1 of a [K, M] matrix). */
function expected(w: Tensor, axis: 0 | 1): number[] {
  const M = w.shape[axis], inner = w.data.length / M;
  const filter = (i: number) => (axis === 0 ? Math.floor(i / inner) : i % M);
  const sum = new Array<number>(M).fill(0);
  w.data.forEach((v, i) => { sum[filter(i)] += Math.abs(v); });
  const alpha = sum.map((s) => Math.fround(s / inner));
  return Array.from(w.data, (v, i) => (v < 0 ? -1 : 1) * alpha[filter(i)]);
}

function layerWeights(g: Graph): { op: string; name: string; w: Tensor }[] {
  return g.nodes.filter((n) => ['Conv', 'Gemm', 'MatMul'].includes(n.op)).map((n) => ({ op: n.op, name: n.name, w: g.initializers.get(n.inputs[1])! }));
}

describe('--binarize-weights, then lowering', () => {
  it('α = mean |W| per filter and sign(0) = +1 on Conv, Gemm (transB 0) and MatMul weights', () => {
    const float = latentNet(800).float();
    const before = layerWeights(float);
    expect(before.some(({ w }) => w.data.includes(0))).toBe(true);
    const bin = binarizeWeights(float, 'all');
    const after = layerWeights(bin);
    after.forEach(({ op, w }, i) => {
      expect(w.dtype).toBe('float32');
      expect([...w.shape]).toEqual([...before[i].w.shape]);
      expect([...w.data]).toEqual(expected(before[i].w, op === 'Conv' ? 0 : 1));
      // a latent 0 became +α
      before[i].w.data.forEach((v, k) => { if (v === 0) expect(w.data[k]).toBeGreaterThan(0); });
    });
    // the lowered network reproduces the binarized float model; α is not a power of two, so the float sums
    // round: ≥ 99 % of the bits, every top-1 disagreement explained
    const { lowered } = lowerAndCheck(bin, Q256, { n: 30, minBits: 0.99, minAgree: 0.9 });
    expect(loweredOps(lowered)).toEqual(['IntConv', 'Threshold', 'XnorConv', 'Threshold', 'XnorConv', 'Threshold', 'XnorConv', 'Epilogue']);
  });

  it('without it, the latent weights are refused (BNNC_E030, suggesting the flag)', () => {
    const float = latentNet(801).float();
    expect(() => lowerModel(float, { inputQuant: Q256 })).toThrow(/BNNC_E030.*--binarize-weights/);
  });

  it('names select layers; the others stay latent and are refused', () => {
    const float = latentNet(802).float();
    const [conv1, conv2, gemm, matmul] = layerWeights(float);
    const some = binarizeWeights(float, [conv1.name, conv2.name, gemm.name]);
    const after = layerWeights(some);
    expect(after[3].w).toBe(matmul.w);
    expect([...after[1].w.data]).toEqual(expected(conv2.w, 0));
    try {
      lowerModel(some, { inputQuant: Q256 });
      expect.unreachable();
    } catch (e) {
      expect((e as CompileError).code).toBe('BNNC_E030');
      expect((e as CompileError).where.node).toBe(matmul.name);
    }
    expect(() => binarizeWeights(float, ['no_such_node'])).toThrow(/BNNC_E019/);
  });

  it('through loadModel({ binarizeWeights: "all" }), as the CLI flag does', () => {
    const net = latentNet(803);
    const dir = mkdtempSync(join(tmpdir(), 'bnnc-bw-'));
    try {
      const path = join(dir, 'latent.onnx');
      writeFileSync(path, net.bytes());
      const g = loadModel(path, { binarizeWeights: 'all' });
      const direct = binarizeWeights(net.float(), 'all');
      layerWeights(g).forEach(({ w }, i) => expect([...w.data]).toEqual([...layerWeights(direct)[i].w.data]));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
