// Tensors that are wrong: dimensions zero, negative or huge (refused before any allocation, for graph
// inputs, initializers and intermediate results alike), raw_data of the wrong length, unsupported element
// types, and NaN or infinity in weights, scales and batch-norm parameters (but not in FINN threshold tables).
import { describe, expect, it } from 'vitest';
import { tensor } from '../../src/ir/tensor.js';
import type { Tensor } from '../../src/ir/types.js';
import { importModelBytes } from '../../src/onnx/import.js';
import { ELEM, encodeModel } from '../../src/onnx/proto.js';
import { inferAndFold } from '../../src/passes/infer-and-fold.js';
import { buildModel, type ModelIn, type NodeIn } from '../helpers/onnx-build.js';
import { expectError, load } from './expect-error.js';
import { qonnxSeed } from './seeds.js';

const f32 = (shape: number[], v = 1) => tensor('float32', shape, new Array(shape.reduce((a, b) => a * b, 1)).fill(v));
const input = (dim: object[]) => ({ name: 'x', type: { tensorType: { elemType: ELEM.FLOAT, shape: { dim } } } });

/** A graph x → Relu → y with input x declared by `dim`, and extra initializers given as raw protos. */
function reluModel(dim: object[], initializer: object[] = []): Uint8Array {
  return encodeModel({
    irVersion: 7, opsetImport: [{ domain: '', version: 13 }],
    graph: { input: [input(dim)], output: [{ name: 'y' }], node: [{ opType: 'Relu', input: ['x'], output: ['y'] }], initializer },
  });
}

function model(nodes: NodeIn[], initializers: Record<string, Tensor>, o: Partial<ModelIn> = {}): Uint8Array {
  return buildModel({ inputs: [{ name: 'x', dtype: 'float32', shape: [1, 4] }], outputs: [{ name: 'y', dtype: 'float32' }], nodes, initializers, ...o });
}

describe('graph input dimensions', () => {
  it('zero and negative dimensions (BNNC_E015)', () => {
    expectError(() => importModelBytes(reluModel([{ dimValue: 1 }, { dimValue: 0 }])), 'BNNC_E015', "tensor 'x'", 'dimension 1 is declared as 0', 'positive');
    expectError(() => importModelBytes(reluModel([{ dimValue: -3 }])), 'BNNC_E015', "tensor 'x'", 'declared as -3');
    expectError(() => importModelBytes(reluModel([{ dimParam: 'N' }]), { inputShapes: new Map([['x', [0]]]) }), 'BNNC_E015', 'zero dimension');
  });

  it('dimensions too large for the limit, or for any limit (BNNC_E016)', () => {
    expectError(() => importModelBytes(reluModel([{ dimValue: 2 ** 40 }, { dimValue: 2 ** 40 }])), 'BNNC_E016', "tensor 'x'", 'more than 2^53', 'the limit is 1073741824');
    expectError(() => importModelBytes(reluModel([{ dimValue: 1000 }, { dimValue: 1000 }]), { maxTensorBytes: 1 << 20 }), 'BNNC_E016', "tensor 'x'", 'needs 4000000 bytes', 'the limit is 1048576');
    expect(importModelBytes(reluModel([{ dimValue: 1000 }, { dimValue: 1000 }])).inputs[0].type.shape).toEqual([1000, 1000]);
  });
});

describe('initializers', () => {
  it('negative dimensions (BNNC_E022) and huge ones (BNNC_E016), refused before allocation', () => {
    const x = [{ dimValue: 1 }];
    expectError(() => importModelBytes(reluModel(x, [{ name: 'w', dims: [2, -1], dataType: ELEM.FLOAT }])), 'BNNC_E022', "tensor 'w'", 'dimension -1');
    expectError(() => importModelBytes(reluModel(x, [{ name: 'w', dims: [2 ** 31, 2 ** 31], dataType: ELEM.FLOAT, rawData: new Uint8Array(4) }])),
      'BNNC_E016', "tensor 'w'", 'more than 2^53');
    expectError(() => importModelBytes(reluModel(x, [{ name: 'w', dims: [1 << 16, 1 << 16], dataType: ELEM.INT8, rawData: new Uint8Array(4) }])),
      'BNNC_E016', "tensor 'w'", 'needs 4294967296 bytes');
    expectError(() => importModelBytes(reluModel(x, [{ name: 'w', dims: [64, 64], dataType: ELEM.FLOAT, rawData: new Uint8Array(16384) }]), { maxTensorBytes: 1000 }),
      'BNNC_E016', "tensor 'w'", 'the limit is 1000');
  });

  it('raw_data or typed data whose length disagrees with the dims (BNNC_E011)', () => {
    const x = [{ dimValue: 1 }];
    expectError(() => importModelBytes(reluModel(x, [{ name: 'w', dims: [2, 3], dataType: ELEM.FLOAT, rawData: new Uint8Array(20) }])),
      'BNNC_E011', "tensor 'w'", 'raw_data holds 20 bytes', '[2,3] of float32 needs 24');
    expectError(() => importModelBytes(reluModel(x, [{ name: 'w', dims: [4], dataType: ELEM.INT64, int64Data: [1, 2, 3] }])),
      'BNNC_E011', "tensor 'w'", 'holds 3 values', 'needs 4');
    expectError(() => importModelBytes(reluModel(x, [{ name: 'w', dims: [], dataType: ELEM.FLOAT }])), 'BNNC_E011', "tensor 'w'", 'holds 0 values');
  });

  it('element types bnnc does not read (BNNC_E010)', () => {
    const x = [{ dimValue: 1 }];
    for (const [elem, name] of [[ELEM.FLOAT16, 'FLOAT16'], [ELEM.STRING, 'STRING'], [ELEM.COMPLEX64, 'COMPLEX64'], [0, '0'], [99, '99']] as const) {
      expectError(() => importModelBytes(reluModel(x, [{ name: 'w', dims: [1], dataType: elem, rawData: new Uint8Array(2) }])), 'BNNC_E010', "tensor 'w'", `element type ${name}`);
    }
  });
});

describe('intermediate tensors whose inferred shape is huge (BNNC_E016 before evaluation)', () => {
  it('a Pad to 640 GB, on a graph input and on a constant that would be folded', () => {
    const pads = tensor('int64', [4], [200000, 200000, 200000, 200000]);
    const b = model([{ name: 'pad', op: 'Pad', inputs: ['x', 'pads'], outputs: ['y'] }], { pads });
    expectError(() => load(b), 'BNNC_E016', "node 'pad' (Pad)", "tensor 'y'", 'the limit is');
    const folded = model([
      { name: 'pad', op: 'Pad', inputs: ['c', 'pads'], outputs: ['big'] },
      { op: 'ReduceSum', inputs: ['big'], outputs: ['s'], attrs: { keepdims: 0 } },
      { op: 'Add', inputs: ['x', 's'], outputs: ['y'] },
    ], { pads, c: f32([1, 4]) });
    expectError(() => load(folded), 'BNNC_E016', "node 'pad' (Pad)", "tensor 'big'");
  });

  it('a broadcast to 16 GiB, and one to 16 MiB against a 1 MiB limit', () => {
    const wide = (n: number) => buildModel({
      inputs: [{ name: 'x', dtype: 'float32', shape: [1, n] }], outputs: [{ name: 'y', dtype: 'float32' }],
      nodes: [{ name: 'outer', op: 'Add', inputs: ['x', 'col'], outputs: ['y'] }], initializers: { col: f32([n, 1]) },
    });
    expectError(() => load(wide(65536)), 'BNNC_E016', "node 'outer' (Add)", "tensor 'y'", 'needs 17179869184 bytes');
    const g = importModelBytes(wide(2048));
    expectError(() => inferAndFold(g, { maxTensorBytes: 1 << 20 }), 'BNNC_E016', "node 'outer' (Add)", 'needs 16777216 bytes', 'the limit is 1048576');
    expect(inferAndFold(g).types.get('y')!.shape).toEqual([2048, 2048]);
  });

  it('a Concat of a tensor with itself 1000 times, then again', () => {
    const nodes: NodeIn[] = [
      { name: 'cat1', op: 'Concat', inputs: new Array(1000).fill('x'), outputs: ['a'], attrs: { axis: 0 } },
      { name: 'cat2', op: 'Concat', inputs: new Array(1000).fill('a'), outputs: ['b'], attrs: { axis: 1 } },
      { name: 'cat3', op: 'Concat', inputs: new Array(1000).fill('b'), outputs: ['y'], attrs: { axis: 0 } },
    ];
    expectError(() => load(model(nodes, {})), 'BNNC_E016', "node 'cat3' (Concat)", "tensor 'y'");
  });
});

describe('non-finite weights, scales and batch-norm parameters (BNNC_E018)', () => {
  const conv = (w: Tensor) => buildModel({
    inputs: [{ name: 'x', dtype: 'float32', shape: [1, 1, 3, 3] }], outputs: [{ name: 'y', dtype: 'float32' }],
    nodes: [{ name: 'conv1', op: 'Conv', inputs: ['x', 'w'], outputs: ['y'] }], initializers: { w },
  });

  it('NaN in Conv weights, infinity in a Gemm bias', () => {
    const w = f32([2, 1, 3, 3]);
    w.data[7] = NaN;
    expectError(() => importModelBytes(conv(w)), 'BNNC_E018', "node 'conv1' (Conv)", "tensor 'w'", 'NaN at element 7', 'must be finite');
    const gemm = model([{ name: 'fc', op: 'Gemm', inputs: ['x', 'wt', 'bias'], outputs: ['y'], attrs: { transB: 1 } }], {
      wt: f32([3, 4]), bias: tensor('float32', [3], [0, -Infinity, 0]),
    });
    expectError(() => importModelBytes(gemm), 'BNNC_E018', "node 'fc' (Gemm)", "tensor 'bias'", '-Infinity at element 1');
  });

  it('a NaN batch-norm variance; an infinite Mul scale; a NaN Div divisor; a NaN float64 Add', () => {
    const v = f32([4]);
    v.data[2] = NaN;
    const bn = model([{ name: 'bn', op: 'BatchNormalization', inputs: ['x', 's', 'b', 'm', 'v'], outputs: ['y'] }], { s: f32([4]), b: f32([4]), m: f32([4]), v });
    expectError(() => importModelBytes(bn), 'BNNC_E018', "node 'bn' (BatchNormalization)", "tensor 'v'");
    const mul = model([{ name: 'scale', op: 'Mul', inputs: ['x', 'k'], outputs: ['y'] }], { k: tensor('float32', [], [Infinity]) });
    expectError(() => importModelBytes(mul), 'BNNC_E018', "node 'scale' (Mul)", "tensor 'k'", 'Infinity');
    const div = model([{ name: 'd', op: 'Div', inputs: ['x', 'k'], outputs: ['y'] }], { k: tensor('float32', [4], [1, 1, NaN, 1]) });
    expectError(() => importModelBytes(div), 'BNNC_E018', "node 'd' (Div)", "tensor 'k'");
    const add = buildModel({
      inputs: [{ name: 'x', dtype: 'float64', shape: [2] }], outputs: [{ name: 'y', dtype: 'float64' }],
      nodes: [{ name: 'a', op: 'Add', inputs: ['x', 'k'], outputs: ['y'] }], initializers: { k: tensor('float64', [2], [0, NaN]) },
    });
    expectError(() => importModelBytes(add), 'BNNC_E018', "node 'a' (Add)", "tensor 'k'");
  });

  it('a NaN from a Constant node', () => {
    const b = encodeModel({
      irVersion: 7, opsetImport: [{ domain: '', version: 13 }],
      graph: {
        input: [input([{ dimValue: 1 }])], output: [{ name: 'y' }],
        node: [
          { name: 'k', opType: 'Constant', output: ['kv'], attribute: [{ name: 'value_float', type: 1, f: NaN }] },
          { name: 'scale', opType: 'Mul', input: ['x', 'kv'], output: ['y'] },
        ],
      },
    });
    expectError(() => importModelBytes(b), 'BNNC_E018', "node 'scale' (Mul)", "tensor 'kv'");
  });

  it('an infinity made by constant folding (1/0) feeding a Mul is caught after folding', () => {
    const b = model([
      { name: 'recip', op: 'Div', inputs: ['one', 'zero'], outputs: ['inv'] },
      { name: 'scale', op: 'Mul', inputs: ['x', 'inv'], outputs: ['y'] },
    ], { one: tensor('float32', [], [1]), zero: tensor('float32', [], [0]) });
    expect(importModelBytes(b).nodes).toHaveLength(2);
    expectError(() => load(b), 'BNNC_E018', "node 'scale' (Mul)", "tensor 'inv'", 'Infinity');
  });

  it('±inf in a FINN MultiThreshold threshold table is accepted', () => {
    expect(load(qonnxSeed()).nodes.some((n) => n.op === 'MultiThreshold')).toBe(true);
  });
});
