// Lowered graphs of one bnnc.IntConv over a k-bit integer NHWC tensor (what h-intkind's producer will emit
// inside a network: int8/uint8 values in [qmin, qmax], ±1 weights, int32 sums out), built directly, and
// seeded input vectors over the value range: the grid of the k-bit kernel tests and of the int layers' bench.
import { tensor } from '../../src/ir/tensor.js';
import type { Graph, Node, Tensor, TensorType } from '../../src/ir/types.js';
import { rng } from '../helpers/onnx-build.js';

export interface IntCase {
  seed: number; h: number; w: number; c: number; m: number; k: number; s: number; pad: number;
  dtype: 'int8' | 'uint8'; qmin: number; qmax: number; zp: number;
}

/** One IntConv layer, input x [1, H, W, C] (NHWC) of dtype in [qmin, qmax], output int32 [1, OH, OW, M]. */
export function intConvNet(c: IntCase): Graph {
  const r = rng(c.seed);
  const w = tensor('int8', [c.m, c.c, c.k, c.k], Array.from({ length: c.m * c.c * c.k * c.k }, () => (r() < 0.5 ? -1 : 1)));
  const oh = Math.floor((c.h + 2 * c.pad - c.k) / c.s) + 1, ow = Math.floor((c.w + 2 * c.pad - c.k) / c.s) + 1;
  const xt: TensorType = { dtype: c.dtype, shape: [1, c.h, c.w, c.c] };
  const yt: TensorType = { dtype: 'int32', shape: [1, oh, ow, c.m] };
  const node: Node = {
    name: 'conv', op: 'IntConv', domain: 'bnnc', inputs: ['x', 'w'], outputs: ['y'],
    attrs: { kernel_shape: [c.k, c.k], strides: [c.s, c.s], pads: [c.pad, c.pad, c.pad, c.pad], layout: 'NHWC', zero_point: c.zp, qmin: c.qmin, qmax: c.qmax },
  };
  return {
    name: `intconv${c.seed}`, opset: 13, inputs: [{ name: 'x', type: xt }], outputs: ['y'], nodes: [node],
    initializers: new Map([['w', w]]), types: new Map([['x', xt], ['w', { dtype: 'int8', shape: w.shape }], ['y', yt]]),
  };
}

/** n seeded vectors uniform over [qmin, qmax], the first one alternating qmin / qmax (the sums' extremes). */
export function intInputs(g: Graph, c: IntCase, n: number, seed = 0): Tensor[] {
  const r = rng(7000 + c.seed + seed);
  const t = g.inputs[0].type;
  const len = t.shape.reduce((a, b) => a * b, 1);
  return Array.from({ length: n }, (_, v) => tensor(t.dtype, t.shape, Array.from({ length: len }, (_, i) =>
    v === 0 ? (i % 2 ? c.qmax : c.qmin) : v === 1 ? c.qmax : c.qmin + Math.floor(r() * (c.qmax - c.qmin + 1)))));
}
