// remove-identity: Identity and inference-mode Dropout nodes disappear, their consumers reading the input
// instead; one that produces a graph output stays, so the model's output names survive. Bit-exact.
import { describe, expect, it } from 'vitest';
import type { Graph } from '../../src/ir/types.js';
import { runPipeline } from '../../src/passes/index.js';
import { inferAndFold } from '../../src/passes/infer-and-fold.js';
import { removeIdentity } from '../../src/passes/remove-identity.js';
import { randomTensor, rng, type ModelIn } from '../helpers/onnx-build.js';
import { expectSameOutputs, imported, ops, seededFeeds } from './equivalence.js';

/** The pass repeated until it settles, as the pipeline driver runs it (which also verifies each result). */
const settle = (g: Graph) => runPipeline(g, [{ name: 'remove-identity', run: removeIdentity }]);

describe('remove-identity', () => {
  const r = rng(910);
  const m: ModelIn = {
    opset: 13,
    inputs: [{ name: 'x', dtype: 'float32', shape: [1, 2, 5, 5] }],
    outputs: [{ name: 'y', dtype: 'float32' }, { name: 'z', dtype: 'float32' }],
    nodes: [
      { op: 'Identity', inputs: ['x'], outputs: ['x1'] },
      { op: 'Conv', inputs: ['x1', 'w'], outputs: ['c'], attrs: { kernel_shape: [3, 3] } },
      { op: 'Dropout', inputs: ['c'], outputs: ['d'] },
      { op: 'Identity', inputs: ['d'], outputs: ['d1'] },
      { op: 'Relu', inputs: ['d1'], outputs: ['r'] },
      { op: 'Sign', inputs: ['d1'], outputs: ['s'] },
      { op: 'Mul', inputs: ['r', 's'], outputs: ['rs'] },
      { op: 'Identity', inputs: ['rs'], outputs: ['y'] },
      { op: 'Neg', inputs: ['x1'], outputs: ['z'] },
    ],
    initializers: { w: randomTensor(r, 'float32', [2, 2, 3, 3]) },
  };

  it('removes Identity and Dropout, rewires every consumer, keeps the Identity naming a graph output', () => {
    const before = inferAndFold(imported(m));
    const after = settle(before);
    expect(ops(before)).toEqual(['Identity', 'Conv', 'Dropout', 'Identity', 'Relu', 'Sign', 'Mul', 'Identity', 'Neg']);
    expect(ops(after)).toEqual(['Conv', 'Relu', 'Sign', 'Mul', 'Identity', 'Neg']);
    expect(after.nodes[0].inputs[0]).toBe('x');
    expect(after.nodes[1].inputs).toEqual(['c']);
    expect(after.nodes[2].inputs).toEqual(['c']);
    expect(after.nodes[4].outputs).toEqual(['y']);
    expect(after.nodes[5].inputs).toEqual(['x']);
    expect([...after.outputs]).toEqual(['y', 'z']);
    for (const gone of ['x1', 'd', 'd1']) expect(after.types.has(gone), gone).toBe(false);
    expectSameOutputs(before, after, seededFeeds(before, 5, 911));
  });

  it('removes one node per call and returns the very same graph once none is left', () => {
    const before = inferAndFold(imported(m));
    const once = removeIdentity(before);
    expect(once).not.toBe(before);
    expect(once.nodes.length).toBe(before.nodes.length - 1);
    expectSameOutputs(before, once, seededFeeds(before, 2, 913));
    const done = settle(before);
    expect(removeIdentity(done)).toBe(done);
  });

  it('keeps a Dropout whose mask is read, and a chain of Identities ending at the output keeps its last', () => {
    const model: ModelIn = {
      opset: 13,
      inputs: [{ name: 'x', dtype: 'float32', shape: [3, 4] }],
      outputs: [{ name: 'y', dtype: 'float32' }, { name: 'mask', dtype: 'bool' }],
      nodes: [
        { op: 'Dropout', inputs: ['x'], outputs: ['d', 'mask'] },
        { op: 'Identity', inputs: ['d'], outputs: ['i1'] },
        { op: 'Identity', inputs: ['i1'], outputs: ['i2'] },
        { op: 'Identity', inputs: ['i2'], outputs: ['y'] },
      ],
    };
    const before = inferAndFold(imported(model));
    const after = settle(before);
    expect(ops(after)).toEqual(['Dropout', 'Identity']);
    expect(after.nodes[1].inputs).toEqual(['d']);
    expect(after.nodes[1].outputs).toEqual(['y']);
    expectSameOutputs(before, after, seededFeeds(before, 3, 912));
  });
});
