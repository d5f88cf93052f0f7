// infer-and-fold: types every value and evaluates at compile time every node whose inputs are constants
// (and Shape from its input's static type). Before/after on seeded inputs must be bit-exact: folding runs
// the very eval the interpreter would run.
import { describe, expect, it } from 'vitest';
import { classifyWeight } from '../../src/analyze/binary.js';
import { tensor } from '../../src/ir/tensor.js';
import { inferAndFold } from '../../src/passes/infer-and-fold.js';
import type { ModelIn } from '../helpers/onnx-build.js';
import { randomTensor, rng } from '../helpers/onnx-build.js';
import { expectSameOutputs, imported, ops, seededFeeds } from './equivalence.js';

const r = rng(900);

describe('infer-and-fold', () => {
  it("folds PyTorch's flatten (Shape, Gather, Unsqueeze, Concat) into a constant Reshape shape", () => {
    const m: ModelIn = {
      inputs: [{ name: 'x', dtype: 'float32', shape: [2, 3, 4, 4] }],
      outputs: [{ name: 'y', dtype: 'float32' }],
      nodes: [
        { op: 'Conv', inputs: ['x', 'w'], outputs: ['c'], attrs: { kernel_shape: [3, 3] } },
        { op: 'Shape', inputs: ['c'], outputs: ['s'] },
        { op: 'Gather', inputs: ['s', 'i0'], outputs: ['n'], attrs: { axis: 0 } },
        { op: 'Unsqueeze', inputs: ['n', 'ax0'], outputs: ['n1'] },
        { op: 'Concat', inputs: ['n1', 'minus1'], outputs: ['shape'], attrs: { axis: 0 } },
        { op: 'Reshape', inputs: ['c', 'shape'], outputs: ['flat'] },
        { op: 'Gemm', inputs: ['flat', 'wd'], outputs: ['y'], attrs: { transB: 1 } },
      ],
      initializers: {
        w: randomTensor(r, 'float32', [5, 3, 3, 3]),
        i0: tensor('int64', [], [0]),
        ax0: tensor('int64', [1], [0]),
        minus1: tensor('int64', [1], [-1]),
        wd: randomTensor(r, 'float32', [4, 20]),
      },
    };
    const before = imported(m);
    const after = inferAndFold(before);
    expect(ops(before)).toEqual(['Conv', 'Shape', 'Gather', 'Unsqueeze', 'Concat', 'Reshape', 'Gemm']);
    expect(ops(after)).toEqual(['Conv', 'Reshape', 'Gemm']);
    const reshape = after.nodes[1];
    expect([...after.initializers.get(reshape.inputs[1])!.data]).toEqual([2, -1]);
    // every value typed; the folded intermediates' initializers (s, n, n1) dropped once nothing reads them
    for (const n of after.nodes) for (const o of n.outputs) expect(after.types.has(o), o).toBe(true);
    expect(after.types.get('flat')).toEqual({ dtype: 'float32', shape: [2, 20] });
    for (const k of ['s', 'n', 'n1', 'i0', 'ax0', 'minus1']) expect(after.initializers.has(k), k).toBe(false);
    expectSameOutputs(before, after, seededFeeds(before, 5, 901));
  });

  it("folds PyTorch's XNOR weight sub-graph (Abs, ReduceMean, Sign, Mul over a latent initializer) into one ±α per filter", () => {
    // w_b = sign(W) · mean(|W|) over each filter: non-zero latent weights, so the result is exactly ±α
    const latent = tensor('float32', [6, 4, 3, 3], Array.from({ length: 216 }, () => Math.fround((r() < 0.5 ? -1 : 1) * (0.01 + r()))));
    const m: ModelIn = {
      inputs: [{ name: 'x', dtype: 'float32', shape: [1, 4, 5, 5] }],
      outputs: [{ name: 'y', dtype: 'float32' }],
      nodes: [
        { op: 'Abs', inputs: ['W'], outputs: ['absW'] },
        { op: 'ReduceMean', inputs: ['absW'], outputs: ['alpha'], attrs: { axes: [1, 2, 3], keepdims: 1 } },
        { op: 'Sign', inputs: ['W'], outputs: ['signW'] },
        { op: 'Mul', inputs: ['signW', 'alpha'], outputs: ['Wb'] },
        { op: 'Sign', inputs: ['x'], outputs: ['xb'] },
        { op: 'Conv', inputs: ['xb', 'Wb'], outputs: ['y'], attrs: { kernel_shape: [3, 3], pads: [1, 1, 1, 1] } },
      ],
      initializers: { W: latent },
    };
    const before = imported(m);
    const after = inferAndFold(before);
    expect(ops(after)).toEqual(['Sign', 'Conv']);
    const conv = after.nodes[1];
    expect(conv.inputs[1]).toBe('Wb');
    expect([...after.initializers.keys()]).toEqual(['Wb']);
    const wb = after.initializers.get('Wb')!;
    const kind = classifyWeight(wb, 0);
    expect(kind.kind).toBe('scaled-bipolar');
    for (let f = 0; f < 6; f++) {
      let mean = 0;
      for (let i = 0; i < 36; i++) mean += Math.abs(latent.data[f * 36 + i]) / 36;
      const alpha = Math.abs(wb.data[f * 36]);
      expect(alpha).toBeCloseTo(mean, 6);
      for (let i = 0; i < 36; i++) expect(wb.data[f * 36 + i]).toBe(Math.sign(latent.data[f * 36 + i]) * alpha);
    }
    expectSameOutputs(before, after, seededFeeds(before, 5, 902));
  });

  it('keeps a constant node that produces a graph output, and types without folding when fold is false', () => {
    const m: ModelIn = {
      inputs: [{ name: 'x', dtype: 'float32', shape: [2, 3] }],
      outputs: [{ name: 'y', dtype: 'float32' }, { name: 'k', dtype: 'float32' }],
      nodes: [
        { op: 'Add', inputs: ['a', 'b'], outputs: ['ab'] },
        { op: 'Mul', inputs: ['x', 'ab'], outputs: ['y'] },
        { op: 'Neg', inputs: ['a'], outputs: ['k'] },
      ],
      initializers: { a: randomTensor(r, 'float32', [3]), b: randomTensor(r, 'float32', [3]) },
    };
    const before = imported(m);
    const after = inferAndFold(before);
    expect(ops(after)).toEqual(['Mul', 'Neg']);
    expect(after.initializers.has('ab')).toBe(true);
    expectSameOutputs(before, after, seededFeeds(before, 5, 903));
    const typed = inferAndFold(before, { fold: false });
    expect(ops(typed)).toEqual(['Add', 'Mul', 'Neg']);
    expect(typed.types.get('ab')).toEqual({ dtype: 'float32', shape: [3] });
    expectSameOutputs(before, typed, seededFeeds(before, 5, 904));
  });

  it('returns the very same graph when nothing changes', () => {
    const m: ModelIn = {
      inputs: [{ name: 'x', dtype: 'float32', shape: [1, 4] }],
      outputs: [{ name: 'y', dtype: 'float32' }],
      nodes: [{ op: 'Relu', inputs: ['x'], outputs: ['r'] }, { op: 'Sign', inputs: ['r'], outputs: ['y'] }],
    };
    const once = inferAndFold(imported(m));
    expect(inferAndFold(once)).toBe(once);
    expect(inferAndFold(once, { fold: false })).toBe(once);
  });
});
