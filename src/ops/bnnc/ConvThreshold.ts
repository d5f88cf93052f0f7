// The fused convs of the fuse-conv-threshold pass (src/passes/fuse-conv-threshold.ts), one op per conv kind:
//   <conv>Threshold      inputs [x, w, T, K]:    Threshold(conv(x, w), T, K), Threshold layout NHWC
//   <conv>PoolThreshold  inputs [x, w, T, K, D]: Threshold(AccPool(conv(x, w), D), T, K), the AccPool's
//                        window in the pool_* attributes
// for <conv> = XnorConv (group 1) or IntConv (group 1). The eval is the composition of the parts' evals, so
// the fused graph computes exactly what the unfused one did; the C packs each output pixel's bits as its
// sums are made (and pooled), so no int32 map reaches the arena.
import type { Attrs, Node, Tensor, TensorType } from '../../ir/types.js';
import { wordsFor } from '../../numeric/bits.js';
import { outside, wordBits, type CDataContext, type CLayer, type ConvTailFields, type ThresholdFields } from '../c-layer.js';
import type { AttrSpec, OpContext, OpDef } from '../types.js';
import { AccPool } from './AccPool.js';
import { IntConv, intConvCData } from './IntConv.js';
import { Threshold } from './Threshold.js';
import { XnorConv, xnorConvCData } from './XnorConv.js';

/** The AccPool window attributes a PoolThreshold op carries, each as pool_<name>. */
const POOL_WINDOW = ['kernel_shape', 'strides', 'pads', 'dilations', 'ceil_mode'] as const;
const NAMES = { threshold_node: { kind: 'string' } } as const;
const POOL_ATTRS: Readonly<Record<string, AttrSpec>> = {
  pool_node: { kind: 'string' }, pool_kernel_shape: { kind: 'ints' }, pool_strides: { kind: 'ints' },
  pool_pads: { kind: 'ints' }, pool_dilations: { kind: 'ints' }, pool_ceil_mode: { kind: 'int' },
};

/** An AccPool's window attributes as a fused node carries them (pool_<name>). */
export function fusedPoolAttrs(a: Attrs): Attrs {
  return Object.fromEntries(POOL_WINDOW.filter((k) => a[k] !== undefined).map((k) => [`pool_${k}`, a[k]]));
}

/** The AccPool attributes of a fused node (those it carries). */
export function poolAttrs(a: Attrs): Attrs {
  const out: Record<string, Attrs[string]> = {};
  for (const k of POOL_WINDOW) if (a[`pool_${k}`] !== undefined) out[k] = a[`pool_${k}`];
  return out;
}

/** The conv's own attributes of a fused node. */
function convAttrs(a: Attrs): Attrs {
  return Object.fromEntries(Object.entries(a).filter(([k]) => !k.startsWith('pool_') && k !== 'threshold_node'));
}

/** The context of one part: a node with that part's inputs and attributes (so its errors name them). */
function part(ctx: OpContext, inputs: string[], attrs: Attrs): OpContext {
  const node: Node = { ...ctx.node, inputs, attrs };
  return { ...ctx, node, attrs };
}

/** The parts of a fused node in order: conv, AccPool (pooled), Threshold, each with its context and inputs. */
function parts(conv: OpDef, ctx: OpContext, pooled: boolean): { def: OpDef; ctx: OpContext; ins: number[] }[] {
  const [x, w, t, k, d] = ctx.node.inputs;
  return [
    { def: conv, ctx: part(ctx, [x, w], convAttrs(ctx.attrs)), ins: [0, 1] },
    ...(pooled ? [{ def: AccPool, ctx: part(ctx, ['', d], poolAttrs(ctx.attrs)), ins: [-1, 4] }] : []),
    { def: Threshold, ctx: part(ctx, ['', t, k], { layout: 'NHWC' }), ins: [-1, 2, 3] },
  ];
}

/**
 * What a fused op adds to its conv's C data (XnorConv.ts, IntConv.ts): the template, and for a conv of m
 * channels over an [OH, OW] map the threshold (and pool) fields with their arrays, and a comment note.
 */
export interface ConvTail {
  readonly partial: string;
  readonly pooled: boolean;
  fields(c: CDataContext, m: number, conv: { OH: number; OW: number }): { note: string; fields: ConvTailFields };
}

/** The threshold half: T and K of m channels (inputs 2 and 3), packed m bits per pixel. */
function thresholdFields(c: CDataContext, m: number, sum: ThresholdFields['sumPartial']): ThresholdFields {
  const mw = wordsFor(m);
  return {
    MW: mw, MLAST: m - 32 * (mw - 1), NB: wordBits(m, mw), sumPartial: sum,
    thresholds: c.array('thresholds', 'int32_t', c.init(c.node.inputs[2]).data, 10),
    kinds: c.array('kinds', 'int8_t', c.init(c.node.inputs[3]).data, 16),
  };
}

function tail(conv: OpDef, pooled: boolean): ConvTail {
  const sum: ThresholdFields['sumPartial'] = conv === IntConv ? 'int-sum' : 'xnor-sum';
  return {
    partial: pooled ? 'ConvPoolThreshold' : `${conv.op}Threshold`,
    pooled,
    fields(c, m, { OH, OW }) {
      if (!pooled) return { note: '', fields: thresholdFields(c, m, sum) };
      // the AccPool window over the conv's [OH, OW] output (P* names), its directions (input 4: +1 max, −1 min)
      const a = c.node.attrs;
      const pw = c.window([OH, OW], a.pool_kernel_shape as number[], a.pool_ceil_mode === 1, poolAttrs(a));
      const poolNote = `, then ${pw.kernel[0]}x${pw.kernel[1]} max/min pool stride ${pw.strides[0]}x${pw.strides[1]} to ${pw.outSize[0]}x${pw.outSize[1]}`;
      return {
        note: poolNote,
        fields: {
          POH: pw.outSize[0], POW: pw.outSize[1], PKH: pw.kernel[0], PKW: pw.kernel[1], PSH: pw.strides[0], PSW: pw.strides[1],
          PDH: pw.dilations[0], PDW: pw.dilations[1], PPT: pw.padBegin[0], PPL: pw.padBegin[1],
          POHOUT: outside('oh', pw.padBegin[0], pw.outSize[0], pw.strides[0], pw.kernel[0], pw.dilations[0], OH),
          POWOUT: outside('ow', pw.padBegin[1], pw.outSize[1], pw.strides[1], pw.kernel[1], pw.dilations[1], OW), poolNote,
          dirs: c.array('dirs', 'int8_t', c.init(c.node.inputs[4]).data, 16),
          ...thresholdFields(c, m, sum),
        },
      };
    },
  };
}

function fused(conv: OpDef, pooled: boolean, cData: (c: CDataContext, t: ConvTail) => CLayer): OpDef {
  const n = pooled ? 5 : 4;
  const t = tail(conv, pooled);
  return {
    op: `${conv.op}${pooled ? 'PoolThreshold' : 'Threshold'}`,
    domain: 'bnnc',
    inputs: { min: n, max: n },
    outputs: { min: 1, max: 1 },
    attrs: { ...conv.attrs, ...NAMES, ...(pooled ? POOL_ATTRS : {}) },
    infer(ctx, inputs, consts) {
      let y: TensorType | undefined;
      for (const p of parts(conv, ctx, pooled)) {
        [y] = p.def.infer(p.ctx, p.ins.map((i) => (i < 0 ? y : inputs[i])), p.ins.map((i) => (i < 0 ? undefined : consts[i])));
      }
      return [y!];
    },
    eval(ctx, inputs) {
      let y: Tensor | undefined;
      for (const p of parts(conv, ctx, pooled)) [y] = p.def.eval(p.ctx, p.ins.map((i) => (i < 0 ? y : inputs[i])));
      return [y!];
    },
    cData: (c) => cData(c, t),
    packedBits: true,
  };
}

export const XnorConvThreshold = fused(XnorConv, false, xnorConvCData);
export const XnorConvPoolThreshold = fused(XnorConv, true, xnorConvCData);
export const IntConvThreshold = fused(IntConv, false, intConvCData);
export const IntConvPoolThreshold = fused(IntConv, true, intConvCData);
