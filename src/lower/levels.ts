// Two-level activations with any levels a < b (±1, ±α, FINN's {0, 1}, a shifted pair): the packed bit says
// which level (bit 1 = b, the higher, as +1 is for a sign), and the next binary layer folds the levels into
// its chain, exactly in the integer sum.
//
// Derivation. Write the activation as v = a + (b − a)·(1 + s)/2 with s = ±1 the packed value, so
//   v = m + h·s,   m = (a + b)/2,   h = (b − a)/2 > 0.
// A binary layer with weights w = α·σ (σ = ±1 per tap, α per filter) sums over its K taps
//   Σ w·v = α·(h·Σ σ·s + m·Σ σ) = α·(h·acc + m·Σσ_f),
// where acc is the XNOR-popcount accumulator of the ±1 values (the same integer as for a sign) and Σσ_f
// the filter's weight-sign sum, a constant per output channel. So the layer's chain starts at scale α·h
// and bias α·m·Σσ_f (plus the layer's own bias): nothing changes in the integer kernels. Padding pads the
// float tensor with a value p (0 for a Conv's own pads); a tap in the padding adds w·p, which is a level's
// term when p is a level (a pad bit), or nothing when p = 0 = m (the ±α case, pad_value 0); any other p has
// no bit, and the layer is refused (BNNC_E161).
//
// The levels themselves come from the float model: the chain is replayed at the reachable extremes of every
// channel (chain.ts), and the values seen there are the levels; all channels must share them (a per-channel
// pair would weight the input channels of the next layer differently, which a popcount cannot).
import { fail } from '../errors.js';
import type { Graph, Node } from '../ir/types.js';

/** The two values an activation takes, low < high. */
export type Levels = readonly [number, number];

export const BIPOLAR: Levels = [-1, 1];

export function isBipolar(l: Levels | undefined): boolean {
  return l === undefined || (l[0] === -1 && l[1] === 1);
}

/** The levels an activation node states in its constants, when it states them (a hint for constant channels). */
function statedLevels(g: Graph, n: Node | undefined): Levels | undefined {
  if (!n) return undefined;
  const scalar = (s: string) => {
    const t = g.initializers.get(s);
    return t && t.data.length === 1 ? t.data[0] : undefined;
  };
  let pair: number[] | undefined;
  if (n.domain === '' && n.op === 'Sign') pair = [-1, 1];
  if (n.domain === 'qonnx' && n.op === 'BipolarQuant') { const s = scalar(n.inputs[1]); if (s !== undefined) pair = [-s, s]; }
  if (n.domain === 'qonnx' && n.op === 'MultiThreshold') {
    const s = n.attrs.out_scale as number, b = n.attrs.out_bias as number;
    pair = [b, Math.fround(s + b)];
  }
  if (n.domain === '' && n.op === 'Where') {
    const x = scalar(n.inputs[1]), y = scalar(n.inputs[2]);
    if (x !== undefined && y !== undefined) pair = [x, y];
  }
  if (!pair || !(pair[0] !== pair[1]) || !pair.every(Number.isFinite)) return undefined;
  return pair[0] < pair[1] ? [pair[0], pair[1]] : [pair[1], pair[0]];
}

/**
 * The two levels of an activation from the values its chain gives at the reachable extremes of every
 * channel; ±1 whenever those are −1 and +1 (with Sign's 0 at exactly 0, `zeroOk`). `last` is the node
 * ending the chain, whose constants name the levels when every channel is constant.
 */
export function levelsOf(g: Graph, values: readonly number[], zeroOk: boolean, last: Node | undefined, where: { node: string }): Levels {
  const seen = [...new Set(values)].sort((x, y) => x - y);
  if (seen.every((v) => v === 1 || v === -1 || (v === 0 && zeroOk))) return BIPOLAR;
  if (seen.length === 2) return [seen[0], seen[1]];
  if (seen.length === 1) {
    const stated = statedLevels(g, last);
    if (stated && stated.includes(seen[0])) return stated;
    fail('BNNC_E161', `this activation is ${seen[0]} for every reachable sum of every channel, and its other level is not stated by '${last?.name ?? '?'}'; bnnc needs the two levels of a binary activation`, where);
  }
  fail('BNNC_E161', `this activation takes ${seen.length} values over the reachable sums (${seen.slice(0, 5).join(', ')}${seen.length > 5 ? ', …' : ''}); bnnc lowers two-level activations (the same two levels in every channel)`, where);
}

/** What the next binary layer makes of levels: its chain scale h, and the tap constant m (docs above). */
export function levelTerms(l: Levels | undefined): { h: number; m: number } {
  const [a, b] = l ?? BIPOLAR;
  return { h: (b - a) / 2, m: (a + b) / 2 };
}

/**
 * A float padding value p as the packed value a padding tap takes (XnorConv's pad_value): +1 for the high
 * level, −1 for the low one, 0 where p = 0 adds nothing to either sum (m = 0); undefined: not a level.
 */
export function padBit(l: Levels | undefined, p: number): -1 | 0 | 1 | undefined {
  const [a, b] = l ?? BIPOLAR;
  if (p === 0 && a + b === 0) return 0;
  if (p === b) return 1;
  if (p === a) return -1;
  return undefined;
}

/** A PackedBits value's `levels`, absent for ±1. */
export function bitLevels(l: Levels): { levels?: Levels } {
  return isBipolar(l) ? {} : { levels: l };
}

/** The Threshold node's `levels` attribute (what `check` compares the float activation with), absent for ±1. */
export function levelAttrs(l: Levels): { levels?: number[] } {
  return isBipolar(l) ? {} : { levels: [...l] };
}
