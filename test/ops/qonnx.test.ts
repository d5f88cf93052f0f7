// QONNX / FINN custom ops: onnxruntime cannot run them, so every expected value below is worked out by hand
// from qonnx's Python code (src/qonnx/custom_op/general/*.py), with the derivation beside each tricky one.
// Models go through the real path: ONNX bytes → import (domain mapping, attributes) → shape inference → eval.
import { existsSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { CompileError } from '../../src/errors.js';
import { tensor } from '../../src/ir/tensor.js';
import type { Tensor } from '../../src/ir/types.js';
import { importModelBytes } from '../../src/onnx/import.js';
import { lookupOp } from '../../src/ops/index.js';
import { buildModel, runBnnc, type AttrIn, type ModelIn } from '../helpers/onnx-build.js';

const QONNX = 'qonnx.custom_op.general';
const DOMAINS = ['onnx.brevitas', 'qonnx.custom_op.general', 'finn.custom_op.general', 'finn', ''];
const f32 = (shape: number[], values: number[]) => tensor('float32', shape, values);

/** Signed zeros and NaN made visible, so that -0 vs 0 is part of every comparison. */
const show = (vs: ArrayLike<number>) => Array.from(vs, (v) => (Object.is(v, -0) ? '-0' : String(v)));

function expectValues(t: Tensor, shape: number[], values: number[]): void {
  expect(t.dtype).toBe('float32');
  expect([...t.shape]).toEqual(shape);
  expect(show(t.data)).toEqual(show(values));
}

interface OneNode {
  op: string;
  domain?: string;
  /** Graph inputs, fed at run time. */
  feeds: Record<string, Tensor>;
  /** Constant operands (scale, bit width, thresholds). */
  consts?: Record<string, Tensor>;
  inputs: string[];
  attrs?: Record<string, AttrIn>;
}

function model(n: OneNode): ModelIn {
  const domain = n.domain ?? QONNX;
  return {
    inputs: Object.entries(n.feeds).map(([name, t]) => ({ name, dtype: t.dtype, shape: [...t.shape] })),
    outputs: [{ name: 'y', dtype: 'float32' }],
    initializers: n.consts,
    domains: domain === '' ? {} : { [domain]: 1 },
    nodes: [{ op: n.op, domain, inputs: n.inputs, outputs: ['y'], attrs: n.attrs }],
  };
}

function run1(n: OneNode): Tensor {
  return runBnnc(buildModel(model(n)), n.feeds).y;
}

function expectCode(f: () => unknown, code: string, detail?: RegExp): void {
  let err: unknown;
  try { f(); } catch (e) { err = e; }
  expect(err, 'expected a CompileError').toBeInstanceOf(CompileError);
  expect((err as CompileError).code).toBe(code);
  if (detail) expect((err as CompileError).detail).toMatch(detail);
}

/** A Quant node on input x[n] with constant scale, zero point and bit width. */
function quant(x: number[], o: { scale?: Tensor; zeropt?: Tensor; bitwidth?: Tensor; attrs?: Record<string, AttrIn> }): Tensor {
  return run1({
    op: 'Quant',
    feeds: { x: f32([x.length], x) },
    consts: { scale: o.scale ?? f32([], [1]), zeropt: o.zeropt ?? f32([], [0]), bitwidth: o.bitwidth ?? f32([], [8]) },
    inputs: ['x', 'scale', 'zeropt', 'bitwidth'],
    attrs: { signed: 1, narrow: 0, ...o.attrs },
  });
}

describe('BipolarQuant', () => {
  it('[6] with a scalar scale: 0 and -0 give +scale, NaN gives -scale (np.where(x >= 0, 1, -1) * scale)', () => {
    const y = run1({
      op: 'BipolarQuant', domain: 'onnx.brevitas',
      feeds: { x: f32([6], [-2, -0, 0, 1.401298464324817e-45, NaN, 3]) },
      consts: { s: f32([], [0.5]) },
      inputs: ['x', 's'],
    });
    // -2 < 0 → -0.5; -0 >= 0 and 0 >= 0 → +0.5; the smallest denormal > 0 → +0.5; NaN >= 0 is false → -0.5
    expectValues(y, [6], [-0.5, 0.5, 0.5, 0.5, -0.5, 0.5]);
  });

  it('[2,3] with a per-row scale [2,1]; [3] with scale [2,1] broadcasts up to [2,3]', () => {
    const y = run1({
      op: 'BipolarQuant',
      feeds: { x: f32([2, 3], [1, -1, 0, -3, 4, -0]) },
      consts: { s: f32([2, 1], [2, 0.25]) },
      inputs: ['x', 's'],
    });
    expectValues(y, [2, 3], [2, -2, 2, -0.25, 0.25, 0.25]);
    const z = run1({
      op: 'BipolarQuant',
      feeds: { x: f32([3], [-1, 0, 1]) },
      consts: { s: f32([2, 1], [3, -1]) },
      inputs: ['x', 's'],
    });
    // a negative scale flips the signs: (-1)·(-1) = 1 and (+1)·(-1) = -1
    expectValues(z, [2, 3], [-3, 3, 3, 1, -1, -1]);
  });
});

describe('Quant', () => {
  // qonnx docs' rounding table (docs/qonnx-custom-ops/quant_op.md), checked against the code's formulas; scale 1,
  // zero point 0, 8-bit signed, so no clipping. 1.6f = 1.60000002 and 1.1f = 1.10000002 round like 1.6 and 1.1.
  const X = [5.5, 2.5, 1.6, 1.1, 1.0, -1.0, -1.1, -1.6, -2.5, -5.5];
  const TABLE: Record<string, number[]> = {
    ROUND: [6, 2, 2, 1, 1, -1, -1, -2, -2, -6], // np.round: ties to even (5.5 → 6, 2.5 → 2, -2.5 → -2)
    CEIL: [6, 3, 2, 2, 1, -1, -1, -1, -2, -5],
    FLOOR: [5, 2, 1, 1, 1, -1, -2, -2, -3, -6],
    UP: [6, 3, 2, 2, 1, -1, -2, -2, -3, -6], // sign(x)·ceil(|x|): away from zero
    DOWN: [5, 2, 1, 1, 1, -1, -1, -1, -2, -5], // np.fix: toward zero
    HALF_UP: [6, 3, 2, 1, 1, -1, -1, -2, -3, -6], // sign(x)·floor(|x| + 0.5): ties away from zero
    HALF_DOWN: [5, 2, 2, 1, 1, -1, -1, -2, -2, -5], // sign(x)·ceil(|x| - 0.5): ties toward zero
  };
  for (const [mode, expected] of Object.entries(TABLE)) {
    it(`[10] rounding_mode ${mode} matches the qonnx table`, () => {
      expectValues(quant(X, { attrs: { rounding_mode: mode } }), [10], expected);
    });
  }

  it('[10] mode names are case-insensitive; HALF_EVEN = ROUND; ROUND_TO_ZERO (Brevitas) = DOWN', () => {
    expectValues(quant(X, { attrs: { rounding_mode: 'half_up' } }), [10], TABLE.HALF_UP);
    expectValues(quant(X, { attrs: { rounding_mode: 'HALF_EVEN' } }), [10], TABLE.ROUND);
    expectValues(quant(X, { attrs: { rounding_mode: 'ROUND_TO_ZERO' } }), [10], TABLE.DOWN);
    expectValues(quant(X, {}), [10], TABLE.ROUND); // the default mode is ROUND
  });

  it('[6] float32 quirks: ties at ±0.5, 0.49999997 + 0.5 rounding to 1, and the signs of zero results', () => {
    const x = [0.5, -0.5, 0.4999999701976776, 0.3, 0, -0];
    // y = fl(x/1) + 0: -0 + 0 = +0, so the last input reaches the rounding as +0.
    // ROUND: rint(0.5) = 0, rint(-0.5) = -0 (and -0 - 0 = -0 survives), the rest 0
    expectValues(quant(x, { attrs: { rounding_mode: 'ROUND' } }), [6], [0, -0, 0, 0, 0, 0]);
    // HALF_UP: 0.4999999702 + 0.5 = 1 - 2^-25 is a float32 tie between 1 - 2^-24 and 1; even → 1, floor → 1.
    // sign(0)·floor(0.5) = 0·0 = 0
    expectValues(quant(x, { attrs: { rounding_mode: 'HALF_UP' } }), [6], [1, -1, 1, 0, 0, 0]);
    // HALF_DOWN: 0.5 → 1·ceil(0) = 0; -0.5 → -1·ceil(0) = -0; 0.49999997 → 1·ceil(-2.98e-8) = 1·(-0) = -0;
    // 0.3 → 1·ceil(-0.2) = -0; 0 → sign(0)·ceil(-0.5) = 0·(-0) = -0
    expectValues(quant(x, { attrs: { rounding_mode: 'HALF_DOWN' } }), [6], [0, -0, -0, -0, -0, -0]);
  });

  it('[1] 32-bit: 8388609 ± 0.5 is not a float32, so HALF_UP and HALF_DOWN move off the integer', () => {
    const bitwidth = f32([], [32]);
    // float32 spacing at 2^23 is 1: 8388609.5 ties to even 8388610, 8388608.5 ties to even 8388608
    expectValues(quant([8388609], { bitwidth, attrs: { rounding_mode: 'ROUND' } }), [1], [8388609]);
    expectValues(quant([8388609], { bitwidth, attrs: { rounding_mode: 'HALF_UP' } }), [1], [8388610]);
    expectValues(quant([8388609], { bitwidth, attrs: { rounding_mode: 'HALF_DOWN' } }), [1], [8388608]);
  });

  it('[6] 4-bit clipping, signed/unsigned × narrow/wide, scale 0.5: clamp first, round second', () => {
    const x = [-10, -3.75, -1.25, 0.75, 3.3, 100];
    // x / 0.5 = [-20, -7.5, -2.5, 1.5, 6.6, 200]
    const q = (signed: number, narrow: number) => quant(x, { scale: f32([], [0.5]), bitwidth: f32([], [4]), attrs: { signed, narrow } });
    // signed wide [-8, 7]: -20 → -8; -7.5 stays and ties to even -8; -2.5 → -2; 1.5 → 2; 6.6 → 7; 200 → 7; × 0.5
    expectValues(q(1, 0), [6], [-4, -4, -1, 1, 3.5, 3.5]);
    // signed narrow [-7, 7]: -7.5 < -7 is clamped to -7 before rounding (rounding first would give -8)
    expectValues(q(1, 1), [6], [-3.5, -3.5, -1, 1, 3.5, 3.5]);
    // unsigned wide [0, 15]: negatives → 0; 200 → 15
    expectValues(q(0, 0), [6], [0, 0, 0, 1, 3.5, 7.5]);
    // unsigned narrow [0, 14]: qonnx narrows unsigned ranges too (max_int = 2^b - 2)
    expectValues(q(0, 1), [6], [0, 0, 0, 1, 3.5, 7]);
  });

  it('[2,3] per-row scale [2,1], zero point 1, int32 bit width 3 unsigned, FLOOR', () => {
    const y = run1({
      op: 'Quant',
      feeds: { x: f32([2, 3], [0.2, 1.9, 10, -3, 5, 6.9]) },
      consts: { scale: f32([2, 1], [0.5, 2]), zeropt: f32([], [1]), bitwidth: tensor('int32', [], [3]) },
      inputs: ['x', 'scale', 'zeropt', 'bitwidth'],
      attrs: { signed: 0, narrow: 0, rounding_mode: 'FLOOR' },
    });
    // range [0, 7]. row 0 (scale 0.5): x/s + 1 = [1.4, 4.8, 21] → clamp [1.4, 4.8, 7] → floor [1, 4, 7]
    //   → (y - 1)·0.5 = [0, 1.5, 3]
    // row 1 (scale 2): x/s + 1 = [-0.5, 3.5, 4.45] → clamp [0, 3.5, 4.45] → floor [0, 3, 4] → (y - 1)·2 = [-2, 4, 6]
    expectValues(y, [2, 3], [0, 1.5, 3, -2, 4, 6]);
  });

  it('[6] 1-bit signed is a bipolar sign of x/scale + zeropt; narrow and rounding_mode are not used', () => {
    // x/0.25 = [-1.2, -0, 0, 0.04, NaN, 28], + 0 → >= 0 ? 1 : -1 → [-1, 1, 1, 1, -1, 1] → × 0.25
    const x = [-0.3, -0, 0, 0.01, NaN, 7];
    const expected = [-0.25, 0.25, 0.25, 0.25, -0.25, 0.25];
    const o = { scale: f32([], [0.25]), bitwidth: f32([], [1]) };
    expectValues(quant(x, { ...o, attrs: { narrow: 1, rounding_mode: 'FLOOR' } }), [6], expected);
    // qonnx never resolves the rounding mode on this path, so even an unknown one passes
    expectValues(quant(x, { ...o, attrs: { rounding_mode: 'NOT_A_MODE' } }), [6], expected);
  });

  it('[5] 1-bit unsigned clamps to [0, 1] and rounds (no bipolar special case)', () => {
    // clamp: [0, 0.3, 0.5, 0.6, 1] → ROUND: [0, 0, 0 (tie to even), 1, 1]
    expectValues(quant([-0.3, 0.3, 0.5, 0.6, 2], { bitwidth: f32([], [1]), attrs: { signed: 0 } }), [5], [0, 0, 0, 1, 1]);
  });
});

describe('MultiThreshold', () => {
  it('NCHW [1,2,2,2], thresholds [2,3]: inclusive at a threshold, duplicates count twice, NaN counts none', () => {
    const y = run1({
      op: 'MultiThreshold', domain: 'finn.custom_op.general',
      feeds: { x: f32([1, 2, 2, 2], [-1.5, -1, 0, 5, 0.4999999701976776, 0.5, 1.9, NaN]) },
      consts: { t: f32([2, 3], [-1, 0, 1, 0.5, 0.5, 2]) },
      inputs: ['x', 't'],
    });
    // channel 0, thresholds {-1, 0, 1}: -1.5 → 0; -1 → 1 (-1 >= -1); 0 → 2; 5 → 3
    // channel 1, thresholds {0.5, 0.5, 2}: 0.49999997 → 0; 0.5 → 2 (both 0.5s); 1.9 → 2; NaN → 0
    expectValues(y, [1, 2, 2, 2], [0, 1, 2, 3, 0, 2, 2, 0]);
  });

  it('NHWC [1,2,1,2] takes the last axis as channels, with out_scale 2 and out_bias -1', () => {
    const y = run1({
      op: 'MultiThreshold',
      feeds: { x: f32([1, 2, 1, 2], [0.5, 15, 1, 25]) },
      consts: { t: f32([2, 2], [0, 1, 10, 20]) },
      inputs: ['x', 't'],
      attrs: { data_layout: 'NHWC', out_scale: { float: 2 }, out_bias: { float: -1 } },
    });
    // elements in order (h,c): (0,0) 0.5 vs {0,1} → 1; (0,1) 15 vs {10,20} → 1; (1,0) 1 → 2; (1,1) 25 → 2
    // → 2·count - 1 = [1, 1, 3, 3]   (reading axis 1 as channels would give [1, 3, -1, 3])
    expectValues(y, [1, 2, 1, 2], [1, 1, 3, 3]);
  });

  it('FINN sign: [1,4] with global thresholds [1,1] = 0, out_scale 2, out_bias -1, out_dtype BIPOLAR', () => {
    const y = run1({
      op: 'MultiThreshold', domain: 'finn.custom_op.general',
      feeds: { x: f32([1, 4], [-0.5, 0, -0, 3]) },
      consts: { t: f32([1, 1], [0]) },
      inputs: ['x', 't'],
      attrs: { out_dtype: 'BIPOLAR', out_scale: { float: 2 }, out_bias: { float: -1 } },
    });
    // one threshold row shared by all 4 channels; 0 and -0 are >= 0 → 2·1 - 1 = 1; -0.5 → 2·0 - 1 = -1
    expectValues(y, [1, 4], [-1, 1, 1, 1]);
  });

  it('[1,1] out_scale·count + out_bias is computed in double and rounded once to float32', () => {
    const y = run1({
      op: 'MultiThreshold',
      feeds: { x: f32([1, 1], [5]) },
      consts: { t: f32([1, 3], [1, 2, 3]) },
      inputs: ['x', 't'],
      attrs: { out_scale: { float: 1.0000001192092896 }, out_bias: { float: -2.384185791015625e-7 } },
    });
    // count 3; s = 1 + 2^-23, b = -2^-22. In double: 3 + 3·2^-23 - 2^-22 = 3 + 2^-23, half a float32 step
    // (2^-22) above 3: a tie, to even → 3. (Rounding s·3 to float32 first would give 3 + 2^-21, then 3 + 2^-22.)
    expectValues(y, [1, 1], [3]);
  });

  it('NCHW with rank 3 uses the LAST axis as channels (qonnx reshapes to (-1, C))', () => {
    const y = run1({
      op: 'MultiThreshold',
      feeds: { x: f32([1, 2, 3], [0, 0, 0, 1, 1, 1]) },
      consts: { t: f32([3, 1], [0.5, -1, 2]) },
      inputs: ['x', 't'],
    });
    // channel = last index: c0 vs 0.5, c1 vs -1, c2 vs 2 → row 0: [0, 1, 0]; row 1: [1, 1, 0]
    expectValues(y, [1, 2, 3], [0, 1, 0, 1, 1, 0]);
  });
});

describe('XnorPopcountMatMul', () => {
  it('[2,3] × [3,2] over 0/1 bits counts agreements', () => {
    const y = run1({
      op: 'XnorPopcountMatMul',
      feeds: { a: f32([2, 3], [1, 0, 1, 0, 0, 0]) },
      consts: { b: f32([3, 2], [1, 0, 0, 0, 1, 1]) },
      inputs: ['a', 'b'],
    });
    // B's columns: [1,0,1] and [0,0,1]. row [1,0,1]: agrees with col 0 at 3 places, col 1 at 2 (k = 1, 2);
    // row [0,0,0]: col 0 at k = 1 only → 1; col 1 at k = 0, 1 → 2
    expectValues(y, [2, 2], [3, 2, 1, 2]);
  });

  it('batched A [2,1,3] × vector B [3] gives [2,1]', () => {
    const y = run1({
      op: 'XnorPopcountMatMul',
      feeds: { a: f32([2, 1, 3], [1, 1, 0, 0, 1, 1]) },
      consts: { b: f32([3], [0, 1, 1]) },
      inputs: ['a', 'b'],
    });
    // [1,1,0] vs [0,1,1]: agree at k = 1 → 1; [0,1,1] vs [0,1,1]: all 3
    expectValues(y, [2, 1], [1, 3]);
  });
});

describe('QONNX domains', () => {
  for (const domain of DOMAINS) {
    it(`'${domain}' reaches the same four ops`, () => {
      const bytes = buildModel({
        inputs: [{ name: 'x', dtype: 'float32', shape: [1, 2] }, { name: 'bits', dtype: 'float32', shape: [1, 2] }],
        outputs: ['bq', 'q', 'mt', 'xp'].map((name) => ({ name, dtype: 'float32' as const })),
        initializers: {
          s: f32([], [1]), z: f32([], [0]), bw: f32([], [2]), t: f32([1, 2], [0, 1]), w: f32([2, 1], [1, 1]),
        },
        domains: domain === '' ? {} : { [domain]: 1 },
        nodes: [
          { op: 'BipolarQuant', domain, inputs: ['x', 's'], outputs: ['bq'] },
          { op: 'Quant', domain, inputs: ['x', 's', 'z', 'bw'], outputs: ['q'], attrs: { signed: 1, narrow: 0 } },
          { op: 'MultiThreshold', domain, inputs: ['x', 't'], outputs: ['mt'], attrs: { out_dtype: 'UINT2' } },
          { op: 'XnorPopcountMatMul', domain, inputs: ['bits', 'w'], outputs: ['xp'] },
        ],
      });
      const g = importModelBytes(bytes);
      expect(g.nodes.map((n) => n.domain)).toEqual(['qonnx', 'qonnx', 'qonnx', 'qonnx']);
      const out = runBnnc(bytes, { x: f32([1, 2], [-3, 1]), bits: f32([1, 2], [0, 1]) });
      expectValues(out.bq, [1, 2], [-1, 1]);
      expectValues(out.q, [1, 2], [-2, 1]); // 2-bit signed: [-2, 1]; -3 → -2
      expectValues(out.mt, [1, 2], [0, 2]); // thresholds {0, 1}: -3 → 0, 1 → 2
      expectValues(out.xp, [1, 1], [1]); // bits [0,1] vs column [1,1]: they agree at k = 1 only
    });
  }
});

describe('QONNX errors', () => {
  it('MultiThreshold with data_layout NCWH → BNNC_E017', () => {
    expectCode(() => run1({
      op: 'MultiThreshold', feeds: { x: f32([1, 2], [0, 1]) }, consts: { t: f32([1, 1], [0]) }, inputs: ['x', 't'],
      attrs: { data_layout: 'NCWH' },
    }), 'BNNC_E017', /NCWH/);
  });

  it('MultiThreshold NHWC on a rank-3 input → BNNC_E017; thresholds for 3 channels on 2 → BNNC_E009', () => {
    expectCode(() => run1({
      op: 'MultiThreshold', feeds: { x: f32([1, 2, 2], [0, 1, 2, 3]) }, consts: { t: f32([1, 1], [0]) }, inputs: ['x', 't'],
      attrs: { data_layout: 'NHWC' },
    }), 'BNNC_E017');
    expectCode(() => run1({
      op: 'MultiThreshold', feeds: { x: f32([1, 2], [0, 1]) }, consts: { t: f32([3, 1], [0, 0, 0]) }, inputs: ['x', 't'],
    }), 'BNNC_E009');
  });

  it('Quant with a bit width computed at run time → BNNC_E021', () => {
    expectCode(() => runBnnc(buildModel({
      inputs: [{ name: 'x', dtype: 'float32', shape: [2] }, { name: 'bw', dtype: 'float32', shape: [] }],
      outputs: [{ name: 'y', dtype: 'float32' }],
      initializers: { s: f32([], [1]), z: f32([], [0]) },
      domains: { [QONNX]: 1 },
      nodes: [{ op: 'Quant', domain: QONNX, inputs: ['x', 's', 'z', 'bw'], outputs: ['y'], attrs: { signed: 1, narrow: 0 } }],
    }), { x: f32([2], [0, 1]), bw: f32([], [4]) }), 'BNNC_E021');
  });

  it('Quant: bit width 2.5 or 0 → BNNC_E017; unknown rounding_mode → BNNC_E017; no narrow → BNNC_E006', () => {
    expectCode(() => quant([1], { bitwidth: f32([], [2.5]) }), 'BNNC_E017', /bitwidth/);
    expectCode(() => quant([1], { bitwidth: f32([], [0]) }), 'BNNC_E017', /bitwidth/);
    expectCode(() => quant([1], { attrs: { rounding_mode: 'STOCHASTIC_ROUND' } }), 'BNNC_E017', /STOCHASTIC_ROUND/);
    expectCode(() => run1({
      op: 'Quant', feeds: { x: f32([1], [1]) },
      consts: { s: f32([], [1]), z: f32([], [0]), bw: f32([], [4]) },
      inputs: ['x', 's', 'z', 'bw'], attrs: { signed: 1 },
    }), 'BNNC_E006', /narrow/);
  });

  it('XnorPopcountMatMul with K 3 against B [2,2] → BNNC_E009', () => {
    expectCode(() => run1({
      op: 'XnorPopcountMatMul', feeds: { a: f32([1, 3], [0, 1, 0]) }, consts: { b: f32([2, 2], [0, 1, 1, 0]) }, inputs: ['a', 'b'],
    }), 'BNNC_E009', /K/);
  });
});

// The real exports in ../shared/models (absent from a fresh clone: then these skip).
const MODELS = new URL('../../../shared/models/', import.meta.url);
const haveModels = existsSync(new URL('tfc_w1a1.qonnx.onnx', MODELS));

describe.skipIf(!haveModels)('QONNX ops in the real exports of ../shared/models (skipped when that folder is absent)', () => {
  it('tfc_w1a1.qonnx.onnx: every BipolarQuant (onnx.brevitas) imports; weight ones give ±scale', () => {
    const g = importModelBytes(new Uint8Array(readFileSync(new URL('tfc_w1a1.qonnx.onnx', MODELS))));
    const bq = g.nodes.filter((n) => n.op === 'BipolarQuant');
    expect(bq.length).toBe(8);
    const def = lookupOp('qonnx', 'BipolarQuant')!;
    let weights = 0;
    for (const n of bq) {
      expect(n.domain).toBe('qonnx');
      const w = g.initializers.get(n.inputs[0]);
      const s = g.initializers.get(n.inputs[1])!;
      if (!w) continue;
      weights++;
      const [y] = def.eval({ node: n, attrs: n.attrs, opset: g.opset }, [w, s]);
      expect(y.data.every((v) => Math.abs(v) === Math.abs(s.data[0]))).toBe(true);
    }
    expect(weights).toBe(4);
  });

  it('tfc_w1a1.finn.onnx: MultiThreshold attributes (out_dtype BIPOLAR, out_scale 2, out_bias -1) resolve', () => {
    const g = importModelBytes(new Uint8Array(readFileSync(new URL('tfc_w1a1.finn.onnx', MODELS))));
    const mt = g.nodes.filter((n) => n.op === 'MultiThreshold');
    expect(mt.length).toBe(4);
    for (const n of mt) {
      expect(n.domain).toBe('qonnx');
      expect(n.attrs).toEqual({ out_dtype: 'BIPOLAR', out_scale: 2, out_bias: -1, data_layout: 'NCHW' });
    }
  });
});
