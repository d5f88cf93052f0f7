// ChannelConcat: two NHWC tensors of k-bit integers of one type joined along their channels (ONNX Concat on
// axis 1 of the float model), a then b. BitConcat (BitConcat.ts) is the same op on packed ±1 activations
// (`channels` [ca, cb]): b's channel j becomes channel ca + j of the packed output (numeric/bits.ts), tail
// bits 0. A copy: exact.
// The arithmetic is channelConcat in src/numeric/int-kernels.ts (which the ts target copies).
import { fail } from '../../errors.js';
import { shapeText, tensor } from '../../ir/tensor.js';
import type { DType, TensorType } from '../../ir/types.js';
import { wordsFor } from '../../numeric/bits.js';
import { channelConcat } from '../../numeric/int-kernels.js';
import { kernelCall, type OpContext, type OpDef } from '../types.js';
import { attrInts, need, where } from '../util.js';
import { expect4, withDefaults } from './common.js';
import type { CDataContext, CLayer } from '../c-layer.js';

const ATTRS = { channels: { kind: 'ints', default: [] } } as const;
const BITS: Partial<Record<DType, number>> = { int8: 8, uint8: 8, int16: 16, int32: 32 };

interface Geo { packed: boolean; ca: number; cb: number; pixels: number; shape: number[]; dtype: DType }

function geometry(ctx: OpContext, a: TensorType, b: TensorType, packed: boolean): Geo {
  expect4(ctx, a, 0, packed ? ['int32'] : ['int8', 'uint8', 'int16', 'int32']);
  expect4(ctx, b, 1, [a.dtype]);
  if (a.shape.slice(0, 3).some((d, i) => d !== b.shape[i])) fail('BNNC_E009', `the joined tensors ${shapeText(a.shape)} and ${shapeText(b.shape)} differ in their pixels`, where(ctx));
  let [ca, cb] = [a.shape[3], b.shape[3]];
  if (packed) {
    const ch = attrInts(ctx, 'channels') ?? [];
    if (ch.length !== 2 || wordsFor(ch[0]) !== ca || wordsFor(ch[1]) !== cb) fail('BNNC_E009', `'channels' [${ch.join(',')}] does not fit packed inputs of ${ca} and ${cb} words a pixel`, where(ctx));
    [ca, cb] = ch;
  }
  const pixels = a.shape[0] * a.shape[1] * a.shape[2];
  return { packed, ca, cb, pixels, dtype: a.dtype, shape: [a.shape[0], a.shape[1], a.shape[2], packed ? wordsFor(ca + cb) : ca + cb] };
}

/** The op on integers, or with `packed` on packed bits (BitConcat). */
export function concatOp(packed: boolean): OpDef {
  return {
    op: packed ? 'BitConcat' : 'ChannelConcat',
    domain: 'bnnc',
    packedBits: packed,
    inputs: { min: 2, max: 2 },
    outputs: { min: 1, max: 1 },
    attrs: ATTRS,
    cData: channelConcatCData,
    infer(ctx0, inputs) {
      const ctx = withDefaults(ctx0, ATTRS);
      const g = geometry(ctx, need(ctx, inputs, 0), need(ctx, inputs, 1), packed);
      return [{ dtype: g.dtype, shape: g.shape }];
    },
    eval(ctx0, inputs) {
      const ctx = withDefaults(ctx0, ATTRS);
      const a = need(ctx, inputs, 0), b = need(ctx, inputs, 1);
      const g = geometry(ctx, a, b, packed);
      return [tensor(g.dtype, g.shape, channelConcat(a.data, b.data, g.pixels, g.ca, g.cb, g.packed, BITS[g.dtype]!, g.dtype === 'uint8'))];
    },
    ts(ctx0, inputs) {
      const ctx = withDefaults(ctx0, ATTRS);
      const g = geometry(ctx, need(ctx, inputs, 0), need(ctx, inputs, 1), packed);
      return kernelCall(channelConcat, ctx.node.inputs[0], ctx.node.inputs[1], g.pixels, g.ca, g.cb, g.packed, BITS[g.dtype]!, g.dtype === 'uint8');
    },
  };
}

export const ChannelConcat = concatOp(false);

// ---- C data (cData hook): the numbers ChannelConcat.c.hbs lays out.
function channelConcatCData(c: CDataContext): CLayer {
  const n = c.node;
  const [a, b] = n.inputs;
  const as = c.type(a).shape, bs = c.type(b).shape;
  const packed = n.op === 'BitConcat';
  const [ca, cb] = packed ? (n.attrs.channels as number[]) : [as[3], bs[3]];
  return {
    partial: 'ChannelConcat',
    comment: `${c.head}\n * channels ${ca} + ${cb}${packed ? ' (packed bits)' : ''}`,
    call: `${c.fn}(${c.ptr(a)}, ${c.ptr(b)}, ${c.ptr(n.outputs[0])});`,
    P: as[1] * as[2], CA: ca, CB: cb, WA: as[3], WB: bs[3], W: packed ? wordsFor(ca + cb) : ca + cb, packed,
    yt: packed ? 'uint32_t' : c.ctype(n.outputs[0]), at: packed ? 'uint32_t' : c.ctype(a),
  };
}
