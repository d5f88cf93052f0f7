// Lowering over a grid of layer geometries: channel counts around the 32-bit word (1, 31, 32, 33, 65, 130),
// kernels 1/3/5, strides 1/2, dilation 2, groups 2 and depthwise, zero padding (symmetric and not), an
// explicit Pad of +1 / −1 / 0, and max-pooling after the sign (BinaryMaxPool) or between the batch norm and
// the sign (AccPool). Every model has ±1 weights and a first layer on x = q/256, so every float sum is an
// exact integer (times 2⁻⁸): the lowered network must reproduce every activation bit and every top-1.
import { describe, expect, it } from 'vitest';
import { lowerAndCheck, loweredOps, Net, Q256 } from './net.js';

interface Geo {
  m: number;
  k?: number;
  s?: number;
  d?: number;
  group?: number;
  pads?: number[];
  /** An explicit constant Pad of this value (with `padBy`) before the Conv. */
  padValue?: number;
  padBy?: number[];
  /** After the sign (on bits); between the batch norm and the sign; or on the sums before the batch norm. */
  pool?: 'binary' | 'binary3' | 'acc' | 'acc3' | 'acc before-bn' | 'acc3 before-bn';
}

interface Case { c0: number; hw: number; layers: Geo[] }

const P1 = [1, 1, 1, 1];

const CASES: Record<string, Case> = {
  // channels around the word size, on both the IntConv (first) and the XnorConv (second) layer
  'channels 1 → 31': { c0: 1, hw: 6, layers: [{ m: 1, pads: P1 }, { m: 31, pads: P1 }] },
  'channels 31 → 32': { c0: 2, hw: 6, layers: [{ m: 31, pads: P1 }, { m: 32, pads: P1 }] },
  'channels 32 → 33': { c0: 3, hw: 6, layers: [{ m: 32, pads: P1 }, { m: 33 }] },
  'channels 33 → 65': { c0: 1, hw: 6, layers: [{ m: 33 }, { m: 65, pads: P1 }] },
  'channels 65 → 130': { c0: 2, hw: 5, layers: [{ m: 65, pads: P1 }, { m: 130, k: 3 }] },
  'channels 130 → 1': { c0: 1, hw: 5, layers: [{ m: 130, pads: P1 }, { m: 1, pads: P1 }] },
  'first layer on 31 input channels': { c0: 31, hw: 5, layers: [{ m: 33, pads: P1 }] },
  // kernels
  'kernel 1': { c0: 2, hw: 6, layers: [{ m: 33, k: 1 }, { m: 31, k: 1 }] },
  'kernel 5, pads 2': { c0: 2, hw: 7, layers: [{ m: 20, k: 5, pads: [2, 2, 2, 2] }, { m: 33, k: 5, pads: [2, 2, 2, 2] }] },
  'kernel 5, no padding': { c0: 1, hw: 11, layers: [{ m: 8, k: 5 }, { m: 40, k: 5 }] },
  // strides and dilations
  'stride 2, pads 1': { c0: 2, hw: 9, layers: [{ m: 16, s: 2, pads: P1 }, { m: 33, s: 2, pads: P1 }] },
  'kernel 1, stride 2': { c0: 3, hw: 8, layers: [{ m: 12, k: 1, s: 2 }, { m: 7, k: 1, s: 2 }] },
  'dilation 2': { c0: 2, hw: 9, layers: [{ m: 16, d: 2, pads: [2, 2, 2, 2] }, { m: 33, d: 2 }] },
  'dilation 2, stride 2, kernel 5': { c0: 1, hw: 12, layers: [{ m: 10, k: 5, d: 2, s: 2, pads: [4, 4, 4, 4] }, { m: 9, d: 2, pads: P1 }] },
  // groups (17 channels a group: not word-aligned) and depthwise
  'groups 2 (17 channels a group)': { c0: 2, hw: 6, layers: [{ m: 34, pads: P1 }, { m: 40, group: 2, pads: P1 }] },
  'groups 2 (32 channels a group)': { c0: 1, hw: 6, layers: [{ m: 64, pads: P1 }, { m: 32, group: 2 }] },
  'groups 2 on the first layer': { c0: 4, hw: 6, layers: [{ m: 10, group: 2, pads: P1 }, { m: 9 }] },
  'depthwise 33': { c0: 2, hw: 6, layers: [{ m: 33, pads: P1 }, { m: 33, group: 33, pads: P1 }, { m: 5, k: 1 }] },
  'depthwise ×2 multiplier': { c0: 1, hw: 6, layers: [{ m: 16, pads: P1 }, { m: 32, group: 16, s: 2, pads: P1 }] },
  'depthwise first layer': { c0: 3, hw: 6, layers: [{ m: 3, group: 3, pads: P1 }, { m: 20, pads: P1 }] },
  // padding
  'asymmetric pads': { c0: 2, hw: 7, layers: [{ m: 12, pads: [0, 1, 2, 1] }, { m: 33, pads: [1, 0, 0, 2] }] },
  'explicit Pad +1': { c0: 2, hw: 6, layers: [{ m: 20, pads: P1 }, { m: 33, padValue: 1, padBy: P1 }] },
  'explicit Pad −1': { c0: 2, hw: 6, layers: [{ m: 33, pads: P1 }, { m: 20, padValue: -1, padBy: P1, s: 2 }] },
  'explicit Pad +1, asymmetric': { c0: 1, hw: 6, layers: [{ m: 40, pads: P1 }, { m: 31, padValue: 1, padBy: [0, 2, 1, 0] }] },
  'explicit Pad −1, asymmetric, kernel 5': { c0: 1, hw: 6, layers: [{ m: 9, pads: P1 }, { m: 12, k: 5, padValue: -1, padBy: [2, 1, 0, 2] }] },
  'explicit Pad 0, groups 2': { c0: 1, hw: 6, layers: [{ m: 34, pads: P1 }, { m: 10, group: 2, padValue: 0, padBy: P1 }] },
  // pooling on the bits (after the sign) and on the sums (between the batch norm and the sign)
  'binary max-pool 2×2': { c0: 2, hw: 8, layers: [{ m: 33, pads: P1, pool: 'binary' }, { m: 20, pads: P1, pool: 'binary' }] },
  'binary max-pool 3×3, stride 2, pads 1': { c0: 1, hw: 8, layers: [{ m: 65, pads: P1, pool: 'binary3' }, { m: 8, pool: 'binary3' }] },
  'acc max-pool 2×2': { c0: 2, hw: 8, layers: [{ m: 33, pads: P1, pool: 'acc' }, { m: 20, pads: P1, pool: 'acc' }] },
  'acc max-pool 3×3, stride 2, pads 1': { c0: 1, hw: 9, layers: [{ m: 31, pads: P1, pool: 'acc3' }, { m: 40, pads: P1, pool: 'acc3' }] },
  'acc max-pool before the batch norm': { c0: 2, hw: 8, layers: [{ m: 33, pads: P1, pool: 'acc before-bn' }, { m: 20, pads: P1, pool: 'acc3 before-bn' }] },
};

/**
 * Per layer Conv → BN (γ < 0 on two channels, γ = 0 on one, when M ≥ 3) → Sign, with a MaxPool after the
 * sign, between the BN and the sign (AccPool taking the min where γ < 0), or before the BN; a dense head.
 */
function build(c: Case, seed: number): Net {
  const net = new Net(seed, { dtype: 'float32', shape: [1, c.c0, c.hw, c.hw] });
  for (const l of c.layers) {
    if (l.padValue !== undefined) net.pad(l.padBy!, l.padValue);
    net.conv(l.m, { k: l.k, s: l.s, d: l.d, group: l.group, pads: l.pads });
    const pool = () => (l.pool === 'binary3' || l.pool?.startsWith('acc3') ? net.maxPool(3, 2, P1) : net.maxPool(2, 2));
    if (l.pool?.endsWith('before-bn')) pool();
    net.bn(l.m >= 3 ? { neg: [0, l.m - 2], zero: [l.m - 1] } : {});
    if (l.pool === 'acc' || l.pool === 'acc3') pool();
    net.sign();
    if (l.pool?.startsWith('binary')) pool();
  }
  return net.flatten().dense(5, { bias: true }).output();
}

describe('lowering reproduces every bit over a grid of geometries', () => {
  it.each(Object.entries(CASES).map(([name, c], i) => ({ name, c, seed: 100 + i })))('$name', ({ c, seed }) => {
    const { lowered } = lowerAndCheck(build(c, seed), Q256, { n: 20 });
    const ops = loweredOps(lowered);
    // one IntConv, one XnorConv per further layer, one Threshold per sign, the dense head's Epilogue
    expect(ops.filter((o) => o === 'IntConv').length).toBe(1);
    expect(ops.filter((o) => o === 'XnorConv').length).toBe(c.layers.length);
    expect(ops.filter((o) => o === 'Threshold').length).toBe(c.layers.length);
    expect(ops.filter((o) => o === 'AccPool').length).toBe(c.layers.filter((l) => l.pool?.startsWith('acc')).length);
    expect(ops.filter((o) => o === 'BinaryMaxPool').length).toBe(c.layers.filter((l) => l.pool?.startsWith('binary')).length);
    expect(ops.at(-1)).toBe('Epilogue');
    // pooling between the batch norm and the sign takes the min where γ < 0 (channels 0 and M − 2)
    const pools = lowered.nodes.filter((n) => n.op === 'AccPool');
    c.layers.filter((l) => l.pool === 'acc' || l.pool === 'acc3').forEach((l) => {
      const dir = [...lowered.initializers.get(pools.shift()!.inputs[1])!.data];
      expect(dir, 'AccPool directions').toEqual(Array.from({ length: l.m }, (_, m) => (m === 0 || m === l.m - 2 ? -1 : 1)));
    });
    // an explicit Pad is folded into the XnorConv that follows it
    expect(ops).not.toContain('Pad');
    for (const [i, l] of c.layers.entries()) {
      if (l.padValue === undefined || i === 0) continue;
      const conv = lowered.nodes.filter((n) => n.op === 'XnorConv')[i - 1];
      expect(conv.attrs.pad_value).toBe(l.padValue);
      expect([...(conv.attrs.pads as number[])]).toEqual(l.padBy);
    }
  });
});
