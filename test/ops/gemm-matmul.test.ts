// Gemm (all transposes, alpha/beta, C shapes, opsets 7–13) and MatMul (1-D, 2-D, batched, broadcast)
// against onnxruntime, within the summation bound of sum-bound.ts: K products (+ alpha, + beta·C for
// Gemm: K + 2 roundings). int32 MatMul is exact.
import { describe, expect, it } from 'vitest';
import { importModelBytes } from '../../src/onnx/import.js';
import { inferAndFold } from '../../src/passes/infer-and-fold.js';
import { buildModel, compareWithOrt, randomTensor, rng, type AttrIn } from '../helpers/onnx-build.js';
import { compareWithinSumBound } from './sum-bound.js';

const [M, K, N] = [3, 7, 5];

interface GemmCase { transA: number; transB: number; alpha?: number; beta?: number; c?: number[]; opset?: number }

const gemmCases: GemmCase[] = [];
for (const transA of [0, 1]) for (const transB of [0, 1]) for (const [alpha, beta] of [[undefined, undefined], [0.5, 2], [-1.5, 0]]) {
  for (const c of [undefined, [N], [1, N], [M, N], [], [M, 1]]) gemmCases.push({ transA, transB, alpha, beta, c });
}
gemmCases.push({ transA: 0, transB: 1, c: [N], opset: 7 }, { transA: 1, transB: 0, alpha: 0.25, c: [M, N], opset: 9 }, { transA: 0, transB: 0, opset: 11 });

describe('Gemm against onnxruntime', () => {
  it.each(gemmCases.map((g, i) => [JSON.stringify(g), g, i] as const))('%s', async (_, g, i) => {
    const r = rng(2000 + i);
    const a = randomTensor(r, 'float32', g.transA ? [K, M] : [M, K]);
    const b = randomTensor(r, 'float32', g.transB ? [N, K] : [K, N]);
    const attrs: Record<string, AttrIn> = { transA: g.transA, transB: g.transB };
    if (g.alpha !== undefined) attrs.alpha = { float: g.alpha };
    if (g.beta !== undefined) attrs.beta = { float: g.beta };
    await compareWithinSumBound({
      inputs: [{ name: 'a', dtype: 'float32', shape: [...a.shape] }, { name: 'b', dtype: 'float32', shape: [...b.shape] }],
      outputs: [{ name: 'y', dtype: 'float32' }],
      nodes: [{ op: 'Gemm', inputs: g.c ? ['a', 'b', 'c'] : ['a', 'b'], outputs: ['y'], attrs }],
      initializers: g.c ? { c: randomTensor(r, 'float32', g.c) } : {},
      opset: g.opset,
    }, { a, b }, K + 2);
  });

  it('rejects disagreeing K (E009, naming the node)', () => {
    const bytes = buildModel({
      inputs: [{ name: 'a', dtype: 'float32', shape: [M, K] }],
      outputs: [{ name: 'y', dtype: 'float32' }],
      nodes: [{ op: 'Gemm', name: 'fc', inputs: ['a', 'b'], outputs: ['y'], attrs: { transB: 1 } }],
      initializers: { b: randomTensor(rng(1), 'float32', [K, N]) },
    });
    expect(() => inferAndFold(importModelBytes(bytes))).toThrow(expect.objectContaining({ code: 'BNNC_E009', where: expect.objectContaining({ node: 'fc' }) }));
  });
});

const matmulCases: [number[], number[]][] = [
  [[K], [K]], [[K], [K, N]], [[M, K], [K]], [[M, K], [K, N]], [[1, K], [K, 1]],
  [[4, M, K], [K, N]], [[M, K], [4, K, N]], [[2, 1, M, K], [3, K, N]], [[4, M, K], [K]], [[K], [2, K, N]],
  [[2, 3, M, K], [2, 3, K, N]], [[1, 64], [64, 10]],
];

describe('MatMul against onnxruntime', () => {
  it.each(matmulCases.map(([a, b], i) => [`[${a}]·[${b}]`, a, b, i] as const))('float32 %s', async (_, as, bs, i) => {
    const r = rng(2200 + i);
    await compareWithinSumBound({
      inputs: [{ name: 'a', dtype: 'float32', shape: as }, { name: 'b', dtype: 'float32', shape: bs }],
      outputs: [{ name: 'y', dtype: 'float32' }],
      nodes: [{ op: 'MatMul', inputs: ['a', 'b'], outputs: ['y'] }],
    }, { a: randomTensor(r, 'float32', as), b: randomTensor(r, 'float32', bs) }, as[as.length - 1]);
  });
  it.each([[[4, M, K], [K, N]], [[K], [K]]])('int32 [%s]·[%s] exactly', async (as, bs) => {
    const r = rng(2300);
    await compareWithOrt({
      inputs: [{ name: 'a', dtype: 'int32', shape: as }, { name: 'b', dtype: 'int32', shape: bs }],
      outputs: [{ name: 'y', dtype: 'int32' }],
      nodes: [{ op: 'MatMul', inputs: ['a', 'b'], outputs: ['y'] }],
    }, { a: randomTensor(r, 'int32', as, -1000, 1000), b: randomTensor(r, 'int32', bs, -1000, 1000) });
  });
  it('rejects shapes that do not multiply (E009)', () => {
    const bytes = buildModel({
      inputs: [{ name: 'a', dtype: 'float32', shape: [2, M, K] }, { name: 'b', dtype: 'float32', shape: [3, K, N] }],
      outputs: [{ name: 'y', dtype: 'float32' }],
      nodes: [{ op: 'MatMul', name: 'mm', inputs: ['a', 'b'], outputs: ['y'] }],
    });
    expect(() => inferAndFold(importModelBytes(bytes))).toThrow(expect.objectContaining({ code: 'BNNC_E009', where: expect.objectContaining({ node: 'mm' }) }));
  });
});
