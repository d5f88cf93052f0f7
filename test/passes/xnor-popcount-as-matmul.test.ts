// xnor-popcount-as-matmul: FINN's XnorPopcountMatMul with {0, 1} weights becomes MatMul by ±1 weights plus a
// per-column constant. The op's own semantics (qonnx's bipolar-matmul formula) are checked against a popcount
// of agreements written here; the rewrite bit-exact before/after on {0, 1} inputs; weights that are not
// {0, 1} left alone.
import { describe, expect, it } from 'vitest';
import { run } from '../../src/interp/run.js';
import { tensor } from '../../src/ir/tensor.js';
import { inferAndFold } from '../../src/passes/infer-and-fold.js';
import { xnorPopcountAsMatmul } from '../../src/passes/xnor-popcount-as-matmul.js';
import { type ModelIn, rng } from '../helpers/onnx-build.js';
import { QONNX } from '../lower/net.js';
import { expectSameOutputs, imported, ops } from './equivalence.js';

const model = (K: number, N: number, B: number[], M = 3): ModelIn => ({
  inputs: [{ name: 'a', dtype: 'float32', shape: [M, K] }],
  outputs: [{ name: 'y', dtype: 'float32' }],
  nodes: [{ op: 'XnorPopcountMatMul', domain: QONNX, inputs: ['a', 'B'], outputs: ['y'] }],
  initializers: { B: tensor('float32', [K, N], B) },
  domains: { [QONNX]: 1 },
});

const bits = (r: () => number, n: number) => Array.from({ length: n }, () => (r() < 0.5 ? 0 : 1));

describe('xnor-popcount-as-matmul', () => {
  it.each([[1, 1], [7, 5], [64, 10], [33, 17]])('K %i, N %i: MatMul + Add, bit-exact on {0, 1} inputs, = the count of agreements', (K, N) => {
    const r = rng(K * 100 + N);
    const B = bits(r, K * N);
    const before = inferAndFold(imported(model(K, N, B)));
    const after = xnorPopcountAsMatmul(before);
    expect(ops(after)).toEqual(['MatMul', 'Add']);
    expect(after.initializers.has('B')).toBe(false);
    const feeds = Array.from({ length: 6 }, () => ({ a: tensor('float32', [3, K], bits(r, 3 * K)) }));
    expectSameOutputs(before, after, feeds);
    // independent of both: y[i, j] = #{k : a[i, k] = B[k, j]}
    for (const f of feeds) {
      const y = run(after, f).get('y')!;
      for (let i = 0; i < 3; i++) {
        for (let j = 0; j < N; j++) {
          let agree = 0;
          for (let k = 0; k < K; k++) if (f.a.data[i * K + k] === B[k * N + j]) agree++;
          expect(y.data[i * N + j]).toBe(agree);
        }
      }
    }
  });

  it('weights other than 0 and 1 (bipolar ±1) are left alone', () => {
    const g = inferAndFold(imported(model(4, 2, [1, -1, 1, 1, -1, -1, 1, 1])));
    expect(xnorPopcountAsMatmul(g)).toBe(g);
  });
});
