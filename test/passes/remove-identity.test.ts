// remove-identity: Identity and inference-mode Dropout nodes disappear, their consumers reading the input
// instead; one that produces a graph output stays, so the model's output names survive. Bit-exact. One call
// removes all of them (a 100,000-node chain takes one changing round), and the driver's round limit grows
// with the graph.
import { describe, expect, it } from 'vitest';
import type { Graph } from '../../src/ir/types.js';
import { maxRounds, runPipeline } from '../../src/passes/index.js';
import { inferAndFold } from '../../src/passes/infer-and-fold.js';
import { removeIdentity } from '../../src/passes/remove-identity.js';
import { randomTensor, rng, type ModelIn, type NodeIn } from '../helpers/onnx-build.js';
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

  it('removes every removable node in one call, which then returns the very same graph', () => {
    const before = inferAndFold(imported(m));
    const once = removeIdentity(before);
    expect(ops(once)).toEqual(['Conv', 'Relu', 'Sign', 'Mul', 'Identity', 'Neg']);
    expect(removeIdentity(once)).toBe(once);
    expectSameOutputs(before, once, seededFeeds(before, 2, 913));
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

  it('a Dropout whose mask only an Identity nobody reads takes: both go in the same call', () => {
    const model: ModelIn = {
      opset: 13,
      inputs: [{ name: 'x', dtype: 'float32', shape: [2, 3] }],
      outputs: [{ name: 'y', dtype: 'float32' }],
      nodes: [
        { op: 'Dropout', inputs: ['x'], outputs: ['d', 'mask'] },
        { op: 'Identity', inputs: ['mask'], outputs: ['unread'] },
        { op: 'Relu', inputs: ['d'], outputs: ['y'] },
      ],
    };
    const before = inferAndFold(imported(model), { fold: false });
    const after = removeIdentity(before);
    expect(ops(after)).toEqual(['Relu']);
    expect(after.nodes[0].inputs).toEqual(['x']);
    for (const gone of ['d', 'mask', 'unread']) expect(after.types.has(gone), gone).toBe(false);
    expect(removeIdentity(after)).toBe(after);
    expectSameOutputs(before, after, seededFeeds(before, 2, 914));
  });

  it('100,000 Identity and Dropout nodes in a chain: the pipeline runs the pass in one changing round', () => {
    const n = 100_000;
    const nodes: NodeIn[] = Array.from({ length: n }, (_, i) => ({
      op: i % 3 === 2 ? 'Dropout' : 'Identity', inputs: [i === 0 ? 'x' : `t${i - 1}`], outputs: [`t${i}`],
    }));
    nodes.push({ op: 'Neg', inputs: [`t${n - 1}`], outputs: ['y'] });
    const before = inferAndFold(imported({
      opset: 13, inputs: [{ name: 'x', dtype: 'float32', shape: [1, 4] }], outputs: [{ name: 'y', dtype: 'float32' }], nodes,
    }));
    expect(before.nodes).toHaveLength(n + 1);
    const rounds: number[] = [];
    const after = runPipeline(before, [{ name: 'remove-identity', run: removeIdentity }], { after: (_, g) => rounds.push(g.nodes.length) });
    expect(rounds).toEqual([1]); // one changing round; the next call returned the graph as it was
    expect(ops(after)).toEqual(['Neg']);
    expect(after.nodes[0].inputs).toEqual(['x']);
    expect(after.types.size).toBe(2); // x and y
    expectSameOutputs(before, after, seededFeeds(before, 1, 915));
  });
});

describe('the pipeline driver', () => {
  it('allows more rounds than a graph has nodes and initializers, and reports a pass that never settles as a bug', () => {
    const g = inferAndFold(imported({
      opset: 13, inputs: [{ name: 'x', dtype: 'float32', shape: [2] }], outputs: [{ name: 'y', dtype: 'float32' }],
      nodes: [{ op: 'Relu', inputs: ['x'], outputs: ['y'] }],
    }));
    let calls = 0;
    // a new object every time, never the same: a pass that does not settle
    const restless = { name: 'restless', run: (h: Graph) => { calls++; return { ...h }; } };
    expect(() => runPipeline(g, [restless])).toThrow(/internal error.*pass 'restless' did not settle after 3 rounds/);
    expect(calls).toBe(maxRounds(g));
    expect(maxRounds(g)).toBe(g.nodes.length + g.initializers.size + 2);
    // a pass that changes one thing per round, for every node and initializer and one more, is within it
    let left = maxRounds(g) - 1;
    const slow = { name: 'slow', run: (h: Graph) => (left-- > 0 ? { ...h } : h) };
    expect(runPipeline(g, [slow])).not.toBe(g);
  });
});
