// Packed ±1 activations: they feed a binary layer (bnnc.XnorConv, popcounts over the packed words), pool
// as bits (bnnc.BinaryMaxPool: a max of ±1 values is an AND of their bits), flatten before a dense layer,
// or carry a constant Pad into the next conv's own padding. Nothing else reads them.
import { fail } from '../errors.js';
import { shapeText, sizeOf } from '../ir/tensor.js';
import { packWeights } from '../numeric/bits.js';
import { avgPoolBits, isAvgPool } from './avgpool.js';
import type { Lowering } from './context.js';
import { layerRule } from './layer.js';
import type { KindRules, LayerFeed, PackedBits } from './values.js';

const FEED: LayerFeed<PackedBits> = {
  geometry: (_lw, v) => ({ C: v.C, H: v.flat ? v.H : 1, W: v.flat ? v.W : 1 }),
  emit(lw, n, val, w, acc) {
    const [M, Cg, KH, KW] = w.shape;
    const wPacked = packWeights(w.signs, M, Cg, KH, KW);
    const pads = val.pad ? val.pad.pads : w.pads;
    if (val.pad && w.pads.some((p) => p !== 0)) fail('BNNC_E031', 'an explicit Pad followed by a padded Conv is not supported', lw.where(n));
    lw.emit({ name: n.name, op: 'XnorConv', domain: 'bnnc', inputs: [val.name, lw.addInit(`${w.weightName}__packed`, wPacked)], outputs: [acc],
      attrs: { ...w.attrs, channels: w.geometry.C, pads: [...pads], pad_value: val.pad?.value ?? 0 } });
    // a dot product of K = Cg·KH·KW values ±1 lies in [−K, K]
    const K = Cg * KH * KW;
    return { lo: new Int32Array(M).fill(-K), hi: new Int32Array(M).fill(K), scale: 1, divisor: 1 };
  },
};

export const PACKED_BITS: KindRules<PackedBits> = {
  layer: layerRule(FEED),
  pool(lw, n, _slot, val) {
    if (isAvgPool(n)) return avgPoolBits(lw, n, val);
    if (val.flat || val.pad) fail('BNNC_E031', 'max-pooling after flatten or pad is not supported', lw.where(n));
    const out = n.outputs[0];
    const s = lw.shape(out);
    const name = lw.fresh(`${out}__bits`);
    lw.emit({ name: n.name, op: 'BinaryMaxPool', domain: 'bnnc', inputs: [val.name], outputs: [name], attrs: { ...lw.poolAttrs(n), channels: val.C } });
    lw.set(out, { ...val, name, H: s[2], W: s[3] });
  },
  reshape(lw, n, _slot, val) {
    const out = n.outputs[0];
    if (n.domain === '' && (n.op === 'Flatten' || n.op === 'Reshape')) {
      const shape = lw.shape(out);
      if (shape.length === 2 && shape[1] === val.C * val.H * val.W) return lw.set(out, { ...val, flat: true });
      if (sizeOf(shape) === val.C * val.H * val.W && val.H === 1 && val.W === 1) return lw.set(out, val);
      fail('BNNC_E031', `reshaping binary activations [C=${val.C},H=${val.H},W=${val.W}] to ${shapeText(shape)} is not supported (only flattening before a dense layer)`, lw.where(n));
    }
    lw.set(out, val);
  },
  pad(lw, n, _slot, val) {
    const mode = (n.attrs.mode as string | undefined) ?? 'constant';
    let pads: readonly number[] | undefined = n.attrs.pads as number[] | undefined;
    let value = (n.attrs.value as number | undefined) ?? 0;
    if (n.inputs[1]) pads = Array.from(lw.konst(n.inputs[1])?.data ?? []);
    if (n.inputs[2]) value = lw.konst(n.inputs[2])?.data[0] ?? 0;
    if (mode !== 'constant' || !pads || pads.length !== 8 || pads[0] || pads[1] || pads[4] || pads[5] || ![0, 1, -1].includes(value)) {
      fail('BNNC_E031', 'only a constant Pad of 0 or ±1 over the spatial axes of binary activations is supported', lw.where(n));
    }
    lw.set(n.outputs[0], { ...val, pad: { pads: [pads[2], pads[3], pads[6], pads[7]], value } });
  },
  output: (lw, name) => lw.refuseOutput(name, 'a binary activation'),
  refuse: (lw, n) => fail('BNNC_E031', `${n.op} on binary activations is not supported`, lw.where(n)),
};
