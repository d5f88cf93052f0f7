// k-bit activations (issue #12 items 1–2): binary-weight MLPs and CNNs whose activations the model itself
// quantizes (QONNX Quant, FINN MultiThreshold, the plain Div/Round/Clip/Mul fake quantizer) lower to
// bnnc.MultiThreshold → bnnc.IntConv. Checked against the float model on seeded raw inputs: the integer
// level of every activation (the lowered q against the float quantizer's output, inverted by its grid) and
// the top-1 class. With power-of-two α and an x/256 input every float sum is exact, so every level must
// agree; with α anywhere the float model's own rounding may move a value across a level boundary, rarely.
import { describe, expect, it } from 'vitest';
import { lowerModel } from '../../src/compile.js';
import { CompileError } from '../../src/errors.js';
import { runBnnc, runOrt } from '../helpers/onnx-build.js';
import { run } from '../../src/interp/run.js';
import { tensor } from '../../src/ir/tensor.js';
import type { Graph } from '../../src/ir/types.js';
import { type Built, cnn, FORMS, mlp, quantizedOutput } from './int-nets.js';
import { Net, Q256, QONNX, rawSamples } from './net.js';

interface Agreement { levels: number; equal: number; samples: number; top1: number; lowered: Graph; distinct: number[] }

/** Runs float and lowered models on `n` seeded raw inputs: level equality per activation, top-1 agreement. */
function compare({ net, acts }: Built, n: number, seed = 3): Agreement {
  const float = net.float();
  const lowered = lowerModel(float, { inputQuant: Q256 });
  const samples = rawSamples(float, lowered, Q256, n, seed);
  let levels = 0, equal = 0, top1 = 0;
  const seen = acts.map(() => new Set<number>());
  for (const s of samples) {
    const fv = run(float, { [float.inputs[0].name]: s.x }, { keepAll: true });
    const lv = run(lowered, { [lowered.inputs[0].name]: s.q }, { keepAll: true });
    for (const [k, a] of acts.entries()) {
      const mt = lowered.nodes.find((m) => m.domain === 'bnnc' && m.op === 'MultiThreshold' && m.name === a.node);
      expect(mt, `a bnnc.MultiThreshold for '${a.node}'`).toBeDefined();
      const q = lv.get(mt!.outputs[0])!;
      // the float tensor the levels stand for: the quantizer's output, or what a max-pool made of it
      const f = fv.get(mt!.outputs[0].replace(/__q(_\d+)?$/, ''))!;
      const [, H, W, C] = q.shape;
      for (let c = 0; c < C; c++) {
        for (let p = 0; p < H * W; p++) {
          levels++;
          seen[k].add(q.data[p * C + c]);
          if (Math.round(f.data[c * H * W + p] / a.scale + a.zp) === q.data[p * C + c]) equal++;
        }
      }
    }
    const out = float.outputs[0];
    const fo = fv.get(out)!.data, lo = lv.get(out)!.data;
    const argmax = (d: ArrayLike<number>) => Array.from(d).reduce((b, v, i, arr) => (v > arr[b] ? i : b), 0);
    if (argmax(fo) === argmax(lo)) top1++;
  }
  return { levels, equal, samples: samples.length, top1, lowered, distinct: seen.map((x) => x.size) };
}

describe('k-bit activations: every quantizer form, MLP and CNN, exact float sums', () => {
  for (const form of FORMS) {
    for (const [bits, signed] of [[2, false], [4, true], [8, false]] as const) {
      it(`${form.name}, W1A${bits} ${signed ? 'signed' : 'unsigned'}: every level and every top-1 equal`, () => {
        for (const [build, seed] of [[mlp, 11], [cnn, 12]] as const) {
          const r = compare(build(form, bits, signed, 'pow2', seed + bits), 40);
          expect(r.equal, `${build.name}: levels equal`).toBe(r.levels);
          expect(r.top1, `${build.name}: top-1 agreement`).toBe(r.samples);
          // not vacuous: the activations spread over the grid (3 of 2 bits’ levels, a fair part of 4 and 8)
          for (const d of r.distinct) expect(d, `${build.name}: distinct levels`).toBeGreaterThanOrEqual(Math.min(2 ** bits - 1, 12));
          const ops = r.lowered.nodes.map((m) => m.op);
          expect(ops.filter((o) => o === 'MultiThreshold')).toHaveLength(2);
          // the first batch norm's γ < 0 channels decrease: counted as a ≤ T
          const first = r.lowered.nodes.find((m) => m.op === 'MultiThreshold')!;
          expect(Array.from(r.lowered.initializers.get(first.inputs[2])!.data)).toContain(-1);
          expect(r.lowered.nodes.filter((m) => m.op === 'IntConv' && m.attrs.layout === 'NHWC')).toHaveLength(2);
        }
      });
    }
  }
});

describe('k-bit activations as a graph output', () => {
  for (const form of FORMS) {
    it(`${form.name}: the output is the float quantizer's output bit for bit (level table)`, () => {
      const { net } = quantizedOutput(form, 3, true, 'alpha', 21);
      const float = net.float();
      const lowered = lowerModel(float, { inputQuant: Q256 });
      expect(lowered.nodes.map((m) => m.op).slice(-2)).toEqual(['Dequantize', 'Reshape']);
      let same = 0, all = 0;
      for (const s of rawSamples(float, lowered, Q256, 30, 5)) {
        const f = run(float, { [float.inputs[0].name]: s.x }).get(float.outputs[0])!;
        const l = run(lowered, { [lowered.inputs[0].name]: s.q }).get(float.outputs[0])!;
        expect([...l.shape]).toEqual([...f.shape]);
        for (let i = 0; i < f.data.length; i++, all++) if (f.data[i] === l.data[i]) same++; // a level 0 may be −0 in the float model (round(−0.3)), +0 here
      }
      // α anywhere: the float model's own sums round, so a rare value may sit one level off
      expect(same / all).toBeGreaterThanOrEqual(0.995);
    });
  }
});

describe('activation quantizers bnnc cannot represent: coded errors naming the node', () => {
  /** conv → bn → Quant(scale, zero point, bits) built by `q` → dense; the CompileError of lowering it. */
  function quantError(q: (net: Net) => void): CompileError {
    const net = new Net(900, { dtype: 'float32', shape: [1, 2, 6, 6] }).conv(8).bn();
    q(net);
    net.flatten().dense(3).output();
    try {
      lowerModel(net.float(), { inputQuant: Q256 });
    } catch (e) {
      if (e instanceof CompileError) return e;
      throw e;
    }
    throw new Error('lowering succeeded; expected a CompileError');
  }
  const quantNode = (net: Net, s: string, z: string, bw: string, attrs: Record<string, number> = {}) =>
    net.unary('Quant', [s, z, bw], { signed: 1, narrow: 0, rounding_mode: 'ROUND', ...attrs }, QONNX);

  it('a computed scale: BNNC_E110', () => {
    // the scale is the mean of another layer's output (an input-dependent scale, as dynamic quantization has)
    const net = new Net(901, { dtype: 'float32', shape: [1, 2, 6, 6] });
    const other = net.conv(8).x;
    net.x = 'x';
    net.C = 2; net.H = 6; net.W = 6;
    net.conv(8).bn();
    const y = net.x;
    const s = net.node('Abs', [net.node('ReduceMean', [other], { keepdims: 0 })[0]])[0];
    net.x = y;
    quantNode(net, s, net.f32('z', [], [0]), net.f32('bw', [], [4]));
    net.flatten().dense(3).output();
    let e: unknown;
    try { lowerModel(net.float(), { inputQuant: Q256 }); } catch (x) { e = x; }
    expect(e).toBeInstanceOf(CompileError);
    expect((e as CompileError).code).toBe('BNNC_E110');
    expect((e as CompileError).where.op).toBe('Quant');
    expect((e as CompileError).detail).toMatch(/scale .* computed/);
  });
  it('a bit width above 8: BNNC_E111', () => {
    const e = quantError((net) => quantNode(net, net.f32('s', [], [0.01]), net.f32('z', [], [0]), net.f32('bw', [], [12])));
    expect(e.code).toBe('BNNC_E111');
    expect(e.detail).toMatch(/bit width 12/);
  });
  it('a scale that varies inside a channel: BNNC_E112', () => {
    const e = quantError((net) => quantNode(net, net.f32('s', [1, 1, 4, 4], Array.from({ length: 16 }, (_, i) => 0.1 + i / 100)), net.f32('z', [], [0]), net.f32('bw', [], [4])));
    expect(e.code).toBe('BNNC_E112');
  });
  it('a scale per channel: BNNC_E113', () => {
    const e = quantError((net) => quantNode(net, net.f32('s', [1, 8, 1, 1], Array.from({ length: 8 }, (_, i) => 0.1 + i / 100)), net.f32('z', [], [0]), net.f32('bw', [], [4])));
    expect(e.code).toBe('BNNC_E113');
  });
  it('a zero point that is not an integer: BNNC_E114', () => {
    const e = quantError((net) => quantNode(net, net.f32('s', [], [0.25]), net.f32('z', [], [0.5]), net.f32('bw', [], [4])));
    expect(e.code).toBe('BNNC_E114');
    expect(e.detail).toMatch(/zero point is 0\.5/);
  });
  it('a plain fake quantizer reaching more than 256 integers: BNNC_E111', () => {
    const e = quantError((net) => net.arith('Div', [0.001]).unary('Round').arith('Mul', [0.001]));
    expect(e.code).toBe('BNNC_E111');
    expect(e.detail).toMatch(/levels/);
  });
});

describe('k-bit activations with α anywhere (float sums round): agreement on 1000 random inputs', () => {
  const forms = FORMS.filter((f) => /^(Quant ROUND|MultiThreshold|Div\/Round\/Clip\/Mul \(round-clip\))$/.test(f.name));
  for (const form of forms) {
    for (const bits of [2, 4, 8]) {
      it(`${form.name}, W1A${bits}: top-1 and levels agree ≥ 99.9 %`, () => {
        for (const [build, seed] of [[mlp, 31], [cnn, 32]] as const) {
          const r = compare(build(form, bits, bits === 4, 'alpha', seed + bits), 1000, 17);
          expect(r.top1 / r.samples, `${build.name}: top-1 agreement`).toBeGreaterThanOrEqual(0.999);
          expect(r.equal / r.levels, `${build.name}: levels equal`).toBeGreaterThanOrEqual(0.999);
        }
      });
    }
  }
});

describe('the plain-ONNX fake quantizer: the float semantics the lowering reproduces are onnxruntime\'s', () => {
  for (const form of FORMS.filter((f) => f.name.startsWith('Div/Round'))) {
    it(`${form.name}: the quantized activations of the float model equal onnxruntime's, and the lowered ones`, async () => {
      const { net } = quantizedOutput(form, 4, true, 'alpha', 55);
      const bytes = net.bytes();
      const float = net.float();
      const lowered = lowerModel(float, { inputQuant: Q256 });
      let same = 0, all = 0;
      for (const s of rawSamples(float, lowered, Q256, 20, 9)) {
        const o = (await runOrt(bytes, { x: s.x }))[float.outputs[0]];
        const b = runBnnc(bytes, { x: s.x })[float.outputs[0]];
        const l = run(lowered, { [lowered.inputs[0].name]: s.q }).get(float.outputs[0])!;
        expect(Array.from(b.data), 'interpreter = onnxruntime').toEqual(Array.from(o.data));
        for (let i = 0; i < o.data.length; i++, all++) if (o.data[i] === l.data[i]) same++;
      }
      expect(same / all, 'lowered = onnxruntime').toBeGreaterThanOrEqual(0.995);
    });
  }
});

describe('a multi-level quantizer followed by an op that is not a scalar Mul / Div / Add / Sub', () => {
  it('Quant then a Relu before the layer: BNNC_E031 naming the quantizer and the op after it', () => {
    const net = new Net(902, { dtype: 'float32', shape: [1, 2, 6, 6] }).conv(8).bn();
    net.unary('Quant', [net.f32('s', [], [0.25]), net.f32('z', [], [0]), net.f32('bw', [], [4])], { signed: 1, narrow: 0, rounding_mode: 'ROUND' }, QONNX);
    const q = net.nodes.at(-1)!.name!;
    net.unary('Relu');
    const relu = net.nodes.at(-1)!.name!;
    net.flatten().dense(3).output();
    let e: unknown;
    try { lowerModel(net.float(), { inputQuant: Q256 }); } catch (x) { e = x; }
    expect((e as CompileError).code).toBe('BNNC_E031');
    expect((e as CompileError).detail).toContain(`'${q}' (Quant), a multi-level activation (4-bit: 16 levels), through Relu '${relu}'`);
  });
});
