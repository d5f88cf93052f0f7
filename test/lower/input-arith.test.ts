// Arithmetic on the raw input before the first binary layer (issue #13 item 3): FINN CNV's x·2 − 1 then an
// 8-bit Quant (folded into the input quantization: the raw input is the Quant's integer), x·2 − 1 straight
// into a conv (folded into the IntConv zero point, or into a per-filter constant of an unpadded layer), and
// the coded error (BNNC_E163) naming the op that cannot be folded. Float models of standard ops checked
// against onnxruntime; the CNV form as C on the host and the emulated Cortex-M4.
import { describe, expect, it } from 'vitest';
import { loadTarget } from '../../src/backend/target.js';
import { verifyOnTarget } from '../../src/backend/verify.js';
import { checkModel, sampleFromRaw } from '../../src/check.js';
import { lowerModel } from '../../src/compile.js';
import { CompileError } from '../../src/errors.js';
import { tensor } from '../../src/ir/tensor.js';
import { modelInputQuant } from '../../src/lower/lower.js';
import { rng } from '../helpers/onnx-build.js';
import { hasTool } from '../helpers/resources.js';
import { expectMatchesOrt } from '../passes/forms.js';
import { lowerAndCheck, Net, Q255, Q256, QONNX } from './net.js';

const SHAPE = [1, 3, 8, 8];

/** x·2 − 1 (as Mul then Sub, or Mul then Add), then a first binary conv, batch norm, sign, a dense layer. */
function twoXMinusOne(seed: number, o: { pads?: number[]; sub?: boolean; quant?: boolean } = {}): Net {
  const net = new Net(seed, { dtype: 'float32', shape: SHAPE });
  net.arith('Mul', [2]);
  net.arith(o.sub ? 'Sub' : 'Add', [o.sub ? 1 : -1]);
  if (o.quant) net.unary('Quant', [net.f32('s', [], [2 ** -7]), net.f32('z', [], [0]), net.f32('bw', [], [8])], { signed: 1, narrow: 0, rounding_mode: 'ROUND' }, QONNX);
  return net.conv(16, { pads: o.pads ?? [1, 1, 1, 1] }).bn().sign().flatten().dense(5, { bias: true }).output();
}

function errorOf(net: Net, q = Q256): CompileError {
  try {
    lowerModel(net.float(), { inputQuant: q });
  } catch (e) {
    if (e instanceof CompileError) return e;
    throw e;
  }
  throw new Error('lowered; expected a CompileError');
}

const feeds = (n: number, seed: number, div: number) => {
  const r = rng(seed);
  return Array.from({ length: n }, () => ({ x: tensor('float32', SHAPE, Array.from({ length: 192 }, () => Math.fround(Math.floor(r() * 256) / div))) }));
};
const modelOf = (net: Net) => ({ inputs: [{ name: 'x', dtype: 'float32' as const, shape: SHAPE }], outputs: net.outputs, nodes: net.nodes, initializers: net.inits });

describe('x·2 − 1 into the first layer', () => {
  it('x = q/256, padded conv: a whole shift, folded into the IntConv zero point (128); every bit matches', async () => {
    const net = twoXMinusOne(1400, { sub: true });
    await expectMatchesOrt(modelOf(net), net.float(), feeds(4, 1, 256), { ulps: 4, absTol: 1e-5 });
    const { lowered } = lowerAndCheck(net, Q256);
    const conv = lowered.nodes.find((n) => n.op === 'IntConv')!;
    expect(conv.attrs.zero_point).toBe(128);
  });

  it('x = q/255, unpadded conv: the shift (−127.5 steps) as a constant per filter; ≥ 99.9 % of bits, top-1 agrees', async () => {
    const net = twoXMinusOne(1401, { pads: [0, 0, 0, 0] });
    await expectMatchesOrt(modelOf(net), net.float(), feeds(4, 2, 255), { ulps: 4, absTol: 1e-5 });
    const { lowered, report } = lowerAndCheck(net, Q255, { n: 60, minBits: 0.999, minAgree: 0.98 });
    expect(lowered.nodes.find((n) => n.op === 'IntConv')!.attrs.zero_point).toBe(0);
    expect(report.agreement).toBeGreaterThanOrEqual(0.98);
  });

  it('x = q/255, padded conv: BNNC_E163 naming the Add (the pads would be no raw value)', () => {
    const net = twoXMinusOne(1402);
    const add = net.nodes[1].name!;
    const e = errorOf(net, Q255);
    expect([e.code, e.where.node]).toEqual(['BNNC_E163', add]);
    expect(e.detail).toMatch(/-127\.5 input steps/);
  });

  it('a Relu on the raw input: BNNC_E163 naming the Relu', () => {
    const net = new Net(1403, { dtype: 'float32', shape: SHAPE }).arith('Add', [-0.5]).unary('Relu');
    const relu = net.nodes.at(-1)!.name!;
    net.conv(8).bn().sign().flatten().dense(3).output();
    const e = errorOf(net);
    expect([e.code, e.where.node]).toEqual(['BNNC_E163', relu]);
    expect(e.detail).toMatch(/Mul, Div, Add, Sub and Neg by a scalar/);
  });

  it('a per-channel offset on the raw input (mean subtraction per channel): BNNC_E163', () => {
    const net = new Net(1404, { dtype: 'float32', shape: SHAPE }).arith('Sub', [0.4, 0.5, 0.6]);
    const sub = net.nodes.at(-1)!.name!;
    net.conv(8).bn().sign().flatten().dense(3).output();
    const e = errorOf(net);
    expect([e.code, e.where.node]).toEqual(['BNNC_E163', sub]);
  });
});

describe("FINN CNV's x·2 − 1, then an 8-bit Quant (scale 2⁻⁷), then a binary conv", () => {
  const g = () => twoXMinusOne(1410, { quant: true }).float();

  it('the raw input is the Quant integer: int8, x = (q + 128)/256; every bit and class match', () => {
    const float = g();
    const q = modelInputQuant(float)!.quant;
    expect(q).toEqual({ dtype: 'int8', scale: 1 / 256, divisor: 1, zeroPoint: -128 });
    const lowered = lowerModel(float);
    expect(lowered.inputs[0].type.dtype).toBe('int8');
    expect(lowered.nodes.map((n) => n.op).filter((op) => op !== 'Reshape')).toEqual(['IntConv', 'Threshold', 'XnorConv', 'Epilogue']);
    const r = rng(8);
    const samples = Array.from({ length: 60 }, () => sampleFromRaw(float.inputs[0].type, Array.from({ length: 192 }, () => Math.floor(r() * 256) - 128), q, lowered.inputs[0].type.shape));
    const report = checkModel(float, lowered, samples);
    expect(report.agreement).toBe(1);
    for (const l of report.layers) expect(l.identical).toBe(l.bits);
  });

  it('a scale that leaves x·2 − 1 off the Quant grid (2⁻⁸ with a shift of −1.5): not taken as the input quantization', () => {
    const net = new Net(1411, { dtype: 'float32', shape: SHAPE }).arith('Mul', [2]).arith('Add', [-1.5]);
    net.unary('Quant', [net.f32('s', [], [0.3]), net.f32('z', [], [0]), net.f32('bw', [], [8])], { signed: 1, narrow: 0, rounding_mode: 'ROUND' }, QONNX);
    net.conv(8).bn().sign().flatten().dense(3).output();
    expect(modelInputQuant(net.float())).toBeUndefined();
    const e = errorOf(net);
    expect(e.code).toBe('BNNC_E163');
    expect(e.where.op).toBe('Quant');
  });

  for (const { target, tools } of [{ target: 'host', tools: ['gcc'] }, { target: 'cortex-m4', tools: ['arm-none-eabi-gcc', 'qemu-system-arm'] }]) {
    it.skipIf(!tools.every(hasTool))(`as C on ${target}, bit for bit (skipped without ${tools.join(', ')})`, () => {
      const lowered = lowerModel(g());
      const r = rng(9);
      const inputs = Array.from({ length: 12 }, () => tensor('int8', [...lowered.inputs[0].type.shape], Array.from({ length: 192 }, () => Math.floor(r() * 256) - 128)));
      const report = verifyOnTarget(lowered, loadTarget(target), inputs);
      expect(report.ran).toBe(true);
      expect(report.firstMismatches).toEqual([]);
      expect(report.mismatchedVectors).toBe(0);
    });
  }
});
