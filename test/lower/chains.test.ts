// Lowering of the float chains between a binary layer's sum and its sign (batch norm with negative and zero
// γ, biases, scalar and per-channel Mul/Add/Sub/Div), of ±α weights, of dense layers in every weight
// layout, and of the last layer's affine chain into an Epilogue followed by float ops (ArgMax, TopK,
// LogSoftmax). The float outputs are held to OUTPUT_REL_BOUND (see net.ts for the derivation).
import { describe, expect, it } from 'vitest';
import { checkModel } from '../../src/check.js';
import { lowerModel } from '../../src/compile.js';
import { tensor } from '../../src/ir/tensor.js';
import type { Graph } from '../../src/ir/types.js';
import { lowerAndCheck, loweredOps, Net, Q256 } from './net.js';

/** The Threshold kinds (1: a ≥ t, −1: a ≤ t, ±2 constant) of the n-th Threshold of a lowered graph. */
function kinds(g: Graph, n: number): number[] {
  const th = g.nodes.filter((x) => x.op === 'Threshold')[n];
  return [...g.initializers.get(th.inputs[2])!.data];
}

const start = (seed: number) => new Net(seed, { dtype: 'float32', shape: [1, 2, 6, 6] }).conv(33, { pads: [1, 1, 1, 1] });

describe('batch norm', () => {
  it('γ < 0 flips a channel\'s threshold; γ = 0 makes it constant (the sign of β)', () => {
    const neg = [0, 5, 31, 32], zero = [3, 4, 20];
    const net = start(500).bn({ neg, zero }).sign().conv(40, { pads: [1, 1, 1, 1] }).bn({ neg: [1, 39], zero: [2, 7] }).sign().flatten().dense(5).output();
    const { lowered } = lowerAndCheck(net, Q256);
    const k = kinds(lowered, 0);
    for (let c = 0; c < 33; c++) {
      // net.bn gives a zero-γ channel β = +0.5 on odd channels, −0.5 on even ones
      const expected = zero.includes(c) ? (c % 2 ? 2 : -2) : neg.includes(c) ? -1 : 1;
      expect(k[c], `channel ${c}`).toBe(expected);
    }
    expect(kinds(lowered, 1).filter((x) => x === -1).length).toBe(2);
    expect(kinds(lowered, 1).filter((x) => Math.abs(x) === 2).length).toBe(2);
  });

  it('batch norm after a dense layer (rank 2) and in the last layer', () => {
    const net = start(501).bn().sign().flatten().dense(40, { bias: true }).bn({ neg: [3], zero: [9] }).sign().dense(7).bn({ neg: [0, 1] }).output();
    const { lowered } = lowerAndCheck(net, Q256);
    expect(loweredOps(lowered).at(-1)).toBe('Epilogue');
  });
});

describe('biases and elementwise chains before the sign', () => {
  const CHAINS: Record<string, (net: Net) => Net> = {
    'Conv bias, Sign': (net) => net,
    'per-channel Mul (mixed signs), Add': (net) => net.arith('Mul', net.stat.mean.map((_m, c) => (c % 3 === 0 ? -1 : 1) * (0.5 + net.r()))).center(),
    'scalar Mul −0.75 (every channel flipped), scalar Add': (net) => net.arith('Mul', [-0.75]).center(true),
    'per-channel Sub, scalar Div by 3': (net) => net.arith('Sub', net.stat.mean.map((m, c) => m + (net.r() - 0.5) * net.stat.std[c])).arith('Div', [3]),
    'per-channel Div (mixed signs), scalar Sub': (net) => net.arith('Div', net.stat.mean.map((_m, c) => (c % 2 ? -1 : 1) * (0.3 + 2 * net.r()))).center(true).arith('Sub', [0.01]),
    'Add, Mul, Div, Sub, Mul (per channel and scalar), BN': (net) => net.center().arith('Mul', [1.5]).arith('Div', net.stat.mean.map(() => 0.7 + net.r()))
      .arith('Sub', [0.02]).arith('Mul', net.stat.mean.map((_m, c) => (c === 1 ? -2 : 2))).bn({ neg: [4] }),
    'Neg, Add': (net) => {
      net.unary('Neg').stat.mean = net.stat.mean.map((m) => -m);
      return net.center();
    },
  };
  it.each(Object.entries(CHAINS).map(([name, f], i) => ({ name, f, seed: 510 + i })))('$name', ({ name, f, seed }) => {
    const net = new Net(seed, { dtype: 'float32', shape: [1, 2, 6, 6] }).conv(33, { pads: [1, 1, 1, 1], bias: true });
    f(net).sign().conv(20, { pads: [1, 1, 1, 1], bias: true });
    f(net).sign().flatten().dense(5, { bias: true }).output();
    const { lowered } = lowerAndCheck(net, Q256);
    if (name.startsWith('scalar Mul −0.75')) expect(kinds(lowered, 0).every((k) => k === -1)).toBe(true);
  });

  it('Div by 3 keeps the float model\'s decisions at every reachable sum (no rewrite to Mul by fl(1/3))', () => {
    // a = q through a 1×1 kernel of weight +1 on x = q; the float model decides fl(q/3) ≥ t with
    // t = fl(5·fl(1/3)), which differs from fl(5/3) by one ULP: q = 5 is −1 in float, +1 had Div become Mul
    const t = Math.fround(5 * Math.fround(1 / 3));
    expect(Math.fround(5 / 3)).toBeLessThan(t);
    const net = new Net(519, { dtype: 'float32', shape: [1, 1, 16, 16] }, 255);
    net.node('Conv', ['x', net.f32('w', [1, 1, 1, 1], [1])], { kernel_shape: [1, 1] });
    net.arith('Div', [3]);
    const [cond] = net.node('GreaterOrEqual', [net.x, net.f32('t', [], [t])]);
    net.node('Where', [cond, net.f32('one', [], [1]), net.f32('m', [], [-1])]);
    net.H = net.W = 16;
    net.binary().flatten().dense(3).output();
    const float = net.float();
    const q = { dtype: 'uint8', scale: 1, divisor: 1, zeroPoint: 0 } as const;
    const lowered = lowerModel(float, { inputQuant: q });
    const th = lowered.nodes.find((n) => n.op === 'Threshold')!;
    expect([...lowered.initializers.get(th.inputs[1])!.data]).toEqual([6]);
    const all = Array.from({ length: 256 }, (_, i) => i);
    const report = checkModel(float, lowered, [{ q: tensor('uint8', [1, 1, 16, 16], all), x: tensor('float32', [1, 1, 16, 16], all) }]);
    expect(report.layers[0].identical).toBe(256);
  });
});

describe('±α weights', () => {
  it('α a power of two per filter: float sums stay exact, every bit matches', () => {
    const net = new Net(530, { dtype: 'float32', shape: [1, 2, 6, 6] }).conv(33, { w: 'pow2', pads: [1, 1, 1, 1] });
    net.bn().sign().conv(65, { w: 'pow2', pads: [1, 1, 1, 1] }).bn({ neg: [2] }).sign().flatten().dense(20, { w: 'pow2', bias: true }).sign()
      .dense(6, { w: 'pow2', op: 'MatMul' }).output();
    lowerAndCheck(net, Q256);
  });

  // α = 0.1 … 2 (not powers of two): the float model rounds each partial sum of ±α terms, the lowered
  // network computes fl(α·a) from the exact integer a, so a float sum within a rounding of its threshold
  // may decide differently; require ≥ 99 % of the bits and every top-1 disagreement explained
  it.each([601, 602, 603])('α anywhere in [0.1, 2] (seed %i): ≥ 99 % of the bits', (seed) => {
    const net = new Net(seed, { dtype: 'float32', shape: [1, 2, 6, 6] }).conv(33, { w: 'alpha', pads: [1, 1, 1, 1] }).bn().sign()
      .conv(65, { w: 'alpha', pads: [1, 1, 1, 1] }).bn({ neg: [1] }).sign().flatten().dense(40, { w: 'alpha', bias: true }).sign()
      .dense(6, { w: 'alpha', transB: 0 }).output();
    const { report } = lowerAndCheck(net, Q256, { n: 40, minBits: 0.99, minAgree: 0.9 });
    for (const d of report.disagreements) expect(d.cause).toMatch(/threshold|rounding/);
  });
});

describe('dense layers in every weight layout', () => {
  const LAYOUTS = {
    'Gemm transB 1': { op: 'Gemm', transB: 1 },
    'Gemm transB 0': { op: 'Gemm', transB: 0 },
    'MatMul [K, M]': { op: 'MatMul' },
    'Gemm transB 0, alpha 0.3, beta 0.7': { op: 'Gemm', transB: 0, alpha: 0.3, beta: 0.7 },
    'Gemm transB 1, alpha 4, beta 0.5': { op: 'Gemm', transB: 1, alpha: 4, beta: 0.5 },
  } as const;
  it.each(Object.entries(LAYOUTS).map(([name, o], i) => ({ name, o, seed: 540 + i })))('$name, in the middle and as the last layer', ({ o, seed }) => {
    const bias = o.op === 'Gemm';
    const net = start(seed).bn().sign().flatten().dense(33, { ...o, bias });
    if (!bias) net.center();
    net.sign().dense(65, { ...o, bias }).bn().sign().dense(10, { ...o, bias }).output();
    const { lowered } = lowerAndCheck(net, Q256);
    expect(loweredOps(lowered)).toEqual(['IntConv', 'Threshold', 'XnorConv', 'Threshold', 'XnorConv', 'Threshold', 'XnorConv', 'Epilogue']);
  });
});

describe('the last layer: an Epilogue, then float ops', () => {
  /** A last dense layer with an affine chain (BN with γ < 0, Mul, Div, per-channel Sub) into `logits`. */
  function head(seed: number): Net {
    const net = start(seed).bn().sign().flatten().dense(10, { bias: true, alpha: 0.3, beta: 0.7 }).bn({ neg: [2] })
      .arith('Mul', [0.7]).arith('Div', [3]).arith('Sub', Array.from({ length: 10 }, (_, i) => i * 0.3));
    return net;
  }

  it('float logits within the bound, the affine chain folded into one scale and bias per class', () => {
    const net = head(550).output();
    const { lowered, worst } = lowerAndCheck(net, Q256);
    expect(loweredOps(lowered)).toEqual(['IntConv', 'Threshold', 'XnorConv', 'Epilogue']);
    const ep = lowered.nodes.at(-1)!;
    expect(ep.outputs).toEqual([net.x]);
    expect(lowered.initializers.get(ep.inputs[1])!.shape).toEqual([10]);
    for (const { diff, bound } of worst.values()) expect(diff).toBeLessThanOrEqual(bound);
  });

  it.each(['ArgMax', 'TopK', 'LogSoftmax'])('followed by %s', (tail) => {
    const net = head(551);
    const logits = net.x;
    if (tail === 'ArgMax') net.node('ArgMax', [logits], { axis: 1, keepdims: 1 }), net.output('int64');
    if (tail === 'TopK') {
      const [v, i] = net.node('TopK', [logits, net.init('k', tensor('int64', [1], [3]))], { axis: -1 }, { outputs: 2 });
      net.output('float32', v).output('int64', i);
    }
    if (tail === 'LogSoftmax') net.node('LogSoftmax', [logits], { axis: 1 }), net.output();
    const { lowered } = lowerAndCheck(net, Q256);
    // lowerModel turns Softmax/LogSoftmax into bnnc's portable float32 versions (docs/numerics.md)
    expect(loweredOps(lowered)).toEqual(['IntConv', 'Threshold', 'XnorConv', 'Epilogue', tail === 'LogSoftmax' ? 'LogSoftmax32' : tail]);
  });

  it('a last Conv layer, then GlobalAveragePool: refused by the lowering as compile refuses it (no float pool in the back ends)', () => {
    const net = start(552).bn().sign().conv(10, { pads: [1, 1, 1, 1], bias: true }).bn({ neg: [1] });
    net.node('GlobalAveragePool', [net.x], undefined, { name: 'gap' });
    net.node('Flatten', [net.x], { axis: 1 });
    net.node('LogSoftmax', [net.x], { axis: 1 });
    net.output();
    expect(() => lowerModel(net.float(), { inputQuant: Q256 })).toThrow(/BNNC_E160.*node 'gap'/);
  });
});
