// Conv against onnxruntime over a grid of channels, kernels, strides, pads, dilations, groups, auto_pad and
// bias, in 1-D, 2-D and 3-D; within the summation bound of sum-bound.ts (K = C/group·Πkernel + 1 terms).
import { describe, expect, it } from 'vitest';
import { CompileError } from '../../src/errors.js';
import { importModelBytes } from '../../src/onnx/import.js';
import { inferAndFold } from '../../src/passes/infer-and-fold.js';
import { buildModel, randomTensor, rng, type AttrIn } from '../helpers/onnx-build.js';
import { compareWithinSumBound } from './sum-bound.js';

interface ConvCase {
  x: number[];          // [N, C, spatial…]
  m: number;            // output channels
  kernel: number[];
  group?: number;
  bias?: boolean;
  attrs?: Record<string, AttrIn>;
}

function name(c: ConvCase): string {
  const a = Object.entries(c.attrs ?? {}).map(([k, v]) => `${k}=${JSON.stringify(v)}`).join(' ');
  return `x[${c.x}] M${c.m} k[${c.kernel}] g${c.group ?? 1}${c.bias ? ' +bias' : ''} ${a}`;
}

async function check(c: ConvCase, seed: number): Promise<void> {
  const r = rng(seed);
  const group = c.group ?? 1;
  const cg = c.x[1] / group;
  const w = randomTensor(r, 'float32', [c.m, cg, ...c.kernel]);
  const b = randomTensor(r, 'float32', [c.m]);
  await compareWithinSumBound({
    inputs: [{ name: 'x', dtype: 'float32', shape: c.x }],
    outputs: [{ name: 'y', dtype: 'float32' }],
    nodes: [{ op: 'Conv', inputs: c.bias ? ['x', 'w', 'b'] : ['x', 'w'], outputs: ['y'], attrs: { ...c.attrs, ...(group > 1 ? { group } : {}) } }],
    initializers: c.bias ? { w, b } : { w },
  }, { x: randomTensor(r, 'float32', c.x) }, cg * c.kernel.reduce((p, q) => p * q, 1) + 1);
}

const PADS: Record<string, number[] | undefined> = { none: undefined, one: [1, 1, 1, 1], asym: [0, 1, 2, 1] };

const dense: ConvCase[] = [];
for (const ch of [1, 3, 5]) for (const k of [1, 3, 5]) for (const s of [1, 2]) for (const p of Object.keys(PADS)) for (const d of [1, 2]) {
  dense.push({
    x: [2, ch, 11, 10], m: 4, kernel: [k, k], bias: (dense.length & 1) === 1,
    attrs: { ...(s > 1 ? { strides: [s, s] } : {}), ...(PADS[p] ? { pads: PADS[p]! } : {}), ...(d > 1 ? { dilations: [d, d] } : {}) },
  });
}

const grouped: ConvCase[] = [];
for (const [ch, m, g] of [[4, 6, 2], [6, 4, 2], [3, 3, 3], [5, 10, 5], [8, 8, 8]]) for (const k of [1, 3]) for (const s of [1, 2]) for (const p of Object.keys(PADS)) {
  grouped.push({
    x: [1, ch, 9, 8], m, kernel: [k, k], group: g, bias: (grouped.length & 1) === 0,
    attrs: { ...(s > 1 ? { strides: [s, s] } : {}), ...(PADS[p] ? { pads: PADS[p]! } : {}) },
  });
}

const autoPadded: ConvCase[] = [];
for (const auto of ['SAME_UPPER', 'SAME_LOWER', 'VALID']) for (const k of [2, 3, 4]) for (const s of [1, 2, 3]) {
  autoPadded.push({ x: [1, 3, 9, 8], m: 2, kernel: [k, k + 1], bias: true, attrs: { auto_pad: auto, strides: [s, s] } });
}

const otherRanks: ConvCase[] = [
  { x: [2, 3, 17], m: 4, kernel: [3], bias: true, attrs: { strides: [2], pads: [1, 2], dilations: [2] } },
  { x: [1, 4, 12], m: 2, kernel: [5], group: 2, attrs: { auto_pad: 'SAME_LOWER' } },
  { x: [1, 1, 30], m: 3, kernel: [1], bias: true },
  { x: [1, 2, 5, 6, 4], m: 3, kernel: [3, 2, 3], bias: true, attrs: { pads: [1, 0, 1, 1, 1, 0], strides: [1, 2, 1] } },
  { x: [1, 3, 7, 6], m: 2, kernel: [3, 3], attrs: { kernel_shape: [3, 3], pads: [2, 2, 2, 2] } },
];

describe('Conv against onnxruntime', () => {
  it.each(dense.map((c, i) => [name(c), c, i] as const))('dense %s', async (_, c, i) => check(c, 100 + i));
  it.each(grouped.map((c, i) => [name(c), c, i] as const))('grouped %s', async (_, c, i) => check(c, 300 + i));
  it.each(autoPadded.map((c, i) => [name(c), c, i] as const))('auto_pad %s', async (_, c, i) => check(c, 500 + i));
  it.each(otherRanks.map((c, i) => [name(c), c, i] as const))('1-D / 3-D / kernel_shape %s', async (_, c, i) => check(c, 700 + i));
});

describe('Conv diagnostics', () => {
  const compile = (w: number[], attrs: Record<string, AttrIn> = {}) => () => inferAndFold(importModelBytes(buildModel({
    inputs: [{ name: 'x', dtype: 'float32', shape: [1, 3, 8, 8] }],
    outputs: [{ name: 'y', dtype: 'float32' }],
    nodes: [{ op: 'Conv', name: 'conv1', inputs: ['x', 'w'], outputs: ['y'], attrs }],
    initializers: { w: randomTensor(rng(1), 'float32', w) },
  })));

  it('rejects a weight whose channel count does not match the input (E009, naming the node)', () => {
    const run = compile([4, 2, 3, 3]);
    expect(run).toThrow(CompileError);
    expect(run).toThrow(expect.objectContaining({ code: 'BNNC_E009', where: expect.objectContaining({ node: 'conv1' }) }));
  });
  it('rejects a kernel_shape that disagrees with the weight (E009)', () => {
    expect(compile([4, 3, 3, 3], { kernel_shape: [5, 5] })).toThrow(expect.objectContaining({ code: 'BNNC_E009' }));
  });
  it('rejects a kernel larger than the padded input (E009)', () => {
    expect(compile([4, 3, 9, 9])).toThrow(expect.objectContaining({ code: 'BNNC_E009' }));
  });
  it('rejects an unknown auto_pad (E017)', () => {
    expect(compile([4, 3, 3, 3], { auto_pad: 'SAME' })).toThrow(expect.objectContaining({ code: 'BNNC_E017' }));
  });
});
