// Residual and pooled BNNs (#13) built in code, shared by the lowering tests (test/lower/residual.test.ts)
// and the C tests (test/backend/residual-c.test.ts): average pools, 8-bit QONNX Quants on a stream,
// sign with sign(0) = +1, Bi-Real blocks.
import { Net, QONNX } from './net.js';

export const P1 = [1, 1, 1, 1];

/** An AveragePool (or GlobalAveragePool with k = 0) on the current tensor. */
export function avgPool(net: Net, k: number, s = k, pads = [0, 0, 0, 0], includePad = 0): Net {
  if (k === 0) {
    net.node('GlobalAveragePool', [net.x]);
    net.H = 1; net.W = 1;
    return net;
  }
  net.node('AveragePool', [net.x], { kernel_shape: [k, k], strides: [s, s], pads, count_include_pad: includePad });
  net.H = Math.floor((net.H + pads[0] + pads[2] - k) / s) + 1;
  net.W = Math.floor((net.W + pads[1] + pads[3] - k) / s) + 1;
  return net;
}

/** A signed 8-bit QONNX Quant of scale `scale` on the current tensor (ROUND, zero point 0). */
export function quant8(net: Net, scale: number, bits = 8): Net {
  net.node('Quant', [net.x, net.f32('qs', [], [scale]), net.f32('qz', [], [0]), net.f32('qb', [], [bits])], { signed: 1, narrow: 0, rounding_mode: 'ROUND' }, { domain: QONNX });
  return net;
}

/** A plain-ONNX 8-bit fake quantizer: x/s → Round → Clip(−128, 127) → ·s (as PyTorch exports one). */
export function fakeQuant8(net: Net, scale: number): Net {
  net.node('Div', [net.x, net.f32('fs', [], [scale])]);
  net.node('Round', [net.x]);
  net.node('Clip', [net.x, net.f32('lo', [], [-128]), net.f32('hi', [], [127])]);
  net.node('Mul', [net.x, net.f32('fs', [], [scale])]);
  return net;
}

/**
 * sign(x) with sign(0) = +1, as `torch.where(x >= 0, 1, -1)` exports: on a quantized stream x is exactly 0
 * often, where ONNX Sign would give a third level, 0 (docs/numerics.md).
 */
export function signGe(net: Net): Net {
  const ge = net.node('GreaterOrEqual', [net.x, net.f32('zero', [], [0])])[0];
  net.node('Where', [ge, net.f32('one', [], [1]), net.f32('minus', [], [-1])]);
  return net.binary();
}

export interface Block {
  /** RSign: a per-channel shift before the sign. */
  readonly rsign?: boolean;
  /** Downsampling: the conv with stride 2, the shortcut an AveragePool 2×2. */
  readonly down?: boolean;
  /** ReActNet's RPReLU after the join's Quant: shift, PRelu (per-channel slopes), shift, then a Quant. */
  readonly rprelu?: boolean;
  /** The join's quantizer as plain ONNX (Div, Round, Clip, Mul) instead of a QONNX Quant. */
  readonly plain?: boolean;
}

/**
 * A Bi-Real block on stream `x`: x + BN(conv3x3(sign(x − b))) (RSign's shift b with `rsign`), quantized;
 * downsampling (`down`): AvgPool2x2(x) + BN(conv3x3 stride 2(sign x)).
 */
export function biRealBlock(net: Net, x: string, o: Block & { scale?: number } = {}): string {
  net.x = x;
  const [H, W] = [net.H, net.W];
  let skip = x;
  if (o.down) {
    skip = avgPool(net, 2).x;
    net.x = x; net.H = H; net.W = W;
  }
  if (o.rsign) net.arith('Sub', Array.from({ length: net.C }, () => Math.fround((net.r() - 0.5) * 0.5)));
  signGe(net).conv(net.C, { pads: P1, s: o.down ? 2 : 1 }).bn();
  net.node('Add', [skip, net.x]);
  if (o.plain) fakeQuant8(net, o.scale ?? 1 / 16); else quant8(net, o.scale ?? 1 / 16);
  if (o.rprelu) {
    const C = net.C, r = net.r;
    net.arith('Sub', Array.from({ length: C }, () => Math.fround((r() - 0.5) * 0.5)));
    net.node('PRelu', [net.x, net.f32('slope', [C, 1, 1], Array.from({ length: C }, () => Math.fround(0.05 + 0.45 * r())))]);
    net.arith('Add', Array.from({ length: C }, () => Math.fround((r() - 0.5) * 0.5)));
    quant8(net, o.scale ?? 1 / 16);
  }
  net.stat = { mean: new Array<number>(net.C).fill(0), std: new Array<number>(net.C).fill(1.5) };
  return net.x;
}

/** Stem conv → BN (→ an 8-bit Quant with `stemQuant`: the stream), `blocks` Bi-Real blocks, then sign → dense head. */
export function biReal(seed: number, blocks: Block[], C = 16, pool = false, stemQuant = false): Net {
  const net = new Net(seed, { dtype: 'float32', shape: [1, 2, 8, 8] });
  net.conv(C, { pads: P1 }).bn();
  if (stemQuant) quant8(net, 1 / 16);
  let x = net.x;
  for (const b of blocks) x = biRealBlock(net, x, b);
  net.x = x;
  if (pool) avgPool(net, 2);
  return signGe(net).flatten().dense(5, { bias: true }).output();
}


/** Two Bi-Real streams concatenated along the channels (int8 on one grid), or two branches' signs (bits). */
export function concatNet(seed: number, bits: boolean): Net {
  const net = new Net(seed, { dtype: 'float32', shape: [1, 2, 8, 8] });
  net.conv(13, { pads: P1 }).bn();
  quant8(net, 1 / 16);
  const x0 = net.x;
  const x1 = biRealBlock(net, x0, { rsign: true });
  const x2 = biRealBlock(net, x1, {});
  if (bits) {
    net.x = x1;
    const a = signGe(net).x;
    net.x = x2;
    const b = signGe(net).conv(20, { pads: P1 }).bn().sign().x;
    net.node('Concat', [a, b], { axis: 1 });
    net.C = 33;
    net.binary();
    return net.conv(9, { pads: P1 }).bn().sign().flatten().dense(4, { bias: true }).output();
  }
  net.node('Concat', [x1, x2], { axis: 1 });
  net.C = 26;
  return signGe(net).flatten().dense(4, { bias: true }).output();
}

/** BN → AvgPool 2×2 → Sign, then BN → GlobalAveragePool → Sign (pools over the pre-sign sums). */
export function presignPools(seed: number): Net {
  const net = new Net(seed, { dtype: 'float32', shape: [1, 2, 8, 8] });
  net.conv(33, { pads: P1 }).bn({ neg: [0, 31] });
  avgPool(net, 2).sign().conv(20, { pads: P1 }).bn({ neg: [3] });
  return avgPool(net, 0).sign().flatten().dense(5, { bias: true }).output();
}

/** Sign → AvgPool 2×2 → BN → Sign, then Sign → AvgPool 3×3 padded (count_include_pad) → Add → Sign. */
export function bitPools(seed: number): Net {
  const net = new Net(seed, { dtype: 'float32', shape: [1, 1, 8, 8] });
  net.conv(40, { pads: P1 }).bn().sign();
  avgPool(net, 2);
  net.stat = { mean: new Array<number>(net.C).fill(0), std: new Array<number>(net.C).fill(0.5) };
  net.bn({ neg: [1] }).sign().conv(9, { pads: P1 }).bn().sign();
  return avgPool(net, 3, 1, P1, 1).center().sign().flatten().dense(4, { bias: true }).output();
}
