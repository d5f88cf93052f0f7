// Small valid models built in code for the robustness tests and the fuzzer: a binary MLP, a binary CNN,
// a QONNX-style MLP (BipolarQuant weights, MultiThreshold signs) and one that exercises the importer's
// paths (Constant nodes, a Shape→Gather→Concat→Reshape flatten, a local function, Dropout, Identity).
import { encodeModel } from '../../src/onnx/proto.js';
import { tensor } from '../../src/ir/tensor.js';
import type { Tensor } from '../../src/ir/types.js';
import { buildModel, rng, tensorProto } from '../helpers/onnx-build.js';

const QONNX = 'qonnx.custom_op.general';

function floats(r: () => number, shape: number[], f: (r: () => number) => number): Tensor {
  return tensor('float32', shape, Array.from({ length: shape.reduce((a, b) => a * b, 1) }, () => f(r)));
}
const pm1 = (r: () => number) => (r() < 0.5 ? -1 : 1);

function bn(r: () => number, c: number, span: number): Tensor[] {
  return [floats(r, [c], () => 0.5 + r()), floats(r, [c], () => r() - 0.5), floats(r, [c], () => (r() - 0.5) * span), floats(r, [c], () => 0.5 + r())];
}

/** x[1,16] → Gemm ±1 → BatchNorm → Sign → Gemm ±1 → logits[1,4]. */
export function mlpSeed(): Uint8Array {
  const r = rng(11);
  const [g, b, m, v] = bn(r, 8, 4);
  return buildModel({
    inputs: [{ name: 'x', dtype: 'float32', shape: ['N', 16] }],
    outputs: [{ name: 'logits', dtype: 'float32' }],
    initializers: { w1: floats(r, [8, 16], pm1), g, b, m, v, w2: floats(r, [4, 8], pm1), b2: floats(r, [4], () => r()) },
    nodes: [
      { op: 'Gemm', inputs: ['x', 'w1'], outputs: ['h'], attrs: { transB: 1 } },
      { op: 'BatchNormalization', inputs: ['h', 'g', 'b', 'm', 'v'], outputs: ['hb'], attrs: { epsilon: { float: 1e-5 } } },
      { op: 'Sign', inputs: ['hb'], outputs: ['s'] },
      { op: 'Gemm', inputs: ['s', 'w2', 'b2'], outputs: ['logits'], attrs: { transB: 1 } },
    ],
  });
}

/** x[1,1,6,6] → Conv 3×3 ±1 → BatchNorm → Sign → MaxPool → Flatten → Gemm → ArgMax. */
export function cnnSeed(): Uint8Array {
  const r = rng(12);
  const [g, b, m, v] = bn(r, 4, 9);
  return buildModel({
    inputs: [{ name: 'x', dtype: 'float32', shape: [1, 1, 6, 6] }],
    outputs: [{ name: 'cls', dtype: 'int64' }],
    initializers: { w: floats(r, [4, 1, 3, 3], pm1), g, b, m, v, wd: floats(r, [3, 36], pm1), bd: floats(r, [3], () => r()) },
    nodes: [
      { op: 'Conv', inputs: ['x', 'w'], outputs: ['c'], attrs: { kernel_shape: [3, 3], pads: [1, 1, 1, 1] } },
      { op: 'BatchNormalization', inputs: ['c', 'g', 'b', 'm', 'v'], outputs: ['cb'] },
      { op: 'Sign', inputs: ['cb'], outputs: ['s'] },
      { op: 'MaxPool', inputs: ['s'], outputs: ['p'], attrs: { kernel_shape: [2, 2], strides: [2, 2] } },
      { op: 'Flatten', inputs: ['p'], outputs: ['f'], attrs: { axis: 1 } },
      { op: 'Gemm', inputs: ['f', 'wd', 'bd'], outputs: ['logits'], attrs: { transB: 1 } },
      { op: 'ArgMax', inputs: ['logits'], outputs: ['cls'], attrs: { axis: 1, keepdims: 1 } },
    ],
  });
}

/** QONNX style: BipolarQuant on the weights and the input, MatMul, MultiThreshold signs (±inf thresholds). */
export function qonnxSeed(): Uint8Array {
  const r = rng(13);
  const thresholds = tensor('float32', [8, 1], Array.from({ length: 8 }, (_, i) => (i === 0 ? -Infinity : i === 1 ? Infinity : r() * 4 - 2)));
  return buildModel({
    inputs: [{ name: 'x', dtype: 'float32', shape: [1, 12] }],
    outputs: [{ name: 'y', dtype: 'float32' }],
    opset: 11,
    domains: { [QONNX]: 1 },
    initializers: {
      w1: floats(r, [12, 8], (q) => q() - 0.5), one: tensor('float32', [], [1]), t: thresholds,
      w2: floats(r, [8, 3], pm1),
    },
    nodes: [
      { op: 'BipolarQuant', domain: QONNX, inputs: ['x', 'one'], outputs: ['xq'] },
      { op: 'BipolarQuant', domain: QONNX, inputs: ['w1', 'one'], outputs: ['w1q'] },
      { op: 'MatMul', inputs: ['xq', 'w1q'], outputs: ['h'] },
      { op: 'MultiThreshold', domain: QONNX, inputs: ['h', 't'], outputs: ['a'], attrs: { out_dtype: 'BIPOLAR', out_scale: { float: 2 }, out_bias: { float: -1 } } },
      { op: 'MatMul', inputs: ['a', 'w2'], outputs: ['y'] },
    ],
  });
}

/** Constant nodes, a Shape-computed Reshape, a local function, Dropout and Identity, IR 8 (functions). */
export function importerSeed(): Uint8Array {
  const r = rng(14);
  const w = floats(r, [4, 2, 3, 3], pm1);
  const wd = floats(r, [5, 16], pm1);
  const node = (op: string, input: string[], output: string[], attribute: object[] = [], name = `${op}_${output[0]}`) => ({ name, opType: op, domain: '', input, output, attribute });
  const ints = (name: string, v: number[]) => ({ name, type: 7, ints: v });
  return encodeModel({
    irVersion: 8,
    producerName: 'bnnc-robustness',
    opsetImport: [{ domain: '', version: 13 }, { domain: 'local', version: 1 }],
    functions: [{
      name: 'SignBlock', domain: 'local', input: ['a'], output: ['b'], opsetImport: [{ domain: '', version: 13 }],
      node: [node('Identity', ['a'], ['a2']), node('Sign', ['a2'], ['b'])],
    }],
    graph: {
      name: 'importer',
      input: [{ name: 'x', type: { tensorType: { elemType: 1, shape: { dim: [{ dimParam: 'batch' }, { dimValue: 2 }, { dimValue: 4 }, { dimValue: 4 }] } } } }],
      output: [{ name: 'logits', type: { tensorType: { elemType: 1 } } }],
      initializer: [tensorProto('w', w), tensorProto('wd', wd)],
      node: [
        node('Constant', [], ['zero_idx'], [{ name: 'value', type: 4, t: tensorProto('', tensor('int64', [], [0])) }]),
        node('Constant', [], ['minus1'], [ints('value_ints', [-1])]),
        node('Conv', ['x', 'w'], ['c'], [ints('kernel_shape', [3, 3]), ints('pads', [1, 1, 1, 1])]),
        { ...node('SignBlock', ['c'], ['s'], [], 'block'), domain: 'local' },
        node('Dropout', ['s'], ['d']),
        node('MaxPool', ['d'], ['p'], [ints('kernel_shape', [2, 2]), ints('strides', [2, 2])]),
        node('Shape', ['p'], ['shp']),
        node('Gather', ['shp', 'zero_idx'], ['n0'], [{ name: 'axis', type: 2, i: 0 }]),
        node('Unsqueeze', ['n0', 'axes0'], ['n1']),
        node('Constant', [], ['axes0'], [ints('value_ints', [0])]),
        node('Concat', ['n1', 'minus1'], ['newshape'], [{ name: 'axis', type: 2, i: 0 }]),
        node('Reshape', ['p', 'newshape'], ['f']),
        node('Gemm', ['f', 'wd'], ['logits'], [{ name: 'transB', type: 2, i: 1 }]),
      ],
    },
  });
}

export const SEEDS: Readonly<Record<string, () => Uint8Array>> = { mlp: mlpSeed, cnn: cnnSeed, qonnx: qonnxSeed, importer: importerSeed };
