// Seeded random binary networks as float ONNX models built in code (±1 weights, batch norm, Sign, max-pool
// before or after the sign, zero and ±1 padding, groups, channels 1–130, strides 1/2, kernels 1/3/5), taken
// through the user's path: import, IMPORT_PIPELINE, NORMALIZE_PIPELINE, lowerGraph.
import { tensor } from '../../src/ir/tensor.js';
import type { Graph, Tensor } from '../../src/ir/types.js';
import { lowerGraph } from '../../src/lower/lower.js';
import { importModelBytes } from '../../src/onnx/import.js';
import { IMPORT_PIPELINE, NORMALIZE_PIPELINE, runPipeline } from '../../src/passes/index.js';
import { buildModel, rng, type NodeIn } from '../helpers/onnx-build.js';

export interface Layer { m: number; k: number; s: number; pad: number; pool?: 'before' | 'after'; group?: number; padValue?: number }
export interface NetCase {
  seed: number; c0: number; h: number; layers: Layer[]; dense: number; tail?: 'ArgMax' | 'TopK';
  /** The raw input (default uint8, x = q): e.g. int8 with a zero point. */
  quant?: { dtype: 'uint8' | 'int8'; scale: number; divisor: number; zeroPoint: number };
}

export const CASES: NetCase[] = [
  { seed: 1, c0: 1, h: 9, layers: [{ m: 33, k: 3, s: 1, pad: 1, pool: 'after' }, { m: 64, k: 3, s: 1, pad: 0 }], dense: 10 },
  { seed: 2, c0: 3, h: 11, layers: [{ m: 130, k: 5, s: 2, pad: 2 }, { m: 7, k: 1, s: 1, pad: 0 }], dense: 5, tail: 'ArgMax' },
  { seed: 3, c0: 2, h: 10, layers: [{ m: 32, k: 3, s: 2, pad: 1, pool: 'before' }, { m: 96, k: 3, s: 1, pad: 1 }, { m: 1, k: 3, s: 2, pad: 1 }], dense: 3 },
  { seed: 4, c0: 1, h: 8, layers: [{ m: 5, k: 1, s: 1, pad: 0 }, { m: 129, k: 5, s: 1, pad: 2, pool: 'after' }, { m: 31, k: 3, s: 2, pad: 1 }], dense: 12, tail: 'TopK' },
  { seed: 5, c0: 4, h: 7, layers: [{ m: 65, k: 3, s: 1, pad: 1 }, { m: 40, k: 3, s: 1, pad: 1, pool: 'before' }], dense: 2 },
  // grouped binary convolutions (groups of 17 and 33 channels: not word-aligned) and ±1 padding (an explicit Pad)
  { seed: 6, c0: 1, h: 7, layers: [{ m: 34, k: 3, s: 1, pad: 1 }, { m: 40, k: 3, s: 1, pad: 1, group: 2 }, { m: 99, k: 1, s: 1, pad: 0 }, { m: 6, k: 3, s: 2, pad: 1, group: 3 }], dense: 4 },
  { seed: 7, c0: 2, h: 6, layers: [{ m: 20, k: 3, s: 1, pad: 0 }, { m: 45, k: 3, s: 1, pad: 1, padValue: 1 }, { m: 33, k: 3, s: 2, pad: 1, padValue: -1 }], dense: 3 },
];

function floatTensor(shape: number[], f: () => number): Tensor {
  return tensor('float32', shape, Array.from({ length: shape.reduce((a, b) => a * b, 1) }, f));
}

/** The float ONNX model of a case, and its lowered graph. */
export function buildNet(c: NetCase): Graph {
  const r = rng(c.seed);
  const pm1 = () => (r() < 0.5 ? -1 : 1);
  const nodes: NodeIn[] = [];
  const inits: Record<string, Tensor> = {};
  let x = 'x', ch = c.c0, hw = c.h, reach = 255;
  c.layers.forEach((l, i) => {
    const group = l.group ?? 1;
    inits[`w${i}`] = floatTensor([l.m, ch / group, l.k, l.k], pm1);
    let pads = [l.pad, l.pad, l.pad, l.pad];
    if (l.padValue !== undefined) {
      inits[`pads${i}`] = tensor('int64', [8], [0, 0, l.pad, l.pad, 0, 0, l.pad, l.pad]);
      inits[`pv${i}`] = tensor('float32', [], [l.padValue]);
      nodes.push({ op: 'Pad', inputs: [x, `pads${i}`, `pv${i}`], outputs: [`padded${i}`], attrs: { mode: 'constant' } });
      x = `padded${i}`;
      pads = [0, 0, 0, 0];
    }
    nodes.push({ op: 'Conv', inputs: [x, `w${i}`], outputs: [`conv${i}`], attrs: { kernel_shape: [l.k, l.k], strides: [l.s, l.s], pads, group } });
    hw = Math.floor((hw + 2 * l.pad - l.k) / l.s) + 1;
    const span = reach * (ch / group) * l.k * l.k;
    // batch norm: γ of both signs (and an occasional 0), means spread over the reachable sums
    inits[`g${i}`] = floatTensor([l.m], () => (r() < 0.1 ? 0 : (r() < 0.5 ? -1 : 1) * (0.25 + 2 * r())));
    inits[`b${i}`] = floatTensor([l.m], () => r() * 4 - 2);
    inits[`mu${i}`] = floatTensor([l.m], () => (r() - 0.5) * span * 0.3 + (reach === 255 ? span / 2 : 0));
    inits[`var${i}`] = floatTensor([l.m], () => 0.5 + r() * 3);
    let y = `conv${i}`;
    const pool = (from: string, to: string) => {
      nodes.push({ op: 'MaxPool', inputs: [from], outputs: [to], attrs: { kernel_shape: [2, 2], strides: [2, 2] } });
      hw = Math.floor((hw - 2) / 2) + 1;
    };
    if (l.pool === 'before') { pool(y, `pool${i}`); y = `pool${i}`; }
    nodes.push({ op: 'BatchNormalization', inputs: [y, `g${i}`, `b${i}`, `mu${i}`, `var${i}`], outputs: [`bn${i}`], attrs: { epsilon: { float: 1e-5 } } });
    nodes.push({ op: 'Sign', inputs: [`bn${i}`], outputs: [`sign${i}`] });
    x = `sign${i}`;
    if (l.pool === 'after') { pool(x, `pool${i}`); x = `pool${i}`; }
    ch = l.m;
    reach = 1;
  });
  nodes.push({ op: 'Flatten', inputs: [x], outputs: ['flat'], attrs: { axis: 1 } });
  inits.wd = floatTensor([c.dense, ch * hw * hw], pm1);
  inits.bd = floatTensor([c.dense], () => r() * 10 - 5);
  nodes.push({ op: 'Gemm', inputs: ['flat', 'wd', 'bd'], outputs: ['logits'], attrs: { transB: 1, alpha: { float: 0.125 } } });
  const outputs: { name: string; dtype: 'float32' | 'int64' }[] = [];
  if (c.tail === 'ArgMax') {
    nodes.push({ op: 'ArgMax', inputs: ['logits'], outputs: ['cls'], attrs: { axis: 1, keepdims: 1 } });
    outputs.push({ name: 'cls', dtype: 'int64' });
  } else if (c.tail === 'TopK') {
    inits.k = tensor('int64', [1], [3]);
    nodes.push({ op: 'TopK', inputs: ['logits', 'k'], outputs: ['topv', 'topi'], attrs: { axis: -1 } });
    outputs.push({ name: 'topv', dtype: 'float32' }, { name: 'topi', dtype: 'int64' });
  } else {
    outputs.push({ name: 'logits', dtype: 'float32' });
  }
  const bytes = buildModel({ inputs: [{ name: 'x', dtype: 'float32', shape: [1, c.c0, c.h, c.h] }], outputs, nodes, initializers: inits });
  const g = runPipeline(runPipeline(importModelBytes(bytes), IMPORT_PIPELINE), NORMALIZE_PIPELINE);
  return lowerGraph(g, { inputQuant: c.quant ?? { dtype: 'uint8', scale: 1, divisor: 1, zeroPoint: 0 } });
}


/**
 * A seeded random case: 1–3 conv layers (channels 1–130, kernels 1/3/5, strides 1/2, padding 0 up to k/2,
 * ±1 padding and groups 2–3 after the first layer, max-pool before or after the sign), a dense last layer
 * and an optional ArgMax or TopK; `small` keeps the images small (for cores with little RAM).
 */
export function randomCase(seed: number, small = false): NetCase {
  const r = rng(7919 * seed + 13);
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(r() * xs.length)];
  const c0 = pick([1, 1, 2, 3, 4]);
  const h = small ? 4 + Math.floor(r() * 5) : 5 + Math.floor(r() * 8);
  const layers: Layer[] = [];
  let ch = c0, hw = h;
  const n = 1 + Math.floor(r() * 3);
  for (let i = 0; i < n; i++) {
    const k = pick([1, 3, 3, 5].filter((x) => x <= hw + 2 * Math.floor(x / 2)));
    const pad = Math.min(Math.floor(r() * (Math.floor(k / 2) + 1)), Math.floor(k / 2));
    if (hw + 2 * pad < k) break;
    const s = r() < 0.3 ? 2 : 1;
    const m = r() < 0.3 ? pick([1, 31, 32, 33, 63, 64, 65, 129, 130]) : 1 + Math.floor(r() * (small ? 70 : 130));
    const l: Layer = { m, k, s, pad };
    if (i > 0) {
      const g = pick([2, 3]);
      if (r() < 0.35 && ch % g === 0 && m % g === 0) l.group = g;
      if (pad > 0 && r() < 0.4) l.padValue = pick([1, -1]);
    }
    let out = Math.floor((hw + 2 * pad - k) / s) + 1;
    if (out >= 2 && r() < 0.3) { l.pool = pick(['before', 'after'] as const); out = Math.floor((out - 2) / 2) + 1; }
    layers.push(l);
    ch = m;
    hw = out;
  }
  if (layers.length === 0) layers.push({ m: 1 + Math.floor(r() * 40), k: 1, s: 1, pad: 0 });
  const dense = 1 + Math.floor(r() * 12);
  const tail = dense >= 3 && r() < 0.25 ? 'TopK' : r() < 0.25 ? 'ArgMax' : undefined;
  return { seed, c0, h, layers, dense, tail };
}
