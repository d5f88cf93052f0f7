// Pad against onnxruntime, bit-exact: opset 7's attribute form, opset 11+'s input form (with and without
// constant_value), opset 18's axes, opset 19's wrap; constant, reflect and edge modes; negative pads.
import { describe, expect, it } from 'vitest';
import { tensor } from '../../src/ir/tensor.js';
import type { DType } from '../../src/ir/types.js';
import { importModelBytes } from '../../src/onnx/import.js';
import { inferAndFold } from '../../src/passes/infer-and-fold.js';
import { buildModel, compareWithOrt, randomTensor, rng, type AttrIn } from '../helpers/onnx-build.js';

const X = [2, 3, 4, 5];
const PADS: Record<string, number[]> = {
  zero: [0, 0, 0, 0, 0, 0, 0, 0],
  spatial: [0, 0, 1, 2, 0, 0, 2, 1],
  all: [1, 0, 3, 2, 0, 2, 1, 4],
  crop: [0, -1, 1, -2, 0, 1, -1, 2],
};

describe('Pad opset 7 (attributes) against onnxruntime', () => {
  for (const mode of ['constant', 'reflect', 'edge']) {
    for (const [p, pads] of Object.entries(PADS)) {
      it(`${mode} ${p} [${pads}]`, async () => {
        const attrs: Record<string, AttrIn> = { mode, pads, ...(mode === 'constant' ? { value: { float: 2.5 } } : {}) };
        await compareWithOrt({
          inputs: [{ name: 'x', dtype: 'float32', shape: X }],
          outputs: [{ name: 'y', dtype: 'float32' }],
          nodes: [{ op: 'Pad', inputs: ['x'], outputs: ['y'], attrs }],
          opset: 7,
        }, { x: randomTensor(rng(3000), 'float32', X) }, { ulps: 0 });
      });
    }
  }
});

describe('Pad opset 11+ (inputs) against onnxruntime', () => {
  const cases: { opset: number; mode: string; pads: number[]; dtype?: DType; value?: number; axes?: number[]; x?: number[] }[] = [
    { opset: 11, mode: 'constant', pads: PADS.all, value: -7 },
    { opset: 11, mode: 'constant', pads: PADS.spatial },
    { opset: 11, mode: 'reflect', pads: PADS.spatial },
    { opset: 11, mode: 'edge', pads: PADS.crop },
    { opset: 13, mode: 'constant', pads: PADS.crop, dtype: 'int32', value: 9 },
    { opset: 13, mode: 'constant', pads: PADS.spatial, dtype: 'int64', value: -3 },
    { opset: 13, mode: 'edge', pads: PADS.all, dtype: 'uint8' },
    { opset: 13, mode: 'reflect', pads: [3, 2, 3, 1], x: [4, 5] },
    { opset: 18, mode: 'constant', pads: [1, 2, 3, 0], axes: [-1, 2], value: 1.5 },
    { opset: 18, mode: 'reflect', pads: [2, 1], axes: [3] },
    { opset: 19, mode: 'wrap', pads: [0, 0, 2, 3, 0, 0, 1, 4] },
    { opset: 21, mode: 'edge', pads: [1, 1], axes: [0] },
  ];
  it.each(cases.map((c, i) => [JSON.stringify(c), c, i] as const))('%s', async (_, c, i) => {
    const dtype = c.dtype ?? 'float32';
    const x = c.x ?? X;
    const inputs = ['x', 'pads', c.value !== undefined ? 'cv' : '', ...(c.axes ? ['axes'] : [])];
    while (inputs[inputs.length - 1] === '') inputs.pop();
    await compareWithOrt({
      inputs: [{ name: 'x', dtype, shape: x }],
      outputs: [{ name: 'y', dtype }],
      nodes: [{ op: 'Pad', inputs, outputs: ['y'], attrs: { mode: c.mode } }],
      initializers: {
        pads: tensor('int64', [c.pads.length], c.pads),
        ...(c.value !== undefined ? { cv: tensor(dtype, [], [c.value]) } : {}),
        ...(c.axes ? { axes: tensor('int64', [c.axes.length], c.axes) } : {}),
      },
      opset: c.opset,
    }, { x: randomTensor(rng(3100 + i), dtype, x, dtype === 'uint8' ? 0 : -50, 50) }, { ulps: 0 });
  });
});

describe('Pad diagnostics', () => {
  const compile = (pads: 'input' | number[], mode = 'constant') => () => inferAndFold(importModelBytes(buildModel({
    inputs: [{ name: 'x', dtype: 'float32', shape: [2, 3] }, ...(pads === 'input' ? [{ name: 'pads', dtype: 'int64' as const, shape: [4] }] : [])],
    outputs: [{ name: 'y', dtype: 'float32' }],
    nodes: [{ op: 'Pad', name: 'pad', inputs: ['x', 'pads'], outputs: ['y'], attrs: { mode } }],
    initializers: pads === 'input' ? {} : { pads: tensor('int64', [pads.length], pads) },
  })));
  it('needs constant pads (E021, naming the node)', () => {
    expect(compile('input')).toThrow(expect.objectContaining({ code: 'BNNC_E021', where: expect.objectContaining({ node: 'pad' }) }));
  });
  it('rejects a pads list of the wrong length (E009)', () => {
    expect(compile([1, 1, 1])).toThrow(expect.objectContaining({ code: 'BNNC_E009' }));
  });
  it('rejects reflect pads as large as the axis (E017), as onnxruntime does', () => {
    expect(compile([0, 3, 0, 0], 'reflect')).toThrow(expect.objectContaining({ code: 'BNNC_E017' }));
  });
  it('rejects an unknown mode (E017)', () => {
    expect(compile([1, 1, 1, 1], 'mirror')).toThrow(expect.objectContaining({ code: 'BNNC_E017' }));
  });
});
