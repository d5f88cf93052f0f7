// Layout ops against onnxruntime, bit-exact, in the opsets where their forms differ: Flatten, Reshape,
// Transpose, Squeeze, Unsqueeze, Concat, Gather, Shape; a folded Shape→Gather→Concat→Reshape chain; and
// the diagnostics for shape operands that are not constant or do not fit.
import { describe, expect, it } from 'vitest';
import { tensor } from '../../src/ir/tensor.js';
import type { DType, Tensor } from '../../src/ir/types.js';
import { importModelBytes } from '../../src/onnx/import.js';
import { inferAndFold } from '../../src/passes/infer-and-fold.js';
import {
  buildModel, compareWithOrt, expectTensorClose, randomTensor, rng, runBnnc, runOrt, type AttrIn, type ModelIn,
} from '../helpers/onnx-build.js';

const ints = (v: number[], dtype: DType = 'int64') => tensor(dtype, [v.length], v);

/** One node `op(x, …consts)` → y, compared bit-exactly. */
async function one(op: string, x: number[], opts: { attrs?: Record<string, AttrIn>; consts?: Record<string, Tensor>; opset?: number; dtype?: DType; seed?: number } = {}) {
  const dtype = opts.dtype ?? 'float32';
  const consts = opts.consts ?? {};
  await compareWithOrt({
    inputs: [{ name: 'x', dtype, shape: x }],
    outputs: [{ name: 'y', dtype }],
    nodes: [{ op, inputs: ['x', ...Object.keys(consts)], outputs: ['y'], attrs: opts.attrs }],
    initializers: consts,
    opset: opts.opset,
  }, { x: randomTensor(rng(opts.seed ?? 4000), dtype, x, -100, 100) }, { ulps: 0 });
}

const compile = (m: ModelIn) => () => inferAndFold(importModelBytes(buildModel(m)));
const single = (op: string, x: number[], attrs: Record<string, AttrIn> = {}, consts: Record<string, Tensor> = {}, opset = 13, extraInputs: ModelIn['inputs'] = []): ModelIn => ({
  inputs: [{ name: 'x', dtype: 'float32', shape: x }, ...extraInputs],
  outputs: [{ name: 'y', dtype: 'float32' }],
  nodes: [{ op, name: 'n1', inputs: ['x', ...Object.keys(consts), ...extraInputs.map((i) => i.name)], outputs: ['y'], attrs }],
  initializers: consts,
  opset,
});
const code = (c: string) => expect.objectContaining({ code: c, where: expect.objectContaining({ node: 'n1' }) });

describe('Flatten', () => {
  it.each([[9, 0], [9, 1], [9, 2], [9, 4], [13, -1], [13, -4], [11, -2]])('opset %i axis %i', (opset, axis) => one('Flatten', [2, 3, 4, 5], { attrs: { axis }, opset }));
  it('defaults to axis 1 on a rank-3 int64 tensor', () => one('Flatten', [3, 4, 2], { dtype: 'int64' }));
});

describe('Reshape', () => {
  it.each([
    [[2, 3, 4], [4, 6], 13], [[2, 3, 4], [0, -1], 7], [[2, 3, 4], [-1], 13], [[2, 3, 4], [0, 0, 2, 2], 14],
    [[2, 3, 4], [2, -1, 0], 13], [[1, 12], [3, 1, 4], 5 + 8], [[6], [1, 2, 1, 3, 1], 21],
  ] as const)('[%s] by %j (opset %i)', (x, shape, opset) => one('Reshape', [...x], { consts: { shape: ints([...shape]) }, opset }));
  it('allowzero keeps a 0 literally (opset 14; zero-size graph inputs are refused, so on a constant)', () => {
    const m = (allowzero: number): ModelIn => ({
      inputs: [], outputs: [{ name: 'y', dtype: 'float32' }],
      nodes: [{ op: 'Reshape', inputs: ['x', 'shape'], outputs: ['y'], attrs: { allowzero } }],
      initializers: { x: tensor('float32', [2, 0]), shape: ints([0, 5]) }, opset: 14,
    });
    expect(inferAndFold(importModelBytes(buildModel(m(1))), { fold: false }).types.get('y')?.shape).toEqual([0, 5]);
    expect(() => inferAndFold(importModelBytes(buildModel(m(0))), { fold: false })).toThrow(expect.objectContaining({ code: 'BNNC_E009' }));
  });
  it('needs a constant shape (E021)', () => {
    expect(compile(single('Reshape', [2, 3], {}, {}, 13, [{ name: 's', dtype: 'int64', shape: [2] }]))).toThrow(code('BNNC_E021'));
  });
  it('rejects sizes that do not match (E009) and two -1s (E009)', () => {
    expect(compile(single('Reshape', [2, 3], {}, { shape: ints([4, 2]) }))).toThrow(code('BNNC_E009'));
    expect(compile(single('Reshape', [2, 3], {}, { shape: ints([-1, -1]) }))).toThrow(code('BNNC_E009'));
  });
});

describe('Transpose', () => {
  it('reverses the axes by default', () => one('Transpose', [2, 3, 4]));
  it.each([[[0, 2, 1, 3]], [[3, 1, 0, 2]], [[0, 1, 2, 3]], [[1, 0, 3, 2]]])('perm %j', (perm) => one('Transpose', [2, 3, 4, 5], { attrs: { perm } }));
  it('moves int8 data', () => one('Transpose', [3, 5], { attrs: { perm: [1, 0] }, dtype: 'int8' }));
  it('rejects a perm that is not a permutation (E006)', () => {
    expect(compile(single('Transpose', [2, 3], { perm: [0, 0] }))).toThrow(code('BNNC_E006'));
  });
});

describe('Squeeze and Unsqueeze', () => {
  it.each([[11, [0, 2]], [11, [-2]], [11, undefined]] as const)('Squeeze opset %i axes attribute %j', (opset, axes) =>
    one('Squeeze', [1, 3, 1, 4], { attrs: axes ? { axes: [...axes] } : {}, opset }));
  it.each([[[0, 2]], [[-4, -2]], [undefined]])('Squeeze opset 13 axes input %j', (axes) =>
    one('Squeeze', [1, 3, 1, 4], { consts: axes ? { axes: ints(axes) } : {}, opset: 13 }));
  it.each([[11, [0]], [11, [1, -1]], [9, [0, 3]]] as const)('Unsqueeze opset %i axes attribute %j', (opset, axes) =>
    one('Unsqueeze', [3, 4], { attrs: { axes: [...axes] }, opset }));
  it.each([[[0]], [[2, 0]], [[-1, 1]], [[0, 1, 2, 3]]])('Unsqueeze opset 13 axes input %j', (axes) =>
    one('Unsqueeze', [3, 4], { consts: { axes: ints(axes) }, opset: 13 }));
  it('Squeeze rejects an axis whose size is not 1 (E009)', () => {
    expect(compile(single('Squeeze', [1, 3], {}, { axes: ints([1]) }))).toThrow(code('BNNC_E009'));
  });
  it('Unsqueeze rejects repeated axes (E006) and non-constant axes (E021)', () => {
    expect(compile(single('Unsqueeze', [3], {}, { axes: ints([0, -3]) }))).toThrow(code('BNNC_E006'));
    expect(compile(single('Unsqueeze', [3], {}, {}, 13, [{ name: 'a', dtype: 'int64', shape: [1] }]))).toThrow(code('BNNC_E021'));
  });
});

describe('Concat', () => {
  const concat = (shapes: number[][], axis: number, dtype: DType = 'float32', opset = 13) => {
    const r = rng(4100 + axis);
    const names = shapes.map((_, i) => `x${i}`);
    return compareWithOrt({
      inputs: shapes.map((s, i) => ({ name: names[i], dtype, shape: s })), outputs: [{ name: 'y', dtype }],
      nodes: [{ op: 'Concat', inputs: names, outputs: ['y'], attrs: { axis } }], opset,
    }, Object.fromEntries(shapes.map((s, i) => [names[i], randomTensor(r, dtype, s, -100, 100)])), { ulps: 0 });
  };
  it('axis 0 of three inputs', () => concat([[1, 3], [2, 3], [4, 3]], 0));
  it('axis 1 (opset 7)', () => concat([[2, 1, 4], [2, 3, 4]], 1, 'float32', 7));
  it('axis -1 (opset 11) of int64', () => concat([[2, 3, 1], [2, 3, 2]], -1, 'int64', 11));
  it('a single input', () => concat([[2, 5]], 1));
  it('rejects mismatched shapes (E009)', () => {
    expect(compile(single('Concat', [2, 3], { axis: 0 }, { b: randomTensor(rng(1), 'float32', [2, 4]) }))).toThrow(code('BNNC_E009'));
  });
});

describe('Gather', () => {
  it.each([
    [[5, 4], [0, 4, 2, -1], [4], 0, 'int64'], [[5, 4], [3, -4, 0], [3], 1, 'int32'], [[2, 3, 4], [1, 0, -1, 2, 2, 0], [2, 3], -1, 'int64'],
    [[2, 3, 4], [2], [], 1, 'int64'], [[6], [-6, 5, 0], [3], 0, 'int32'], [[3, 2, 2], [1, 1], [2, 1], -3, 'int64'],
  ] as const)('data [%s] indices %j of shape [%s] axis %i (%s)', (data, idx, idxShape, axis, idxType) =>
    compareWithOrt({
      inputs: [{ name: 'x', dtype: 'float32', shape: [...data] }], outputs: [{ name: 'y', dtype: 'float32' }],
      nodes: [{ op: 'Gather', inputs: ['x', 'i'], outputs: ['y'], attrs: { axis } }],
      initializers: { i: tensor(idxType, [...idxShape], [...idx]) },
    }, { x: randomTensor(rng(4200), 'float32', [...data]) }, { ulps: 0 }));
  it('gathers with indices given at run time (opset 11)', () =>
    compareWithOrt({
      inputs: [{ name: 'x', dtype: 'int64', shape: [4, 3] }, { name: 'i', dtype: 'int64', shape: [2, 2] }], outputs: [{ name: 'y', dtype: 'int64' }],
      nodes: [{ op: 'Gather', inputs: ['x', 'i'], outputs: ['y'], attrs: { axis: 0 } }], opset: 11,
    }, { x: randomTensor(rng(4300), 'int64', [4, 3], -1e6, 1e6), i: tensor('int64', [2, 2], [3, -1, 0, -4]) }, { ulps: 0 }));
  it('rejects a constant index out of range (E009)', () => {
    expect(compile(single('Gather', [3, 2], {}, { i: ints([3]) }))).toThrow(code('BNNC_E009'));
  });
});

describe('Shape', () => {
  it.each([[13, {}], [15, { start: 1 }], [15, { start: -3, end: -1 }], [15, { end: 10 }]] as const)('opset %i %j', async (opset, attrs) => {
    const m: ModelIn = {
      inputs: [{ name: 'x', dtype: 'float32', shape: [2, 3, 4, 5] }], outputs: [{ name: 'y', dtype: 'int64' }],
      nodes: [{ op: 'Shape', inputs: ['x'], outputs: ['y'], attrs: { ...attrs } }], opset,
    };
    await compareWithOrt(m, { x: randomTensor(rng(1), 'float32', [2, 3, 4, 5]) }, { ulps: 0 });
  });
});

describe('a folded shape computation', () => {
  it('Shape→Gather→Unsqueeze→Concat→Reshape folds to a constant shape and matches onnxruntime', async () => {
    // y = Reshape(x, Concat(Unsqueeze(Gather(Shape(x), 0)), [-1])): [N, C, H, W] → [N, C·H·W]
    const m: ModelIn = {
      inputs: [{ name: 'x', dtype: 'float32', shape: [2, 3, 4, 5] }], outputs: [{ name: 'y', dtype: 'float32' }],
      nodes: [
        { op: 'Shape', inputs: ['x'], outputs: ['s'] },
        { op: 'Gather', inputs: ['s', 'zero'], outputs: ['n'], attrs: { axis: 0 } },
        { op: 'Unsqueeze', inputs: ['n', 'ax0'], outputs: ['n1'] },
        { op: 'Concat', inputs: ['n1', 'minus1'], outputs: ['shape'], attrs: { axis: 0 } },
        { op: 'Reshape', inputs: ['x', 'shape'], outputs: ['y'] },
      ],
      initializers: { zero: tensor('int64', [], [0]), ax0: ints([0]), minus1: ints([-1]) },
    };
    const bytes = buildModel(m);
    const x = randomTensor(rng(4400), 'float32', [2, 3, 4, 5]);
    const expected = (await runOrt(bytes, { x })).y;
    expectTensorClose(runBnnc(bytes, { x }, { fold: true }).y, expected, { ulps: 0 });
    const g = inferAndFold(importModelBytes(bytes));
    expect(g.nodes.map((n) => n.op)).toEqual(['Reshape']);
    expect(Array.from(g.initializers.get(g.nodes[0].inputs[1])!.data)).toEqual([2, -1]);
  });
});
