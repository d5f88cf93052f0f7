// narrow-constant-widths, with Pow's shape rule: an older FINN export (opset 9) whose Pow has a float32 base
// and a float64 constant exponent loads when every exponent value is a float32, and the exponent becomes a
// float32 constant. onnxruntime refuses the mixed model (shown below), so the golden values come from the
// same model with the exponent written as float32, which is what a value-preserving reading means. An
// exponent float32 cannot hold is BNNC_E085 naming the node; a computed float64 exponent stays BNNC_E010.
import { describe, expect, it } from 'vitest';
import { tensor } from '../../src/ir/tensor.js';
import type { Tensor } from '../../src/ir/types.js';
import { importModelBytes } from '../../src/onnx/import.js';
import { IMPORT_PIPELINE, runPipeline } from '../../src/passes/index.js';
import { inferAndFold } from '../../src/passes/infer-and-fold.js';
import { narrowConstantWidths } from '../../src/passes/narrow-constant-widths.js';
import { buildModel, type ModelIn, runOrt } from '../helpers/onnx-build.js';
import { lowerModel } from '../../src/compile.js';
import { Net, Q256 } from '../lower/net.js';
import { expectSameOutputs, imported, seededFeeds } from './equivalence.js';
import { expectMatchesOrt } from './forms.js';

const powModel = (e: Tensor, opset = 9): ModelIn => ({
  opset,
  inputs: [{ name: 'x', dtype: 'float32', shape: [2, 5] }],
  outputs: [{ name: 'y', dtype: 'float32' }],
  nodes: [
    { op: 'Relu', inputs: ['x'], outputs: ['r'] },
    { op: 'Pow', inputs: ['r', 'e'], outputs: ['y'], name: 'finn_pow' },
  ],
  initializers: { e },
});

describe('narrow-constant-widths', () => {
  it('opset 9 Pow(float32, float64 constant 2 and 0.5): loads, narrows, matches onnxruntime on the float32 model', async () => {
    for (const values of [[2], [0.5, 3, -1, 2, 0.25]]) {
      const shape = values.length === 1 ? [] : [5];
      const m = powModel(tensor('float64', shape, values));
      await expect(runOrt(buildModel(m), { x: tensor('float32', [2, 5], new Array<number>(10).fill(1)) })).rejects.toThrow(/bound to different types/);
      const before = inferAndFold(imported(m));
      const after = narrowConstantWidths(before);
      const e = after.initializers.get(after.nodes[1].inputs[1])!;
      expect(e.dtype).toBe('float32');
      expect([...e.data]).toEqual(values);
      expect(after.initializers.has('e')).toBe(false);
      expect(narrowConstantWidths(after)).toBe(after);
      const feeds = seededFeeds(before, 4, 91, 0.5, 3);
      await expectMatchesOrt(powModel(tensor('float32', shape, values)), after, feeds, { ulps: 1 });
      expectSameOutputs(before, after, feeds);
    }
  });

  it('an exponent float32 cannot hold is BNNC_E085 naming the node; a computed float64 exponent stays BNNC_E010', () => {
    expect(() => inferAndFold(imported(powModel(tensor('float64', [], [0.1]))))).toThrow(/BNNC_E085.*node 'finn_pow' \(Pow\), tensor 'e'.*0\.1/);
    const computed: ModelIn = {
      opset: 9,
      inputs: [{ name: 'x', dtype: 'float32', shape: [2] }, { name: 'p', dtype: 'float64', shape: [2] }],
      outputs: [{ name: 'y', dtype: 'float32' }],
      nodes: [{ op: 'Pow', inputs: ['x', 'p'], outputs: ['y'] }],
    };
    expect(() => inferAndFold(imported(computed))).toThrow(/BNNC_E010/);
  });

  it('from opset 12 a float64 exponent is legal: narrowed when exact, kept as it is otherwise', async () => {
    const exact = inferAndFold(imported(powModel(tensor('float64', [], [3]), 13)));
    expect(narrowConstantWidths(exact).initializers.get('e__f32')?.dtype).toBe('float32');
    const m = powModel(tensor('float64', [], [0.1]), 13);
    const inexact = inferAndFold(imported(m));
    expect(narrowConstantWidths(inexact)).toBe(inexact);
    await expectMatchesOrt(m, inexact, seededFeeds(inexact, 2, 92, 0.5, 3), { ulps: 1 });
  });

  it('a binary network exported at opset 9 with such a Pow after its last layer loads; the lowering refuses the Pow as compile does', () => {
    const net = new Net(93, { dtype: 'float32', shape: [1, 2, 6, 6] });
    net.conv(16, { pads: [1, 1, 1, 1] }).bn().sign().flatten().dense(4, { bias: true });
    const logits = net.x;
    net.nodes.push({ op: 'Pow', inputs: [logits, 'two'], outputs: ['y'], name: 'finn_pow' });
    const float = runPipeline(importModelBytes(buildModel({
      opset: 9, inputs: [{ name: 'x', dtype: 'float32', shape: [1, 2, 6, 6] }], outputs: [{ name: 'y', dtype: 'float32' }],
      nodes: net.nodes, initializers: { ...net.inits, two: tensor('float64', [], [2]) },
    })), IMPORT_PIPELINE);
    expect(float.initializers.get(float.nodes.find((n) => n.op === 'Pow')!.inputs[1])!.dtype).toBe('float32');
    // no back end runs a float Pow after the last layer: the lowering says so (BNNC_E160), as compile would
    expect(() => lowerModel(float, { inputQuant: Q256 })).toThrow(/BNNC_E160.*node 'finn_pow' \(Pow\)/);
  });
});
