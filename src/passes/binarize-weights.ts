// --binarize-weights: latent float weights that the user marks become α·sign(W) per output filter, the
// XNOR-Net approximation, with α = mean(|W|) of the filter (computed in float64, rounded once to float32)
// and sign(0) = +1. Weights that are already binary are left alone.
import { fail } from '../errors.js';
import { sizeOf } from '../ir/tensor.js';
import type { Graph, Tensor } from '../ir/types.js';
import { classifyWeight, weightChannelAxis } from '../analyze/binary.js';

export function binarizeWeights(g: Graph, which: 'all' | readonly string[]): Graph {
  const initializers = new Map(g.initializers);
  let changed = false;
  const names = which === 'all' ? undefined : new Set(which);
  for (const n of g.nodes) {
    if (n.domain !== '' || !['Conv', 'Gemm', 'MatMul'].includes(n.op)) continue;
    if (names && !names.has(n.name)) continue;
    const w = initializers.get(n.inputs[1]);
    if (!w) {
      if (names) fail('BNNC_E019', '--binarize-weights names a layer whose weights are not constant', { node: n.name, op: n.op, tensor: n.inputs[1] });
      continue;
    }
    const axis = weightChannelAxis(n, w);
    if (axis === undefined || classifyWeight(w, axis).kind !== 'other') continue;
    initializers.set(n.inputs[1], binarize(w, axis));
    changed = true;
  }
  if (names) {
    for (const name of names) if (!g.nodes.some((n) => n.name === name)) fail('BNNC_E019', `--binarize-weights names '${name}', which is not a node of the model`);
  }
  return changed ? { ...g, initializers } : g;
}

function binarize(w: Tensor, axis: number): Tensor {
  const channels = w.shape[axis];
  const inner = sizeOf(w.shape.slice(axis + 1));
  const sum = new Float64Array(channels), count = new Float64Array(channels);
  for (let i = 0; i < w.data.length; i++) {
    const c = Math.floor(i / inner) % channels;
    sum[c] += Math.abs(w.data[i]);
    count[c]++;
  }
  const alpha = Float32Array.from(sum, (s, c) => Math.fround(s / count[c]));
  const data = new Float32Array(w.data.length);
  for (let i = 0; i < data.length; i++) {
    const c = Math.floor(i / inner) % channels;
    data[i] = w.data[i] < 0 ? -alpha[c] : alpha[c];
  }
  return { dtype: 'float32', shape: w.shape, data };
}
