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
export const INT_GRID: IntCase[] = [
  // k = 8, uint8 over its whole range, zero point 0 (|v| ≤ 255: 2 lanes); 3x3 padded, 17 -> 33, 35 pixels (a last lane empty)
  { seed: 1, h: 5, w: 7, c: 17, m: 33, k: 3, s: 1, pad: 1, dtype: 'uint8', qmin: 0, qmax: 255, zp: 0 },
  // k = 8 signed with a zero point, 5x5 stride 2 padding 2, 24 -> 7: 600 taps, several flushes of the lanes
  { seed: 2, h: 9, w: 8, c: 24, m: 7, k: 5, s: 2, pad: 2, dtype: 'int8', qmin: -128, qmax: 127, zp: -3 },
  // k = 2 unsigned, zero point 1; 3x3 unpadded, 32 -> 64 (the 2-bit benchmark layer's shape, smaller)
  { seed: 3, h: 6, w: 6, c: 32, m: 64, k: 3, s: 1, pad: 0, dtype: 'uint8', qmin: 0, qmax: 3, zp: 1 },
  // k = 2 signed [-2, 1]; 3x3 stride 2 padding 1, 3 -> 5
  { seed: 4, h: 7, w: 5, c: 3, m: 5, k: 3, s: 2, pad: 1, dtype: 'int8', qmin: -2, qmax: 1, zp: 0 },
  // k = 4 unsigned, zero point 8; 1x1, 40 -> 31
  { seed: 5, h: 3, w: 3, c: 40, m: 31, k: 1, s: 1, pad: 0, dtype: 'uint8', qmin: 0, qmax: 15, zp: 8 },
  // k = 3 signed; 3x3 padding 1 over one channel, one output channel
  { seed: 6, h: 4, w: 9, c: 1, m: 1, k: 3, s: 1, pad: 1, dtype: 'int8', qmin: -4, qmax: 3, zp: 0 },
  // dense: one pixel over 300 int8 channels (one lane), 10 outputs
  { seed: 7, h: 1, w: 1, c: 300, m: 10, k: 1, s: 1, pad: 0, dtype: 'int8', qmin: -128, qmax: 127, zp: 0 },
  // k = 6 unsigned, zero point 31; 2x2 stride 2, 9 -> 16
  { seed: 8, h: 8, w: 8, c: 9, m: 16, k: 2, s: 2, pad: 0, dtype: 'uint8', qmin: 0, qmax: 63, zp: 31 },
  // uint8 with zero point 255 (every v ≤ 0), 3x3 stride 1 padding 2, 5 -> 40
  { seed: 9, h: 4, w: 5, c: 5, m: 40, k: 3, s: 1, pad: 2, dtype: 'uint8', qmin: 0, qmax: 255, zp: 255 },
  // k = 1 unsigned {0, 1} (4 lanes, long flushes); 3x3 padding 1, 64 -> 3
  { seed: 10, h: 5, w: 6, c: 64, m: 3, k: 3, s: 1, pad: 1, dtype: 'uint8', qmin: 0, qmax: 1, zp: 0 },
  // k = 4, zero point 2, many output channels (200: tables of 64 entries pay off); 3x3 padding 1 over 2x3 pixels
  { seed: 11, h: 2, w: 3, c: 8, m: 200, k: 3, s: 1, pad: 1, dtype: 'uint8', qmin: 0, qmax: 15, zp: 2 },
];

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

/** n seeded vectors uniform over [qmin, qmax]; the first three alternate qmin / qmax, are all qmax, all qmin (the sums' extremes). */
export function intInputs(g: Graph, c: IntCase, n: number, seed = 0): Tensor[] {
  const r = rng(7000 + c.seed + seed);
  const t = g.inputs[0].type;
  const len = t.shape.reduce((a, b) => a * b, 1);
  return Array.from({ length: n }, (_, v) => tensor(t.dtype, t.shape, Array.from({ length: len }, (_, i) =>
    v === 0 ? (i % 2 ? c.qmax : c.qmin) : v === 1 ? c.qmax : v === 2 ? c.qmin : c.qmin + Math.floor(r() * (c.qmax - c.qmin + 1)))));
}
