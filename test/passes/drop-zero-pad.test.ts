// drop-zero-pad: a Pad of all-zero pads becomes an Identity, which remove-identity takes out (the pair as
// the import pipeline runs it). Checked: the model before the pass against onnxruntime, after against before
// (bit-exact), a Pad that pads something kept, and a binary network with PyTorch's zero-width Pad between
// the batch norm and the pool lowering to integer ops only.
import { describe, expect, it } from 'vitest';
import { tensor } from '../../src/ir/tensor.js';
import type { Graph } from '../../src/ir/types.js';
import { dropZeroPad } from '../../src/passes/drop-zero-pad.js';
import { IMPORT_PIPELINE, runPipeline } from '../../src/passes/index.js';
import { inferAndFold } from '../../src/passes/infer-and-fold.js';
import { removeIdentity } from '../../src/passes/remove-identity.js';
import type { ModelIn } from '../helpers/onnx-build.js';
import { lowerAndCheck, loweredOps, Net, Q256 } from '../lower/net.js';
import { expectSameOutputs, imported, ops, seededFeeds } from './equivalence.js';
import { expectMatchesOrt } from './forms.js';

const settle = (g: Graph) => runPipeline(g, [{ name: 'drop-zero-pad', run: dropZeroPad }, { name: 'remove-identity', run: removeIdentity }]);

/** PyTorch's AvgPool2d(padding=0) export: Pad(x, pads = 0, value 0) → AveragePool. */
const pytorch = (pads: number[]): ModelIn => ({
  opset: 13,
  inputs: [{ name: 'x', dtype: 'float32', shape: [1, 3, 6, 6] }],
  outputs: [{ name: 'y', dtype: 'float32' }],
  nodes: [
    { op: 'Pad', inputs: ['x', 'pads', 'v'], outputs: ['p'], attrs: { mode: 'constant' } },
    { op: 'AveragePool', inputs: ['p'], outputs: ['y'], attrs: { kernel_shape: [2, 2], strides: [2, 2] } },
  ],
  initializers: { pads: tensor('int64', [8], pads), v: tensor('float32', [], [0]) },
});

describe('drop-zero-pad', () => {
  it('PyTorch form (pads as an input, opset 13): the Pad and its constants go', async () => {
    const m = pytorch([0, 0, 0, 0, 0, 0, 0, 0]);
    const before = inferAndFold(imported(m));
    const after = settle(before);
    expect(ops(after)).toEqual(['AveragePool']);
    expect(after.nodes[0].inputs).toEqual(['x']);
    for (const gone of ['p', 'pads', 'v']) expect(after.types.has(gone), gone).toBe(false);
    expect([...after.initializers.keys()]).toEqual([]);
    const feeds = seededFeeds(before, 4, 51);
    await expectMatchesOrt(m, before, feeds, { absTol: 1e-6 }); // onnxruntime averages in another order
    expectSameOutputs(before, after, feeds);
  });

  it('opset 10 form (pads as an attribute), reflect mode: dropped too', async () => {
    const m: ModelIn = {
      opset: 10,
      inputs: [{ name: 'x', dtype: 'float32', shape: [2, 3, 4] }],
      outputs: [{ name: 'y', dtype: 'float32' }],
      nodes: [
        { op: 'Pad', inputs: ['x'], outputs: ['p'], attrs: { mode: 'reflect', pads: [0, 0, 0, 0, 0, 0] } },
        { op: 'Relu', inputs: ['p'], outputs: ['y'] },
      ],
    };
    const before = inferAndFold(imported(m));
    const after = settle(before);
    expect(ops(after)).toEqual(['Relu']);
    const feeds = seededFeeds(before, 3, 52);
    await expectMatchesOrt(m, before, feeds);
    expectSameOutputs(before, after, feeds);
  });

  it('a Pad that pads (or crops) anything stays; one naming a graph output stays as its Identity', async () => {
    const m = pytorch([0, 0, 0, 1, 0, 0, 0, 0]);
    const g = inferAndFold(imported(m));
    expect(dropZeroPad(g)).toBe(g);
    await expectMatchesOrt(m, g, seededFeeds(g, 2, 53), { absTol: 1e-6 });
    const out: ModelIn = {
      opset: 13,
      inputs: [{ name: 'x', dtype: 'float32', shape: [2, 3] }],
      outputs: [{ name: 'y', dtype: 'float32' }],
      nodes: [{ op: 'Pad', inputs: ['x', 'pads'], outputs: ['y'] }],
      initializers: { pads: tensor('int64', [4], [0, 0, 0, 0]) },
    };
    const before = inferAndFold(imported(out));
    const after = settle(before);
    expect(ops(after)).toEqual(['Identity']);
    expectSameOutputs(before, after, seededFeeds(before, 2, 54));
  });

  it('a binary CNN with a zero-width Pad before the max-pool on the sums lowers to integer ops only', () => {
    const net = new Net(55, { dtype: 'float32', shape: [1, 2, 8, 8] });
    net.conv(16, { pads: [1, 1, 1, 1] }).bn({ neg: [3] }).pad([0, 0, 0, 0], 0).maxPool(2, 2).sign().flatten().dense(4, { bias: true }).output();
    const float = net.float();
    expect(ops(float)).not.toContain('Pad');
    const { lowered } = lowerAndCheck(float, Q256, { n: 20 });
    expect(loweredOps(lowered)).toEqual(['IntConv', 'AccPool', 'Threshold', 'XnorConv', 'Epilogue']);
  });

  it('runs in the import pipeline, before remove-identity', () => {
    const names = IMPORT_PIPELINE.map((p) => p.name);
    expect(names.indexOf('drop-zero-pad')).toBeGreaterThanOrEqual(0);
    expect(names.indexOf('drop-zero-pad')).toBeLessThan(names.indexOf('remove-identity'));
  });
});
