// verify's layer search: with one Threshold's constants deliberately corrupted in the compiled graph (and the
// intact graph as the reference), verify reports mismatches and names exactly that layer, from a debug build
// (-DBNNC_DEBUG_LAYERS) that writes every layer's output, on the host and on an emulated core.
import { describe, expect, it } from 'vitest';
import { loadTarget } from '../../src/backend/target.js';
import { verifyOnTarget } from '../../src/backend/verify.js';
import { sizeOf, tensor } from '../../src/ir/tensor.js';
import type { Graph, Node, Tensor } from '../../src/ir/types.js';
import { rng } from '../helpers/onnx-build.js';
import { hasTool } from '../helpers/resources.js';
import { buildNet, CASES } from './random-net.js';

/** The graph with Threshold `node`'s thresholds pushed past every reachable sum: every channel's bit becomes −1. */
function corrupt(g: Graph, node: Node): Graph {
  const t = g.initializers.get(node.inputs[1])!, k = g.initializers.get(node.inputs[2])!;
  const bad = tensor('int32', t.shape, Array.from(t.data, (v, c) => (k.data[c] === -1 ? -100000 : 100000)));
  return { ...g, initializers: new Map([...g.initializers, [node.inputs[1], bad]]) };
}

function inputs(g: Graph, n: number): Tensor[] {
  const r = rng(4242), t = g.inputs[0].type;
  return Array.from({ length: n }, () => tensor(t.dtype, t.shape, Array.from({ length: sizeOf(t.shape) }, () => Math.floor(r() * 256))));
}

const RUNS = [
  { target: 'host', tools: ['gcc'] },
  { target: 'cortex-m4', tools: ['arm-none-eabi-gcc', 'qemu-system-arm'] },
  { target: 'esp32c3', tools: ['riscv64-unknown-elf-gcc', 'qemu-system-riscv32'] },
];

describe.each(RUNS)('the first differing layer on $target', ({ target, tools }) => {
  const ok = tools.every(hasTool);
  it.skipIf(!ok)('names the corrupted Threshold (fused into its conv in C) and its first differing words', () => {
    const g = buildNet(CASES[0]);
    const thresholds = g.nodes.filter((n) => n.op === 'Threshold');
    expect(thresholds.length).toBeGreaterThanOrEqual(2);
    const victim = thresholds[1];
    const report = verifyOnTarget(corrupt(g, victim), loadTarget(target), inputs(g, 6), { reference: g, prefix: 'dbg' });
    console.log(`${target}: ${report.mismatchedVectors}/${report.vectors} vectors differ; ${JSON.stringify(report.firstDifferingLayer)}`);
    expect(report.mismatchedVectors).toBeGreaterThan(0);
    const d = report.firstDifferingLayer!;
    expect(d).toBeDefined();
    expect(d.node).toBe(victim.name);
    expect(d.tensor).toBe(victim.outputs[0]);
    expect(d.fn).toMatch(/^dbg_l\d+_/);
    expect(d.vector).toBe(report.firstMismatches[0].vector);
    expect(d.differing).toBeGreaterThan(0);
    expect(d.positions.length).toBeGreaterThan(0);
    for (const p of d.positions) expect(p.actual).not.toBe(p.expected);
  });

  it.skipIf(!ok)('stays silent when every output agrees', () => {
    const g = buildNet(CASES[0]);
    const report = verifyOnTarget(g, loadTarget(target), inputs(g, 2));
    expect(report.mismatchedVectors).toBe(0);
    expect(report.firstDifferingLayer).toBeUndefined();
  });
});
