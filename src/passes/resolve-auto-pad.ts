// Conv, MaxPool and AveragePool with auto_pad SAME_UPPER, SAME_LOWER or VALID get the explicit `pads` that
// auto_pad stands for (from the static input shape), and auto_pad NOTSET, so the lowering sees one form.
// Exact: the op's own window resolution (sliding-window.ts) computes those very pads, so nothing else moves.
import type { Graph, Node } from '../ir/types.js';
import { resolveWindow } from '../ops/sliding-window.js';

const WINDOWED = new Set(['Conv', 'MaxPool', 'AveragePool']);

/**
 * ONNX's definition, per spatial axis i (in = input size, s = stride, dk = (k − 1)·d + 1):
 *   SAME_*: out = ceil(in / s), total = max(0, (out − 1)·s + dk − in), split evenly; the odd unit goes at
 *           the end for SAME_UPPER and at the beginning for SAME_LOWER.
 *   VALID:  no padding.
 * resolveWindow implements exactly this; the pass reads its padBegin/padEnd. A pool whose resolved pads
 * would reach the kernel size (only possible with a dilated pooling kernel) keeps its auto_pad, since
 * explicit pads that large are refused for pools (BNNC_E017), as onnxruntime does.
 */
export function resolveAutoPad(g: Graph): Graph {
  let changed = false;
  const nodes = g.nodes.map((n): Node => {
    if (n.domain !== '' || !WINDOWED.has(n.op)) return n;
    const autoPad = n.attrs.auto_pad as string | undefined;
    if (autoPad === undefined || autoPad === 'NOTSET') return n;
    const x = g.types.get(n.inputs[0]);
    if (!x || x.shape.length < 3) return n; // the op's shape rule has already refused it
    const kernel = n.op === 'Conv' ? g.types.get(n.inputs[1])!.shape.slice(2) : (n.attrs.kernel_shape as number[]);
    const ctx = { node: n, attrs: n.attrs, opset: g.opset };
    const pool = n.op !== 'Conv';
    const win = resolveWindow(ctx, x.shape.slice(2), kernel, pool && n.attrs.ceil_mode !== 0, pool);
    if (pool && win.padBegin.some((p, i) => p >= kernel[i] || win.padEnd[i] >= kernel[i])) return n;
    changed = true;
    return { ...n, attrs: { ...n.attrs, auto_pad: 'NOTSET', pads: [...win.padBegin, ...win.padEnd] } };
  });
  return changed ? { ...g, nodes } : g;
}
