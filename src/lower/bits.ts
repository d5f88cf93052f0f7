// Packed two-level activations (±1, or levels a < b: levels.ts): they feed a binary layer (bnnc.XnorConv,
// popcounts over the packed words, the levels folded into its chain), pool as bits (bnnc.BinaryMaxPool: a
// max of two-level values is an AND of their bits), flatten before a dense layer, or carry a constant Pad
// into the next conv's own padding. Nothing else reads them.
import { fail } from '../errors.js';
import { shapeText, sizeOf } from '../ir/tensor.js';
import { packWeights } from '../numeric/bits.js';
import { avgPoolBits, isAvgPool } from './avgpool.js';
import type { Lowering } from './context.js';
import { layerRule } from './layer.js';
import { isBipolar, levelTerms, padBit } from './levels.js';
import type { KindRules, LayerFeed, PackedBits } from './values.js';

const FEED: LayerFeed<PackedBits> = {
  geometry: (_lw, v) => ({ C: v.C, H: v.flat ? v.H : 1, W: v.flat ? v.W : 1 }),
  emit(lw, n, val, w, acc) {
    const [M, Cg, KH, KW] = w.shape;
    const wPacked = packWeights(w.signs, M, Cg, KH, KW);
    const pads = val.pad ? val.pad.pads : w.pads;
    if (val.pad && w.pads.some((p) => p !== 0)) fail('BNNC_E031', 'an explicit Pad followed by a padded Conv is not supported', lw.where(n));
    // the Conv's own pads put 0 in the float tensor: a level's bit, or nothing between symmetric levels
    const padValue = val.pad?.value ?? (w.pads.some((p) => p !== 0) ? padBit(val.levels, 0) : 0);
    if (padValue === undefined) {
      fail('BNNC_E161', `this layer pads its input with 0, which is neither level of the activation (${val.levels![0]}, ${val.levels![1]}) nor between symmetric ones; a padding tap would have no bit`, lw.where(n));
    }
    lw.emit({ name: n.name, op: 'XnorConv', domain: 'bnnc', inputs: [val.name, lw.addInit(`${w.weightName}__packed`, wPacked)], outputs: [acc],
      attrs: { ...w.attrs, channels: w.geometry.C, pads: [...pads], pad_value: padValue } });
    // a dot product of K = Cg·KH·KW values ±1 lies in [−K, K]
    const K = Cg * KH * KW;
    const lo = new Int32Array(M).fill(-K), hi = new Int32Array(M).fill(K);
    if (isBipolar(val.levels)) return { lo, hi, scale: 1, divisor: 1 };
    // levels a < b: Σ w·v = α·(h·acc + m·Σσ_f) over every tap, padding taps included (levels.ts)
    const { h, m } = levelTerms(val.levels);
    const offset = new Float64Array(M);
    for (let f = 0; f < M; f++) {
      let sum = 0;
      for (let i = 0; i < K; i++) sum += w.signs[f * K + i];
      offset[f] = m * sum;
    }
    return { lo, hi, scale: h, divisor: 1, offset };
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
    if (mode !== 'constant' || !pads || pads.length !== 8 || pads[0] || pads[1] || pads[4] || pads[5]) {
      fail('BNNC_E031', 'only a constant Pad over the spatial axes of binary activations is supported', lw.where(n));
    }
    const bit = padBit(val.levels, value);
    if (bit === undefined) {
      const [a, b] = val.levels ?? [-1, 1];
      fail('BNNC_E031', `a Pad of ${value} over binary activations of levels ${a} and ${b}: only a level${a + b === 0 ? ' or 0' : ''} pads them`, lw.where(n));
    }
    lw.set(n.outputs[0], { ...val, pad: { pads: [pads[2], pads[3], pads[6], pads[7]], value: bit } });
  },
  output: (lw, name) => lw.refuseOutput(name, 'a binary activation'),
  refuse: (lw, n) => fail('BNNC_E031', `${n.op} on binary activations is not supported`, lw.where(n)),
};
