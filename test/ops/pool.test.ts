// MaxPool (bit-exact), AveragePool and GlobalAveragePool against onnxruntime over kernels, strides, pads,
// dilations, ceil_mode, count_include_pad and auto_pad; averages within the summation bound of
// sum-bound.ts (K = window size + 1 roundings: the sum, then one division).
import { describe, expect, it } from 'vitest';
import { importModelBytes } from '../../src/onnx/import.js';
import { inferAndFold } from '../../src/passes/infer-and-fold.js';
import type { DType } from '../../src/ir/types.js';
import { buildModel, compareWithOrt, randomTensor, rng, type AttrIn, type ModelIn } from '../helpers/onnx-build.js';
import { compareWithinSumBound } from './sum-bound.js';

interface PoolCase { x: number[]; attrs: Record<string, AttrIn>; opset?: number; dtype?: DType }

const name = (c: PoolCase) => `x[${c.x}] ${c.dtype ?? ''} ${Object.entries(c.attrs).map(([k, v]) => `${k}=${JSON.stringify(v)}`).join(' ')}${c.opset ? ` opset ${c.opset}` : ''}`;

function model(op: string, c: PoolCase): ModelIn {
  const dtype = c.dtype ?? 'float32';
  return {
    inputs: [{ name: 'x', dtype, shape: c.x }],
    outputs: [{ name: 'y', dtype }],
    nodes: [{ op, inputs: ['x'], outputs: ['y'], attrs: c.attrs }],
    opset: c.opset,
  };
}

const PADS: Record<string, number[] | undefined> = { none: undefined, one: [1, 1, 1, 1], asym: [0, 1, 1, 0] };

/** The 2-D grid: kernels × strides × pads × ceil_mode (pads stay below the kernel, as ONNX requires). */
function grid(extra: (i: number) => Record<string, AttrIn>): PoolCase[] {
  const out: PoolCase[] = [];
  for (const k of [[2, 2], [3, 3], [2, 3]]) for (const s of [1, 2, 3]) for (const p of Object.keys(PADS)) for (const ceil of [0, 1]) {
    out.push({
      x: [2, 3, 9, 8],
      attrs: { kernel_shape: k, ...(s > 1 ? { strides: [s, s] } : {}), ...(PADS[p] ? { pads: PADS[p]! } : {}), ...(ceil ? { ceil_mode: 1 } : {}), ...extra(out.length) },
    });
  }
  for (const auto of ['SAME_UPPER', 'SAME_LOWER', 'VALID']) for (const k of [[2, 2], [3, 2]]) for (const s of [1, 2]) {
    out.push({ x: [1, 2, 7, 8], attrs: { kernel_shape: k, auto_pad: auto, strides: [s, s], ...extra(out.length) } });
  }
  return out;
}

const maxCases: PoolCase[] = [
  ...grid(() => ({})),
  ...[1, 2].flatMap((d) => [0, 1].map((ceil): PoolCase => ({ x: [1, 2, 10, 9], attrs: { kernel_shape: [3, 2], dilations: [d, 2], pads: [1, 0, 2, 1], strides: [2, 1], ceil_mode: ceil } }))),
  { x: [2, 3, 15], attrs: { kernel_shape: [4], strides: [3], pads: [1, 2], ceil_mode: 1 } },
  { x: [1, 2, 5, 6, 7], attrs: { kernel_shape: [2, 3, 2], strides: [2, 2, 1], pads: [0, 1, 1, 1, 0, 0] } },
  { x: [1, 3, 6, 6], dtype: 'int8', attrs: { kernel_shape: [3, 3], strides: [2, 2], pads: [1, 1, 1, 1] } },
  { x: [1, 3, 6, 6], dtype: 'uint8', attrs: { kernel_shape: [2, 2], strides: [2, 2], ceil_mode: 1 } },
  { x: [1, 2, 7, 7], opset: 8, attrs: { kernel_shape: [3, 3], strides: [2, 2], storage_order: 0 } },
];

const avgCases: PoolCase[] = [
  ...grid((i) => ({ count_include_pad: (i >> 1) & 1 })),
  { x: [2, 3, 15], attrs: { kernel_shape: [4], strides: [3], pads: [1, 2], ceil_mode: 1, count_include_pad: 1 } },
  { x: [1, 2, 5, 6, 7], attrs: { kernel_shape: [2, 3, 2], strides: [2, 2, 1], pads: [0, 1, 1, 1, 0, 0] } },
  { x: [1, 2, 10, 9], opset: 19, attrs: { kernel_shape: [3, 2], dilations: [2, 2], pads: [1, 0, 1, 1] } },
  { x: [1, 2, 7, 7], opset: 7, attrs: { kernel_shape: [3, 3], strides: [2, 2], pads: [1, 1, 1, 1], count_include_pad: 1 } },
];

const windowSize = (c: PoolCase) => (c.attrs.kernel_shape as number[]).reduce((p, q) => p * q, 1);

describe('MaxPool against onnxruntime (bit-exact)', () => {
  it.each(maxCases.map((c, i) => [name(c), c, i] as const))('%s', async (_, c, i) => {
    const dtype = c.dtype ?? 'float32';
    await compareWithOrt(model('MaxPool', c), { x: randomTensor(rng(900 + i), dtype, c.x, dtype === 'uint8' ? 0 : -100, 100) }, { ulps: 0 });
  });
  it('rejects the Indices output (E017)', () => {
    const bytes = buildModel({
      inputs: [{ name: 'x', dtype: 'float32', shape: [1, 1, 4, 4] }],
      outputs: [{ name: 'y', dtype: 'float32' }, { name: 'i', dtype: 'int64' }],
      nodes: [{ op: 'MaxPool', name: 'pool', inputs: ['x'], outputs: ['y', 'i'], attrs: { kernel_shape: [2, 2] } }],
    });
    expect(() => inferAndFold(importModelBytes(bytes))).toThrow(expect.objectContaining({ code: 'BNNC_E017', where: expect.objectContaining({ node: 'pool' }) }));
  });
});

describe('pool diagnostics', () => {
  it.each(['MaxPool', 'AveragePool'])('%s rejects pads as large as the kernel (E017), as onnxruntime does', (op) => {
    const bytes = buildModel(model(op, { x: [1, 1, 6, 6], attrs: { kernel_shape: [2, 2], pads: [2, 0, 0, 0] } }));
    expect(() => inferAndFold(importModelBytes(bytes))).toThrow(expect.objectContaining({ code: 'BNNC_E017' }));
  });
});

describe('AveragePool against onnxruntime', () => {
  it.each(avgCases.map((c, i) => [name(c), c, i] as const))('%s', async (_, c, i) => {
    await compareWithinSumBound(model('AveragePool', c), { x: randomTensor(rng(1100 + i), 'float32', c.x) }, windowSize(c) + 1);
  });
});

describe('GlobalAveragePool against onnxruntime', () => {
  it.each([[2, 3, 5, 7], [1, 4, 9], [1, 2, 3, 4, 5], [1, 1, 1, 1], [1, 8, 28, 28]])('x[%s]', async (...x) => {
    const c: PoolCase = { x, attrs: {} };
    const plane = x.slice(2).reduce((p, q) => p * q, 1);
    await compareWithinSumBound(model('GlobalAveragePool', c), { x: randomTensor(rng(1300 + x.length), 'float32', x) }, plane + 1);
  });
});
