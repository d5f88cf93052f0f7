// What the lowering refuses, and how it says so: non-binary weights (BNNC_E030, naming the node), and
// patterns it cannot lower (BNNC_E031): non-±1 two-level activations, a multi-level one without an integer
// zero point (BNNC_E114), a float input without an input
// quantization, branches, a non-affine last chain, and the other unsupported placements found while
// writing these tests.
import { describe, expect, it } from 'vitest';
import { lowerModel } from '../../src/compile.js';
import { CompileError } from '../../src/errors.js';
import { tensor } from '../../src/ir/tensor.js';
import type { InputQuant } from '../../src/lower/lower.js';
import { Net, Q256, QONNX } from './net.js';

/** The CompileError thrown by lowering `net` (or fails the test); `q` null: no input quantization. */
function loweringError(net: Net, q: InputQuant | null = Q256): CompileError {
  const float = net.float();
  try {
    lowerModel(float, { inputQuant: q ?? undefined });
  } catch (e) {
    if (e instanceof CompileError) return e;
    throw e;
  }
  throw new Error('lowering succeeded; expected a CompileError');
}

const base = (seed = 700) => new Net(seed, { dtype: 'float32', shape: [1, 2, 6, 6] }).conv(8, { pads: [1, 1, 1, 1] }).bn().sign();

/** Replaces the weights of the last node added (a Conv / Gemm / MatMul) with `f(i)`. */
function setWeights(net: Net, f: (i: number) => number): string {
  const node = net.nodes.at(-1)!;
  const w = net.inits[node.inputs[1]];
  net.inits[node.inputs[1]] = tensor('float32', w.shape, Array.from(w.data, (_v, i) => f(i)));
  return node.name!;
}

describe('non-binary weights: BNNC_E030 naming the node', () => {
  it('ternary weights (a 0 among ±1) in a binary layer', () => {
    const net = base().conv(4);
    const name = setWeights(net, (i) => (i === 7 ? 0 : i % 3 ? 1 : -1));
    net.bn().sign().flatten().dense(3).output();
    const e = loweringError(net);
    expect(e.code).toBe('BNNC_E030');
    expect(e.where.node).toBe(name);
    expect(e.message).toContain(name);
    expect(e.detail).toMatch(/including 0/);
    expect(e.detail).toMatch(/--binarize-weights/);
  });

  it('ternary weights in the first layer', () => {
    const net = new Net(701, { dtype: 'float32', shape: [1, 2, 6, 6] }).conv(8);
    const name = setWeights(net, (i) => [-1, 0, 1][i % 3]);
    net.bn().sign().flatten().dense(3).output();
    const e = loweringError(net);
    expect([e.code, e.where.node]).toEqual(['BNNC_E030', name]);
  });

  it('2-bit weights (levels ±0.25, ±0.75: four values, two magnitudes a filter)', () => {
    const net = base(702).flatten().dense(5);
    const name = setWeights(net, (i) => [-0.75, -0.25, 0.25, 0.75][i % 4]);
    net.output();
    const e = loweringError(net);
    expect([e.code, e.where.node]).toEqual(['BNNC_E030', name]);
    expect(e.detail).toMatch(/0\.7500/);
    expect(e.detail).toMatch(/0\.2500/);
  });
});

describe('activations that are not two-level: BNNC_E031, BNNC_E114, BNNC_E161', () => {
  it('a MultiThreshold with 3 thresholds whose levels (2q − 3) have no integer zero point: BNNC_E114 naming it', () => {
    const net = new Net(710, { dtype: 'float32', shape: [1, 2, 6, 6] }).conv(8);
    const th = net.stat.mean.flatMap((m, c) => [m - net.stat.std[c], m, m + net.stat.std[c]]);
    net.unary('MultiThreshold', [net.f32('th', [8, 3], th)], { out_scale: { float: 2 }, out_bias: { float: -3 } }, QONNX);
    const mt = net.nodes.at(-1)!.name!;
    net.binary().conv(4).bn().sign().flatten().dense(3).output();
    const e = loweringError(net);
    expect(e.code).toBe('BNNC_E114');
    expect(e.where.node).toBe(mt);
    expect(e.detail).toMatch(/zero point is 1\.5/);
  });

  it('a 2-bit Quant activation feeding a dense layer lowers to k-bit levels (issue #12), no longer refused', () => {
    const net = new Net(711, { dtype: 'float32', shape: [1, 2, 6, 6] }).conv(8).bn().flatten();
    net.unary('Quant', [net.f32('s', [], [0.5]), net.f32('z', [], [0]), net.f32('bw', [], [2])], { signed: 1, narrow: 0, rounding_mode: 'ROUND' }, QONNX);
    net.dense(3).output();
    const ops = lowerModel(net.float(), { inputQuant: Q256 }).nodes.map((n) => n.op);
    expect(ops).toEqual(['IntConv', 'MultiThreshold', 'IntConv', 'Epilogue']);
  });

  it('per-channel levels (BipolarQuant with a scale per channel): BNNC_E161', () => {
    const net = new Net(712, { dtype: 'float32', shape: [1, 2, 6, 6] }).conv(8).bn();
    net.unary('BipolarQuant', [net.f32('s', [1, 8, 1, 1], [1, 2, 1, 2, 1, 2, 1, 2])], undefined, QONNX);
    const act = net.nodes.at(-1)!.name!;
    net.binary().flatten().dense(3).output();
    const e = loweringError(net);
    expect([e.code, e.where.node]).toEqual(['BNNC_E161', act]);
    expect(e.detail).toMatch(/takes 4 values .*same two levels in every channel/);
  });

  it('levels 0.5 and 1.5 padded with 0 by the next conv: BNNC_E161 (a padding tap has no bit)', () => {
    const net = new Net(715, { dtype: 'float32', shape: [1, 2, 6, 6] }).conv(8).bn();
    net.node('Where', [net.node('Greater', [net.x, net.f32('t', [], [0])])[0], net.f32('a', [], [1.5]), net.f32('b', [], [0.5])]);
    net.binary().conv(4, { pads: [1, 1, 1, 1] });
    const conv = net.nodes.at(-1)!.name!;
    net.bn().sign().flatten().dense(3).output();
    const e = loweringError(net);
    expect([e.code, e.where.node]).toEqual(['BNNC_E161', conv]);
    expect(e.detail).toMatch(/pads its input with 0, which is neither level .*0\.5, 1\.5/);
  });

  it('Sign after Relu: 0 over a range of sums is a third level', () => {
    const net = new Net(713, { dtype: 'float32', shape: [1, 2, 6, 6] }).conv(8).bn().unary('Relu').sign().flatten().dense(3).output();
    const e = loweringError(net);
    expect(e.code).toBe('BNNC_E031');
    expect(e.detail).toMatch(/exactly 0 .* third level/);
  });

  it('Sign of the raw input: a 0 pixel gives Sign 0', () => {
    const net = new Net(714, { dtype: 'float32', shape: [1, 2, 6, 6] }).sign().conv(8).bn().sign().flatten().dense(3).output();
    expect(loweringError(net).detail).toMatch(/exactly 0 at the reachable sum 0/);
  });
});

describe('patterns the lowering refuses: BNNC_E031', () => {
  it('a float input without an input quantization mentions --input-scale', () => {
    const e = loweringError(base().flatten().dense(3).output(), null);
    expect(e.code).toBe('BNNC_E031');
    expect(e.where.tensor).toBe('x');
    expect(e.detail).toMatch(/--input-scale/);
  });

  it('a residual Add of two computed tensors', () => {
    const net = base(720);
    const skip = net.x;
    net.conv(8, { pads: [1, 1, 1, 1] }).bn().sign();
    net.node('Add', [skip, net.x]);
    const add = net.nodes.at(-1)!.name!;
    net.sign().flatten().dense(3).output();
    const e = loweringError(net);
    expect([e.code, e.where.node]).toEqual(['BNNC_E031', add]);
    expect(e.detail).toMatch(/residual/);
  });

  it('an AveragePool on binary activations whose border windows average fewer values (BNNC_E141)', () => {
    const net = base(723);
    net.node('AveragePool', [net.x], { kernel_shape: [2, 2], strides: [2, 2], pads: [1, 1, 1, 1] });
    net.H = net.W = 4;
    net.flatten().dense(3).output();
    const e = loweringError(net);
    expect(e.code).toBe('BNNC_E141');
    expect(e.detail).toMatch(/averages 1 values where others average 4/);
  });

  it('a Concat of two layers\' sums (before their signs)', () => {
    const net = base(721);
    const x = net.x;
    net.conv(8, { pads: [1, 1, 1, 1] }).bn();
    const a = net.x;
    net.x = x;
    net.conv(8, { pads: [1, 1, 1, 1] }).bn();
    net.node('Concat', [a, net.x], { axis: 1 });
    net.C = 16;
    net.binary().conv(4).bn().sign().flatten().dense(3).output();
    expect(loweringError(net).code).toBe('BNNC_E031');
  });

  it('Relu after the last layer (not affine: the Epilogue cannot fold it)', () => {
    const net = base(722).flatten().dense(4).unary('Relu').output();
    const e = loweringError(net);
    expect(e.code).toBe('BNNC_E031');
    expect(e.detail).toMatch(/Relu .* not affine/);
  });

  const OTHERS: Record<string, [(net: Net) => void, RegExp]> = {
    // perm [0, 2, 3, 1] (Keras/Larq NHWC) before a flatten is folded into the dense weights (fold-nhwc-flatten)
    'Transpose to NWHC before the flatten': [(net) => { net.node('Transpose', [net.x], { perm: [0, 3, 2, 1] }); }, /Transpose on binary activations/],
    'an explicit Pad before a padded Conv': [(net) => void net.pad([1, 1, 1, 1], 1).conv(4, { pads: [1, 1, 1, 1] }).bn().sign(), /explicit Pad followed by a padded Conv/],
    'an edge-mode Pad': [(net) => { net.node('Pad', [net.x, net.init('pads', tensor('int64', [8], [0, 0, 1, 1, 0, 0, 1, 1]))], { mode: 'edge' }); net.H += 2; net.W += 2; }, /constant Pad/],
    'a binary activation as the graph output': [(net) => void net.flatten().dense(3).sign(), /graph output is a binary activation/],
    'two dense layers without a sign between them': [(net) => void net.flatten().dense(6).bn(), /without a sign in between/],
  };
  it.each(Object.keys(OTHERS))('%s', (name) => {
    const [f, message] = OTHERS[name];
    const net = base(730);
    f(net);
    if (!name.startsWith('a binary activation')) net.flatten().dense(3);
    net.output();
    const e = loweringError(net);
    expect(e.code).toBe('BNNC_E031');
    expect(e.detail).toMatch(message);
  });
});
