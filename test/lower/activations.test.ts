// Lowering of every binarizer form bnnc recognizes, after a first (IntConv) layer, after a binary (XnorConv)
// layer and on the raw input, and of the first layer on each kind of input: a float input with a declared
// 8-bit quantization (exact q/256, q/255, a zero point, int8), an int8 or uint8 graph input read through
// a Cast, and a dense first layer after Flatten or Reshape. ±1 weights throughout: every bit must match.
import { describe, expect, it } from 'vitest';
import type { InputQuant } from '../../src/lower/lower.js';
import { lowerAndCheck, loweredOps, Net, Q255, Q256, QONNX } from './net.js';

/** Thresholds near each channel's centre (per channel, shaped for the current rank). */
function thresholds(net: Net): number[] {
  return net.stat.mean.map((m, c) => Math.fround(m + (net.r() - 0.5) * net.stat.std[c]));
}

function where(net: Net, cmp: string, ifTrue: number): void {
  const t = net.f32('t', net.chShape(), thresholds(net));
  const [cond] = net.node(cmp, [net.x, t]);
  net.node('Where', [cond, net.f32('a', [], [ifTrue]), net.f32('b', [], [-ifTrue])]);
}

/** Each binarizer applied to the current tensor (its float values are whatever the layer produced). */
const BINARIZERS: Record<string, (net: Net) => void> = {
  'BN, Sign': (net) => void net.bn().sign(),
  'bias, Sign': (net) => void net.center().sign(),
  'BipolarQuant': (net) => void net.center().unary('BipolarQuant', [net.f32('s', [], [1])], undefined, QONNX),
  'Quant 1-bit': (net) => void net.center().unary('Quant', [net.f32('s', [], [1]), net.f32('z', [], [0]), net.f32('bw', [], [1])],
    { signed: 1, narrow: 0, rounding_mode: 'ROUND' }, QONNX),
  'MultiThreshold (one threshold, out_scale 2, out_bias −1)': (net) => void net.unary('MultiThreshold', [net.f32('th', [net.C, 1], thresholds(net))],
    { out_scale: { float: 2 }, out_bias: { float: -1 }, out_dtype: 'BIPOLAR' }, QONNX),
  'Where(Greater, 1, −1)': (net) => where(net, 'Greater', 1),
  'Where(GreaterOrEqual, 1, −1)': (net) => where(net, 'GreaterOrEqual', 1),
  'Where(Less, 1, −1)': (net) => where(net, 'Less', 1),
  'Where(LessOrEqual, 1, −1)': (net) => where(net, 'LessOrEqual', 1),
  'Where(Greater, −1, 1)': (net) => where(net, 'Greater', -1),
  'Where(GreaterOrEqual, −1, 1)': (net) => where(net, 'GreaterOrEqual', -1),
  'Where(Less, −1, 1)': (net) => where(net, 'Less', -1),
  'Where(LessOrEqual, −1, 1)': (net) => where(net, 'LessOrEqual', -1),
  "Larq's Sign(Sign(x) + 0.1)": (net) => void net.bn().sign().arith('Add', [0.1]).sign(),
};

describe('every binarizer form, after a first layer and after a binary layer', () => {
  it.each(Object.keys(BINARIZERS).map((name, i) => ({ name, seed: 200 + i })))('$name', ({ name, seed }) => {
    const net = new Net(seed, { dtype: 'float32', shape: [1, 2, 6, 6] });
    net.conv(16, { pads: [1, 1, 1, 1] });
    BINARIZERS[name](net);
    net.binary().conv(33, { pads: [1, 1, 1, 1] });
    BINARIZERS[name](net);
    net.binary().flatten().dense(5, { bias: true }).output();
    const { lowered, report } = lowerAndCheck(net, Q256);
    expect(report.layers.length).toBe(2);
    expect(loweredOps(lowered)).toEqual(['IntConv', 'Threshold', 'XnorConv', 'Threshold', 'XnorConv', 'Epilogue']);
  });
});

/** Binarizers of the raw input x = q/255 (one threshold for every element). */
const RAW: Record<string, (net: Net) => void> = {
  'Sign(x − 0.5)': (net) => void net.arith('Sub', [0.5]).sign(),
  'Sign(2·x − 1)': (net) => void net.arith('Mul', [2]).arith('Add', [-1]).sign(),
  'Where(Greater(x, 0.3), 1, −1)': (net) => void net.node('Where', [net.node('Greater', [net.x, net.f32('t', [], [0.3])])[0], net.f32('a', [], [1]), net.f32('b', [], [-1])]),
  'Where(Less(x, 0.6), 1, −1)': (net) => void net.node('Where', [net.node('Less', [net.x, net.f32('t', [], [0.6])])[0], net.f32('a', [], [1]), net.f32('b', [], [-1])]),
  'BipolarQuant(x − 0.45)': (net) => void net.arith('Sub', [0.45]).unary('BipolarQuant', [net.f32('s', [], [1])], undefined, QONNX),
  'MultiThreshold(x) with a shared [1, 1] threshold': (net) => void net.unary('MultiThreshold', [net.f32('th', [1, 1], [0.55])],
    { out_scale: { float: 2 }, out_bias: { float: -1 } }, QONNX),
};

describe('binarizing the raw input', () => {
  it.each(Object.keys(RAW).map((name, i) => ({ name, seed: 300 + i })))('$name', ({ name, seed }) => {
    const net = new Net(seed, { dtype: 'float32', shape: [1, 3, 6, 6] });
    RAW[name](net);
    net.binary().conv(20, { pads: [1, 1, 1, 1] }).bn().sign().flatten().dense(4).output();
    const { lowered } = lowerAndCheck(net, Q255);
    expect(loweredOps(lowered)).toEqual(['Threshold', 'XnorConv', 'Threshold', 'XnorConv', 'Epilogue']);
    expect(lowered.nodes[0].attrs.layout).toBe('NCHW');
  });
});

describe('the first layer on each kind of input', () => {
  const conv = (net: Net) => net.conv(24, { pads: [1, 1, 1, 1] }).bn().sign().conv(9).bn().sign().flatten().dense(4).output();

  const QUANTS: Record<string, InputQuant> = {
    'x = q/256 (exact)': Q256,
    'x = (q − 128)/128, a zero point': { dtype: 'uint8', scale: 1, divisor: 128, zeroPoint: 128 },
    'x = q/64 on an int8 input': { dtype: 'int8', scale: 1, divisor: 64, zeroPoint: 0 },
    'x = 0.5·q, a scale': { dtype: 'uint8', scale: 0.5, divisor: 1, zeroPoint: 0 },
  };
  it.each(Object.entries(QUANTS))('IntConv on a float input, %s', (_name, q) => {
    const signed = q.dtype === 'int8' || q.zeroPoint !== 0;
    const xmax = (q.dtype === 'int8' ? 127 : 255 - q.zeroPoint) * q.scale / q.divisor;
    const net = new Net(400, { dtype: 'float32', shape: [1, 3, 6, 6] }, xmax, signed);
    const { lowered } = lowerAndCheck(conv(net), q);
    expect(lowered.inputs[0].type.dtype).toBe(q.dtype);
    expect(lowered.nodes[0].op).toBe('IntConv');
    expect(lowered.nodes[0].attrs.zero_point).toBe(q.zeroPoint);
  });

  // x = q/255 rounds every input and every float sum of the first layer, so a float sum that lands within
  // a rounding of its threshold can decide differently from the exact integer sum: ≥ 99 % of the bits, and
  // every disagreement of the top-1 explained (threshold or rounding)
  it('IntConv on a float input, x = q/255 (inexact float sums)', () => {
    const net = conv(new Net(401, { dtype: 'float32', shape: [1, 3, 6, 6] }));
    const { report } = lowerAndCheck(net, Q255, { minBits: 0.99, minAgree: 0.9 });
    expect(report.layers[0].identical / report.layers[0].bits).toBeGreaterThanOrEqual(0.99);
  });

  it.each(['int8', 'uint8'] as const)('IntConv on an %s graph input read through Cast', (dtype) => {
    const net = new Net(402, { dtype, shape: [1, 2, 6, 6] }, dtype === 'int8' ? 127 : 255, dtype === 'int8');
    net.unary('Cast', [], { to: 1 });
    const { lowered } = lowerAndCheck(conv(net), undefined);
    expect(lowered.inputs[0].type).toEqual({ dtype, shape: [1, 2, 6, 6] });
    expect(loweredOps(lowered).slice(0, 2)).toEqual(['IntConv', 'Threshold']);
  });

  const DENSE: Record<string, (net: Net) => Net> = {
    'Flatten, Gemm transB 1': (net) => net.flatten().dense(20, { bias: true }),
    'Reshape, Gemm transB 0': (net) => net.reshape().dense(20, { transB: 0, bias: true }),
    'Flatten, MatMul [K, M], BN': (net) => net.flatten().dense(20, { op: 'MatMul' }).bn(),
  };
  it.each(Object.entries(DENSE).map(([name, f], i) => ({ name, f, seed: 410 + i })))('dense first layer after $name', ({ f, seed }) => {
    const net = f(new Net(seed, { dtype: 'float32', shape: [1, 2, 5, 5] }));
    if (net.nodes.at(-1)!.op !== 'BatchNormalization') net.center();
    net.sign().dense(33, { bias: true }).sign().dense(4).output();
    const { lowered } = lowerAndCheck(net, Q256);
    // the dense layer reads the NCHW input in place, as one 5×5 "kernel" over 2 channels
    const first = lowered.nodes.find((n) => n.op === 'IntConv')!;
    expect([...(first.attrs.kernel_shape as number[])]).toEqual([5, 5]);
    expect(lowered.initializers.get(first.inputs[1])!.shape).toEqual([20, 2, 5, 5]);
  });

  it('dense first layer on a rank-2 input', () => {
    const net = new Net(420, { dtype: 'float32', shape: [1, 40] });
    net.dense(33, { transB: 0, bias: true }).sign().dense(6, { op: 'MatMul' }).output();
    const { lowered } = lowerAndCheck(net, Q256);
    expect(loweredOps(lowered)).toEqual(['Reshape', 'IntConv', 'Threshold', 'XnorConv', 'Epilogue']);
  });
});
