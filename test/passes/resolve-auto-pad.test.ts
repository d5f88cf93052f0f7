// resolve-auto-pad: auto_pad SAME_UPPER / SAME_LOWER / VALID on Conv, MaxPool and AveragePool become
// explicit pads. The pads are checked against values worked out by hand from the ONNX formula, the model
// before the pass against onnxruntime, the model after the pass against the one before (bit-exact), and a
// binary network whose convolutions say SAME_UPPER / SAME_LOWER lowers and runs bit-exact as C on the host.
import { describe, expect, it } from 'vitest';
import type { Graph } from '../../src/ir/types.js';
import { IMPORT_PIPELINE } from '../../src/passes/index.js';
import { inferAndFold } from '../../src/passes/infer-and-fold.js';
import { resolveAutoPad } from '../../src/passes/resolve-auto-pad.js';
import { type ModelIn, randomTensor, rng } from '../helpers/onnx-build.js';
import { lowerAndCheck, loweredOps, Net, Q256 } from '../lower/net.js';
import { expectSameOutputs, imported, seededFeeds } from './equivalence.js';
import { expectHostBitExact, expectMatchesOrt, HAS_GCC } from './forms.js';

type Op = 'Conv' | 'MaxPool' | 'AveragePool';

/** One windowed op on x [1, 2, h, w]; kernel [kh, kw], strides [s, s]. */
function model(op: Op, autoPad: string, h: number, w: number, k: number[], s: number, extra: Record<string, number> = {}): ModelIn {
  const r = rng(h * 100 + w * 10 + s);
  const attrs = { auto_pad: autoPad, kernel_shape: k, strides: [s, s], ...extra };
  return {
    opset: 13,
    inputs: [{ name: 'x', dtype: 'float32', shape: [1, 2, h, w] }],
    outputs: [{ name: 'y', dtype: 'float32' }],
    nodes: [{ op, inputs: op === 'Conv' ? ['x', 'w', 'b'] : ['x'], outputs: ['y'], attrs }],
    initializers: op === 'Conv' ? { w: randomTensor(r, 'float32', [3, 2, k[0], k[1]]), b: randomTensor(r, 'float32', [3]) } : {},
  };
}

const padsOf = (g: Graph) => [...(g.nodes[0].attrs.pads as number[])];

describe('resolve-auto-pad', () => {
  // in 7, k 4, s 2: out = ceil(7/2) = 4, total = (4 − 1)·2 + 4 − 7 = 3 → UPPER [1 | 2], LOWER [2 | 1];
  // in 6, k 3, s 1: out 6, total 2 → [1 | 1]; in 5, k 2, s 3: out 2, total = 3 + 2 − 5 = 0 → [0 | 0].
  const CASES: { name: string; ap: string; h: number; w: number; k: number[]; s: number; pads: number[] }[] = [
    { name: 'SAME_UPPER, odd total on both axes', ap: 'SAME_UPPER', h: 7, w: 7, k: [4, 4], s: 2, pads: [1, 1, 2, 2] },
    { name: 'SAME_LOWER, odd total on both axes', ap: 'SAME_LOWER', h: 7, w: 7, k: [4, 4], s: 2, pads: [2, 2, 1, 1] },
    { name: 'SAME_UPPER, even total, kernel 3×2', ap: 'SAME_UPPER', h: 6, w: 5, k: [3, 2], s: 1, pads: [1, 0, 1, 1] },
    { name: 'SAME_LOWER, no padding needed on one axis', ap: 'SAME_LOWER', h: 5, w: 6, k: [2, 3], s: 3, pads: [0, 0, 0, 0] },
    { name: 'VALID', ap: 'VALID', h: 7, w: 6, k: [3, 3], s: 2, pads: [0, 0, 0, 0] },
  ];
  for (const op of ['Conv', 'MaxPool', 'AveragePool'] as const) {
    it.each(CASES)(`${op}: $name`, async (c) => {
      const m = model(op, c.ap, c.h, c.w, c.k, c.s);
      const before = inferAndFold(imported(m));
      const after = resolveAutoPad(before);
      expect(after.nodes[0].attrs.auto_pad).toBe('NOTSET');
      expect(padsOf(after)).toEqual(c.pads);
      expect(resolveAutoPad(after)).toBe(after);
      const feeds = seededFeeds(before, 4, 31);
      await expectMatchesOrt(m, before, feeds, op === 'MaxPool' ? {} : { ulps: 4, absTol: 1e-5 });
      expectSameOutputs(before, after, feeds);
    });
  }

  it('AveragePool with count_include_pad counts the same padded cells after the pass', async () => {
    const m = model('AveragePool', 'SAME_LOWER', 7, 5, [4, 3], 2, { count_include_pad: 1 });
    const before = inferAndFold(imported(m));
    const after = resolveAutoPad(before);
    expect(padsOf(after)).toEqual([2, 1, 1, 1]);
    const feeds = seededFeeds(before, 4, 32);
    await expectMatchesOrt(m, before, feeds, { ulps: 4, absTol: 1e-6 });
    expectSameOutputs(before, after, feeds);
  });

  it('leaves NOTSET alone and returns the very same graph', () => {
    const g = inferAndFold(imported({ ...model('MaxPool', 'NOTSET', 6, 6, [2, 2], 2) }));
    expect(resolveAutoPad(g)).toBe(g);
  });

  it('a binary CNN with SAME_UPPER / SAME_LOWER convolutions and pool lowers, and runs bit-exact as C on the host', () => {
    // conv in 8, k 3, s 2: out 4, total 1 → SAME_UPPER [0 | 1]; pool in 4, k 3, s 2: out 2, total 1 →
    // SAME_LOWER [1 | 0]; conv in 2, k 3, s 1: total 2 → [1 | 1]
    const net = new Net(41, { dtype: 'float32', shape: [1, 2, 8, 8] });
    net.conv(12, { s: 2, pads: [1, 1, 1, 1] }).bn().sign().maxPool(3, 2, [1, 1, 0, 0]).conv(33, { pads: [1, 1, 1, 1] }).bn().sign();
    net.flatten().dense(5, { bias: true }).output();
    const convs = net.nodes.filter((n) => n.op === 'Conv');
    convs[0].attrs = { kernel_shape: [3, 3], strides: [2, 2], auto_pad: 'SAME_UPPER' };
    convs[1].attrs = { kernel_shape: [3, 3], auto_pad: 'SAME_LOWER' };
    net.nodes.find((n) => n.op === 'MaxPool')!.attrs = { kernel_shape: [3, 3], strides: [2, 2], auto_pad: 'SAME_LOWER' };
    const float = net.float();
    const padded = float.nodes.filter((n) => n.op === 'Conv' || n.op === 'MaxPool').map((n) => [n.attrs.auto_pad, ...(n.attrs.pads as number[])]);
    expect(padded).toEqual([['NOTSET', 0, 0, 1, 1], ['NOTSET', 1, 1, 0, 0], ['NOTSET', 1, 1, 1, 1]]);
    const { lowered } = lowerAndCheck(float, Q256, { n: 20 });
    expect(loweredOps(lowered)).toEqual(['IntConv', 'Threshold', 'BinaryMaxPool', 'XnorConv', 'Threshold', 'XnorConv', 'Epilogue']);
    if (!HAS_GCC) return void console.log('skipped the host run: gcc not found');
    expectHostBitExact(lowered, 42);
  });

  it('is in the import pipeline', () => {
    expect(IMPORT_PIPELINE.map((p) => p.name)).toContain('resolve-auto-pad');
  });
});
