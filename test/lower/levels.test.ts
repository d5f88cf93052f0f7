// Two-level activations with any levels a < b (issue #13 item 3): ±α, {0, 1}, a shifted pair, each after a
// first layer and feeding a binary layer, with and without padding; FINN's streamlined XnorPopcount form
// (MultiThreshold → {0, 1} → XnorPopcountMatMul). Every bit and the top-1 class must match the float model
// (lowerAndCheck); the float models built of standard ops are checked against onnxruntime first, and one
// {0, 1} network with padding runs as C on the host and on the emulated Cortex-M4, bit for bit.
import { describe, expect, it } from 'vitest';
import { loadTarget } from '../../src/backend/target.js';
import { verifyOnTarget } from '../../src/backend/verify.js';
import { tensor } from '../../src/ir/tensor.js';
import { rng } from '../helpers/onnx-build.js';
import { hasTool } from '../helpers/resources.js';
import { expectMatchesOrt } from '../passes/forms.js';
import { lowerAndCheck, loweredOps, Net, Q256, QONNX } from './net.js';

/** A binarizer of the current tensor with the two levels [lo, hi]: hi where x > t (per channel, near the centre). */
function whereLevels(net: Net, lo: number, hi: number): void {
  const t = net.stat.mean.map((m, c) => Math.fround(m + (net.r() - 0.5) * 0.5 * net.stat.std[c]));
  const [cond] = net.node('Greater', [net.x, net.f32('t', net.chShape(), t)]);
  net.node('Where', [cond, net.f32('hi', [], [hi]), net.f32('lo', [], [lo])]);
  net.stat = { mean: new Array<number>(net.C).fill((lo + hi) / 2), std: new Array<number>(net.C).fill((hi - lo) / 2) };
}

const FORMS: Record<string, { levels: [number, number]; make: (net: Net) => void }> = {
  'BipolarQuant with scale 2 (±2)': { levels: [-2, 2], make: (net) => void net.center().unary('BipolarQuant', [net.f32('s', [], [2])], undefined, QONNX) },
  'signed 1-bit Quant with scale 0.5 (qonnx: bipolar, ±0.5)': { levels: [-0.5, 0.5], make: (net) => void net.center().unary('Quant', [net.f32('s', [], [0.5]), net.f32('z', [], [0]), net.f32('bw', [], [1])],
    { signed: 1, narrow: 0, rounding_mode: 'ROUND' }, QONNX) },
  'unsigned 1-bit Quant (0/1)': { levels: [0, 1], make: (net) => void net.center().unary('Quant', [net.f32('s', [], [1]), net.f32('z', [], [0]), net.f32('bw', [], [1])],
    { signed: 0, narrow: 0, rounding_mode: 'ROUND' }, QONNX) },
  'MultiThreshold with out_scale 1, out_bias 0 (0/1)': { levels: [0, 1], make: (net) => {
    const th = net.stat.mean.map((m, c) => Math.fround(m + (net.r() - 0.5) * 0.5 * net.stat.std[c]));
    net.unary('MultiThreshold', [net.f32('th', [net.C, 1], th)], { out_scale: { float: 1 }, out_bias: { float: 0 } }, QONNX);
  } },
  'MultiThreshold with out_scale 0.75, out_bias 0.25 (0.25, 1)': { levels: [0.25, 1], make: (net) => {
    const th = net.stat.mean.map((m, c) => Math.fround(m + (net.r() - 0.5) * 0.5 * net.stat.std[c]));
    net.unary('MultiThreshold', [net.f32('th', [net.C, 1], th)], { out_scale: { float: 0.75 }, out_bias: { float: 0.25 } }, QONNX);
  } },
  'Where(Greater(x, t), 1, 0) (0/1)': { levels: [0, 1], make: (net) => whereLevels(net, 0, 1) },
  'Where(Greater(x, t), 0.5, −0.5) (±0.5)': { levels: [-0.5, 0.5], make: (net) => whereLevels(net, -0.5, 0.5) },
  'Where(Greater(x, t), 3, 1) (1, 3)': { levels: [1, 3], make: (net) => whereLevels(net, 1, 3) },
};

describe('two-level activations with any levels, into a dense layer and into a conv', () => {
  it.each(Object.keys(FORMS).map((name, i) => ({ name, seed: 1200 + i })))('$name', ({ name, seed }) => {
    const { levels, make } = FORMS[name];
    // unpadded conv (any levels), then a dense layer
    const net = new Net(seed, { dtype: 'float32', shape: [1, 2, 7, 7] }).conv(16).bn();
    make(net);
    net.binary().conv(12, { w: 'pow2', bias: true }).bn();
    make(net);
    net.binary().flatten().dense(5, { bias: true, w: 'pow2' }).output();
    const { lowered, report } = lowerAndCheck(net, Q256);
    expect(report.layers.length).toBe(2);
    expect(loweredOps(lowered)).toEqual(['IntConv', 'Threshold', 'XnorConv', 'Threshold', 'XnorConv', 'Epilogue']);
    const th = lowered.nodes.filter((n) => n.op === 'Threshold');
    for (const n of th) expect(n.attrs.levels ?? [-1, 1]).toEqual(levels);
  });

  it.each([
    { name: '{0, 1} padded with 0: the pads are the low level (pad bit −1)', lo: 0, hi: 1, pad: -1 },
    { name: '±0.5 padded with 0: a padding tap adds nothing (pad bit 0)', lo: -0.5, hi: 0.5, pad: 0 },
    { name: '{−2, 0} padded with 0: the pads are the high level (pad bit +1)', lo: -2, hi: 0, pad: 1 },
  ])('$name', ({ lo, hi, pad }) => {
    const net = new Net(1230 + pad, { dtype: 'float32', shape: [1, 3, 6, 6] }).conv(16, { pads: [1, 1, 1, 1] }).bn();
    whereLevels(net, lo, hi);
    net.binary().conv(8, { pads: [1, 1, 1, 1], w: 'pow2' }).bn();
    whereLevels(net, lo, hi);
    net.binary().maxPool().flatten().dense(4, { bias: true }).output();
    const { lowered } = lowerAndCheck(net, Q256);
    const xnor = lowered.nodes.find((n) => n.op === 'XnorConv')!;
    expect(xnor.attrs.pad_value).toBe(pad);
  });

  it('the float models of these forms agree with onnxruntime', async () => {
    const net = new Net(1240, { dtype: 'float32', shape: [1, 3, 6, 6] }).conv(16, { pads: [1, 1, 1, 1] }).bn();
    whereLevels(net, 0, 1);
    net.binary().conv(8, { pads: [1, 1, 1, 1] }).bn();
    whereLevels(net, 1, 3);
    net.binary().flatten().dense(4, { bias: true }).output();
    const r = rng(3);
    const feeds = Array.from({ length: 5 }, () => ({ x: tensor('float32', [1, 3, 6, 6], Array.from({ length: 108 }, () => Math.floor(r() * 256) / 256)) }));
    await expectMatchesOrt({ inputs: [{ name: 'x', dtype: 'float32', shape: [1, 3, 6, 6] }], outputs: net.outputs, nodes: net.nodes, initializers: net.inits }, net.float(), feeds, { ulps: 4, absTol: 1e-5 });
    lowerAndCheck(net, Q256);
  });
});

/**
 * FINN's streamlined TFC form: a first dense layer, then MultiThreshold giving {0, 1} into XnorPopcountMatMul
 * with {0, 1} weights (popcount of agreements), twice, then a scale and ArgMax-ready logits.
 */
function finnXnor(seed: number): Net {
  const net = new Net(seed, { dtype: 'float32', shape: [1, 64] }).dense(32).bn();
  const mt = (n: Net) => {
    const th = n.stat.mean.map((m, c) => Math.fround(m + (n.r() - 0.5) * 0.5 * n.stat.std[c]));
    n.unary('MultiThreshold', [n.f32('th', [n.C, 1], th)], { out_scale: { float: 1 }, out_bias: { float: 0 } }, QONNX);
    n.stat = { mean: new Array<number>(n.C).fill(0.5), std: new Array<number>(n.C).fill(0.5) };
  };
  const xnor = (n: Net, M: number) => {
    const K = n.C;
    const B = Array.from({ length: K * M }, () => (n.r() < 0.5 ? 0 : 1));
    n.node('XnorPopcountMatMul', [n.x, n.f32('B', [K, M], B)], undefined, { domain: QONNX });
    n.C = M;
    n.stat = { mean: new Array<number>(M).fill(K / 2), std: new Array<number>(M).fill(Math.sqrt(K) / 2) };
  };
  mt(net);
  xnor(net, 24);
  mt(net);
  xnor(net, 10);
  net.arith('Mul', [0.125]).arith('Add', [-1.5]).output();
  return net;
}

describe("FINN's XnorPopcountMatMul on {0, 1} activations", () => {
  it('lowers to XnorConv layers; every bit and every logit (within the bound) agree', () => {
    const { lowered, report } = lowerAndCheck(finnXnor(1250), Q256);
    expect(report.layers.length).toBe(2);
    expect(loweredOps(lowered)).toEqual(['Reshape', 'IntConv', 'Threshold', 'XnorConv', 'Threshold', 'XnorConv', 'Epilogue']);
  });

  it('the seeds 1251–1254 too', () => {
    for (let s = 1251; s <= 1254; s++) lowerAndCheck(finnXnor(s), Q256);
  });
});

describe('as C, bit for bit with the reference interpreter', () => {
  const net = () => {
    const n = new Net(1260, { dtype: 'float32', shape: [1, 3, 8, 8] }).conv(16, { pads: [1, 1, 1, 1] }).bn();
    whereLevels(n, 0, 1);
    n.binary().conv(40, { pads: [1, 1, 1, 1], w: 'alpha' }).bn();
    whereLevels(n, -2, 2);
    n.binary().maxPool().flatten().dense(10, { bias: true }).output();
    return n;
  };
  const inputs = (shape: readonly number[]) => {
    const r = rng(11);
    const size = shape.reduce((a, b) => a * b, 1);
    return Array.from({ length: 12 }, () => tensor('uint8', shape, Array.from({ length: size }, () => Math.floor(r() * 256))));
  };
  for (const { target, tools } of [{ target: 'host', tools: ['gcc'] }, { target: 'cortex-m4', tools: ['arm-none-eabi-gcc', 'qemu-system-arm'] }]) {
    it.skipIf(!tools.every(hasTool))(`${target}: {0, 1} with zero padding, then ±2 (skipped without ${tools.join(', ')})`, () => {
      const { lowered } = lowerAndCheck(net(), Q256, { minBits: 0.99 });
      const report = verifyOnTarget(lowered, loadTarget(target), inputs(lowered.inputs[0].type.shape));
      expect(report.ran).toBe(true);
      expect(report.firstMismatches).toEqual([]);
      expect(report.mismatchedVectors).toBe(0);
      expect(report.vectors).toBe(12);
    });
  }
});

