// k-bit activations (issue #12 items 1–2): binary-weight MLPs and CNNs whose activations the model itself
// quantizes (QONNX Quant, FINN MultiThreshold, the plain Div/Round/Clip/Mul fake quantizer) lower to
// bnnc.MultiThreshold → bnnc.IntConv. Checked against the float model on seeded raw inputs: the integer
// level of every activation (the lowered q against the float quantizer's output, inverted by its grid) and
// the top-1 class. With power-of-two α and an x/256 input every float sum is exact, so every level must
// agree; with α anywhere the float model's own rounding may move a value across a level boundary, rarely.
import { describe, expect, it } from 'vitest';
import { lowerModel } from '../../src/compile.js';
import { run } from '../../src/interp/run.js';
import { tensor } from '../../src/ir/tensor.js';
import type { Graph } from '../../src/ir/types.js';
import { type Built, cnn, FORMS, mlp, quantizedOutput } from './int-nets.js';
import { Q256, rawSamples } from './net.js';

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
