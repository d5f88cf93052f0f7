// A binary layer (Conv, Gemm, MatMul) in the float graph → its weights as signs in ONNX Conv layout with
// per-filter scales α, an optional bias, and the integer layer its input's kind emits (LayerFeed): the
// accumulator and the start of the float chain that the float model computes from it.
import { fail } from '../errors.js';
import { shapeText, sizeOf } from '../ir/tensor.js';
import type { Node, Tensor } from '../ir/types.js';
import { classifyWeight } from '../analyze/binary.js';
import type { Chain } from './chain.js';
import type { Lowering } from './context.js';
import type { LayerFeed, Rule, Value } from './values.js';

/** The layer's weights, which must be constant. */
export function constWeights(lw: Lowering, n: Node): Tensor {
  const w = lw.konst(n.inputs[1]);
  if (!w) fail('BNNC_E031', 'the weights are not constant', lw.where(n, n.inputs[1]));
  return w;
}

/** The rule of a kind that feeds binary layers through `feed`. */
export function layerRule<V extends Value>(feed: LayerFeed<V>): Rule<V> {
  return (lw, n, _slot, v) => lowerLayer(lw, n, v, feed);
}

function lowerLayer<V extends Value>(lw: Lowering, n: Node, val: V, feed: LayerFeed<V>): void {
  const w = constWeights(lw, n);
  // weights as [M, Cg, KH, KW] in ONNX Conv layout, with the float input as NCHW
  let wm: Tensor;
  let attrs: { group: number; kernel: number[]; strides: number[]; pads: number[]; dilations: number[] };
  let alpha = 1, biasName: string | undefined, beta = 1;
  const inShape = lw.shape(n.inputs[0]);
  const geom = feed.geometry(lw, val, inShape, n);
  if (n.op === 'Conv') {
    if (inShape.length !== 4) fail('BNNC_E031', `bnnc lowers 2-D convolutions; the input is ${shapeText(inShape)}`, lw.where(n));
    const ap = (n.attrs.auto_pad as string | undefined) ?? 'NOTSET';
    if (ap !== 'NOTSET' && ap !== 'VALID') fail('BNNC_E031', `auto_pad ${ap} is not supported in binary layers; export with explicit pads`, lw.where(n));
    const k = [w.shape[2], w.shape[3]];
    const p = (n.attrs.pads as number[] | undefined) ?? [0, 0, 0, 0];
    wm = w;
    attrs = { group: (n.attrs.group as number) ?? 1, kernel: k, strides: [...((n.attrs.strides as number[] | undefined) ?? [1, 1])], pads: [p[0], p[1], p[2], p[3]], dilations: [...((n.attrs.dilations as number[] | undefined) ?? [1, 1])] };
    biasName = n.inputs[2] || undefined;
  } else {
    if (n.op === 'Gemm' && n.attrs.transA) fail('BNNC_E031', 'Gemm with transA is not supported in a binary layer', lw.where(n));
    const transposed = n.op === 'Gemm' ? !!n.attrs.transB : false;
    if (w.shape.length !== 2) fail('BNNC_E031', `dense weights of shape ${shapeText(w.shape)}; expected 2-D`, lw.where(n, n.inputs[1]));
    const [M, K] = transposed ? [w.shape[0], w.shape[1]] : [w.shape[1], w.shape[0]];
    if (K !== geom.C * geom.H * geom.W) fail('BNNC_E009', `dense layer of ${K} inputs reads ${geom.C * geom.H * geom.W} values`, lw.where(n));
    const data = new Float64Array(M * K);
    for (let m = 0; m < M; m++) for (let k = 0; k < K; k++) data[m * K + k] = transposed ? w.data[m * K + k] : w.data[k * M + m];
    wm = { dtype: 'float64', shape: [M, geom.C, geom.H, geom.W], data };
    attrs = { group: 1, kernel: [geom.H, geom.W], strides: [1, 1], pads: [0, 0, 0, 0], dilations: [1, 1] };
    if (n.op === 'Gemm') {
      alpha = n.attrs.alpha as number;
      beta = n.attrs.beta as number;
      biasName = n.inputs[2] || undefined;
    }
  }
  const M = wm.shape[0];
  const kind = classifyWeight(wm, 0);
  if (kind.kind === 'other') {
    fail('BNNC_E030', `the weights '${n.inputs[1]}' are not binary: expected ±1 or ±α per output filter (${describeWeights(wm)}); mark latent float weights with --binarize-weights to binarize them`, lw.where(n, n.inputs[1]));
  }
  const alphas = kind.kind === 'bipolar' ? new Float64Array(M).fill(1) : kind.alpha;
  let bias: Float32Array | undefined;
  let biasOf = (_m: number) => 0;
  if (biasName) {
    const b = lw.konst(biasName);
    if (!b) fail('BNNC_E031', 'the bias is not constant', lw.where(n, biasName));
    if (sizeOf(b.shape) !== M && sizeOf(b.shape) !== 1) fail('BNNC_E031', `bias of shape ${shapeText(b.shape)} is not per output channel`, lw.where(n, biasName));
    biasOf = (m) => beta * b.data[sizeOf(b.shape) === 1 ? 0 : m];
    bias = Float32Array.from({ length: M }, (_, m) => Math.fround(biasOf(m)));
  }
  const signs = Int8Array.from(wm.data, (v) => (v < 0 ? -1 : 1));
  const accName = lw.fresh(`${n.outputs[0]}__acc`);
  const layerAttrs = { group: attrs.group, kernel_shape: attrs.kernel, strides: attrs.strides, dilations: attrs.dilations };
  const out = feed.emit(lw, n, val, { shape: wm.shape, signs, weightName: n.inputs[1], attrs: layerAttrs, pads: attrs.pads, geometry: geom }, accName);
  const scale = alphas.map((a) => a * alpha).map((s) => s * out.scale);
  // the input's levels add a constant per filter (levels.ts), before the layer's own bias, rounded once
  const off = out.offset;
  if (off) bias = Float32Array.from({ length: M }, (_, m) => Math.fround(alphas[m] * alpha * off[m] + biasOf(m)));
  const outShape = lw.shape(n.outputs[0]);
  const [H, W] = outShape.length === 4 ? [outShape[2], outShape[3]] : [1, 1];
  const chain: Chain = { scale, divisor: out.divisor === 1 ? undefined : out.divisor, bias, steps: [], channels: M };
  lw.set(n.outputs[0], { kind: 'acc', name: accName, C: M, H, W, chain, lo: out.lo, hi: out.hi });
}

/**
 * Reachable sums of Σ_i s_i·(q_i − zp) per filter (±1 weights `signs`, [M, K]) over integers q_i in
 * [qmin, qmax]: each term at whichever end makes it smallest (largest), or 0 (a tap in the padding, which
 * holds zp) when that is smaller (larger).
 */
export function intSumRange(signs: Int8Array, M: number, qmin: number, qmax: number, zp: number): { lo: Int32Array; hi: Int32Array } {
  const K = signs.length / M;
  const lo = new Int32Array(M), hi = new Int32Array(M);
  for (let m = 0; m < M; m++) {
    let l = 0, h = 0;
    for (let i = 0; i < K; i++) {
      const s = signs[m * K + i];
      l += Math.min(0, s * (qmin - zp), s * (qmax - zp));
      h += Math.max(0, s * (qmin - zp), s * (qmax - zp));
    }
    lo[m] = l; hi[m] = h;
  }
  return { lo, hi };
}

function describeWeights(w: Tensor): string {
  const mags = new Set<number>();
  for (let i = 0; i < w.data.length && mags.size < 6; i++) mags.add(Math.abs(w.data[i]));
  return `found magnitudes ${[...mags].slice(0, 5).map((m) => m.toPrecision(4)).join(', ')}${mags.size > 5 ? ', …' : ''}${[...mags].includes(0) ? ' including 0' : ''}`;
}
