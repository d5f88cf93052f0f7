// fuse-conv-threshold: group-1 conv → Threshold and conv → AccPool → Threshold chains become one fused bnnc op;
// anything else (grouped convs, a sum read twice or returned) stays. Before and after run bit-exactly the
// same in the interpreter on seeded inputs (the fused ops' eval composes the parts' evals).
import { describe, expect, it } from 'vitest';
import type { Graph } from '../../src/ir/types.js';
import { runPipeline } from '../../src/passes/index.js';
import { fuseConvThreshold } from '../../src/passes/fuse-conv-threshold.js';
import { buildNet, CASES, type NetCase } from '../backend/random-net.js';
import { expectSameOutputs, ops, seededFeeds } from './equivalence.js';

/** The pass repeated until it settles, as the pipeline driver runs it (which also verifies each result). */
const settle = (g: Graph) => runPipeline(g, [{ name: 'fuse-conv-threshold', run: fuseConvThreshold }]);

// conv → AccPool → Threshold twice (integer then binary conv, padded, odd channels), and a stride-2 first layer
const POOLED: NetCase = { seed: 31, c0: 2, h: 10, layers: [{ m: 33, k: 3, s: 1, pad: 1, pool: 'before' }, { m: 40, k: 3, s: 1, pad: 1, pool: 'before' }], dense: 4 };

describe('fuse-conv-threshold', () => {
  it('fuses conv → AccPool → Threshold and keeps every output bit-exact', () => {
    const g = buildNet(POOLED);
    expect(ops(g).slice(0, 6)).toEqual(['IntConv', 'AccPool', 'Threshold', 'XnorConv', 'AccPool', 'Threshold']);
    const f = settle(g);
    expect(ops(f).slice(0, 2)).toEqual(['IntConvPoolThreshold', 'XnorConvPoolThreshold']);
    expect(ops(f)).not.toContain('AccPool');
    expect(f.nodes[0].attrs).toMatchObject({ pool_kernel_shape: [2, 2], pool_node: g.nodes[1].name, threshold_node: g.nodes[2].name });
    expectSameOutputs(g, f, seededFeeds(g, 4, 61, 0, 255));
  });

  it.each(CASES.map((c) => [c.seed, c] as const))('random net %i: bit-exact, grouped convs left alone', (_, c) => {
    const g = buildNet(c);
    const f = settle(g);
    const grouped = g.nodes.filter((n) => n.op === 'XnorConv' && ((n.attrs.group as number | undefined) ?? 1) !== 1).length;
    // every conv layer of these nets ends in a sign: each ungrouped one is fused, each grouped one stays, and
    // so does the dense layer, whose sums feed the float epilogue
    expect(f.nodes.filter((n) => n.op === 'XnorConv' || n.op === 'IntConv').length).toBe(grouped + 1);
    expect(ops(f)).toContain('Epilogue');
    expect(f.nodes.filter((n) => /Conv(Pool)?Threshold$/.test(n.op)).length).toBe(c.layers.length - grouped);
    expectSameOutputs(g, f, seededFeeds(g, 3, 70 + c.seed, 0, 255));
  });

  it('keeps a conv whose sums are also a graph output, and settles in one round', () => {
    const g0 = buildNet(CASES[0]);
    const conv = g0.nodes.find((n) => n.op === 'IntConv')!;
    const g: Graph = { ...g0, outputs: [...g0.outputs, conv.outputs[0]] };
    const f = settle(g);
    expect(f.nodes.find((n) => n.name === conv.name)!.op).toBe('IntConv');
    expect(ops(f)).toContain('XnorConvThreshold');
    expect(fuseConvThreshold(f)).toBe(f);
    expectSameOutputs(g, f, seededFeeds(g, 2, 80, 0, 255));
  });
});
