// XnorConvFast: the optimized group-1 binary conv (alone, + Threshold, + AccPool + Threshold), its window's
// border classes and per-class constants E and D (derivation in src/backend/kernels.ts); d counted per channel
// (carry-save-tree.ts) or bit-sliced across 32 channels (bit-sliced.ts), chosen from target.features.
import type { ConstArray, CType, XnorConvLayer } from '../../ops/c-layer.js';
import { popcount32, tailMask } from '../../numeric/bits.js';
import type { Layer } from '../c-data.js';
import type { Target } from '../target.js';
import { slicedComment, slicedParts } from './bit-sliced.js';
import { TreeGen } from './carry-save-tree.js';
import { edgeClasses, indent, newArrays, poolMasks, tapOutside, UNROLL_MAX, type Rewrite } from './common.js';

/** At most this many border classes (row classes × column classes) per layer; more keep the reference kernel. */
const MAX_CLASSES = 64;

/** The XnorConvFast data for one group-1 binary conv layer (undefined: keep the reference kernel). */
export function fastLayer(l: Layer & XnorConvLayer, target: Target): Rewrite | undefined {
  const { H, W, OH, OW, KH, KW, SH, SW, DH, DW, PT, PL, M, CW, CG, CGW, PAD } = l;
  const pooled = l.partial === 'ConvPoolThreshold';
  const fused = l.partial === 'XnorConvThreshold' || pooled;
  const K = KH * KW * CGW, CGT = CG * KH * KW;
  const dkh = (KH - 1) * DH + 1, dkw = (KW - 1) * DW + 1;
  // the sides some window crosses: the window is inside the input when it crosses none of them
  const sides = [PT > 0 ? 'ih0 >= 0' : '', (OH - 1) * SH - PT + dkh > H ? `ih0 <= ${H - dkh}` : '',
    PL > 0 ? 'iw0 >= 0' : '', (OW - 1) * SW - PL + dkw > W ? `iw0 <= ${W - dkw}` : ''].filter((t) => t !== '');
  const border = sides.length > 0;
  const rows = edgeClasses(OH, SH, PT, KH, DH, H), cols = edgeClasses(OW, SW, PL, KW, DW, W);
  const NR = rows.inside.length, NC = cols.inside.length;
  if (NR * NC > MAX_CLASSES) return undefined;
  // with MVE, a plain loop of inline SWAR popcounts over a multiple of 4 words: gcc vectorizes it (measured on
  // the emulated Cortex-M55: the example MLP's K = 8 rows 8.2 -> 5.9 per 32 MACs; K = 9 and 18 stay bit-sliced)
  const vectorLoop = target.features.mve && (KH * KW * CGW) % 4 === 0;
  const popcnt = target.features.popcountInstruction || vectorLoop;
  const dsp = target.features.usad8;
  const large = K > UNROLL_MAX || vectorLoop;
  // output channels per pass, sharing each activation load: 8 with a popcount instruction (few registers per
  // channel), 2 with the carry-save tree (four spill on Cortex-M4's registers)
  const CH = vectorLoop ? 2 : popcnt ? 8 : 2;
  const NG = Math.ceil(M / 32);
  // bit-sliced across 32 output channels where no popcount instruction exists and most of the 32 lanes
  // carry a channel: the per-channel popcount finish (SWAR) is paid once per 32 channels instead of per channel
  const sliced = !popcnt && fused && M >= 0.75 * 32 * NG;
  // d's range: with the sliced kernel the tail bits of a word are not counted at all
  const DMAX = sliced ? CGT : 32 * K;
  // activation word k = (tap, c) at a constant offset from the pixel's base pointer, or gathered into a_buf
  // (always with a border: a tap in the padding then reads a zero word)
  const gather = border || ((large || sliced) && KH * KW > 1);
  const off = (k: number) => {
    const tap = Math.floor(k / CGW), c = k % CGW, kh = Math.floor(tap / KW), kw = tap % KW;
    return (kh * DH * W + kw * DW) * CW + c;
  };
  const act = (k: string | number) => (typeof k === 'number' && !gather ? `xb[${off(k)}]` : `ap[${k}]`);
  const body = (chans: number) => {
    const g = new TreeGen(popcnt, dsp, vectorLoop);
    g.sums(K, chans, act, (c, k) => `w0[${c ? (typeof k === 'number' ? c * K + k : `${c * K} + ${k}`) : k}]`, (c) => `d${c}`);
    return [g.declarations(), ...g.lines].filter((s) => s !== '').join('\n');
  };
  const wt = l.arrays.weights.values;
  const tail = tailMask(CG);
  // E[class][m]: s = E − 2d for d counted over the gathered window (zero words in the padding). A padded tap
  // adds popcount(w_tap) to d and, with pad value p, p·Σ w_tap (±1 values) to s: E = CG·taps + 2·Σ popcount + p·Σ w
  const E: number[][] = [];
  for (let r = 0; r < NR; r++) {
    for (let c = 0; c < NC; c++) {
      const e: number[] = [];
      for (let m = 0; m < M; m++) {
        let taps = 0, pcs = 0, wsum = 0;
        for (let kh = 0; kh < KH; kh++) {
          for (let kw = 0; kw < KW; kw++) {
            if (rows.inside[r][kh] && cols.inside[c][kw]) { taps++; continue; }
            for (let k = 0; k < CGW; k++) {
              const v = wt[(m * KH * KW + kh * KW + kw) * CGW + k];
              const bits = popcount32(k === CGW - 1 ? v & tail : v);
              pcs += sliced ? bits : popcount32(v);
              wsum += (k === CGW - 1 && CG % 32 !== 0 ? CG % 32 : 32) - 2 * bits;
            }
          }
        }
        e.push(CG * taps + 2 * pcs + PAD * wsum);
      }
      E.push(e);
    }
  }
  const drop: ConstArray[] = [];
  const add = newArrays(l.cn);
  // bits of d's counter in the sliced kernel (l0..l4 are the carry-save levels, h5.. the high planes)
  const B = Math.max(6, Math.floor(Math.log2(DMAX + 1)) + 1);
  let dtab: string, dtype: CType = 'int32_t', fmask = '', omask = '';
  if (fused) {
    const T = l.arrays.thresholds.values, kind = l.arrays.kinds.values;
    const dirs = pooled ? l.arrays.dirs.values : [];
    // kind  1: s < T ⟺ E − 2d < T ⟺ d ≥ ⌊(E − T)/2⌋ + 1; kind −1: s > T ⟺ ¬(d ≥ ⌈(E − T)/2⌉) (flip 1);
    // kind ±2: constant bit 0 / 1 (D above any d, flip for 1). D clamped to [0, 32·K + 1], the range of d.
    const D = E.map((e) => e.map((Ev, m) => {
      const d = kind[m] === 1 ? Math.floor((Ev - T[m]) / 2) + 1 : kind[m] === -1 ? Math.ceil((Ev - T[m]) / 2) : DMAX + 1;
      return Math.min(Math.max(d, 0), DMAX + 1);
    }));
    const { A, O } = poolMasks(kind, dirs, M, pooled);
    if (sliced) {
      // bit planes of D per class and group of 32 channels: word i holds bit i of the 32 channels' D
      // (lanes without a channel: D = DMAX + 1, never reached, so their bits are 0)
      dtype = 'uint32_t';
      const planes: number[] = [];
      for (const dc of D) {
        for (let g = 0; g < NG; g++) {
          for (let i = 0; i < B; i++) {
            let w = 0;
            for (let lane = 0; lane < 32; lane++) {
              const dv = 32 * g + lane < M ? dc[32 * g + lane] : DMAX + 1;
              if ((dv >> i) & 1) w = (w | (1 << lane)) >>> 0;
            }
            planes.push(w);
          }
        }
      }
      dtab = add.put('dmin', dtype, planes, 6);
    } else {
      // stored as D − 1: d ≥ D ⟺ (D − 1) − d < 0, the sign bit shifted into the output word from the top
      if (DMAX + 1 <= 32767) dtype = 'int16_t';
      dtab = add.put('dmin', dtype, D.flat().map((v) => v - 1), 12);
    }
    fmask = add.put('fmask', 'uint32_t', A, 6);
    if (O.some((v) => v !== 0)) {
      omask = add.put('omask', 'uint32_t', O, 6);
    }
    drop.push(l.arrays.thresholds, l.arrays.kinds);
    if (pooled) drop.push(l.arrays.dirs);
  } else {
    dtab = add.put('e', 'int32_t', E.flat(), 12);
  }
  if (l.padded) drop.push(l.arrays.wsum, l.arrays.wtotal);
  let classExpr = '0';
  if (border) {
    const parts: string[] = [];
    if (NR > 1) {
      const rc = add.put('rowclass', 'uint8_t', rows.of, 16);
      parts.push(NC > 1 ? `${rc}[oh] * ${NC}` : `${rc}[oh]`);
    }
    if (NC > 1) {
      const cc = add.put('colclass', 'uint8_t', cols.of, 16);
      parts.push(`${cc}[ow]`);
    }
    classExpr = parts.join(' + ') || '0';
  }
  // the interior window's words into a_buf: unrolled for a short window, else tap by tap
  const nl = `\n${' '.repeat(border ? 8 : 4)}`;
  const copyCode = !gather ? '' : K <= UNROLL_MAX
    ? Array.from({ length: K }, (_, k) => `a_buf[${k}] = xb[${off(k)}];`).join(nl)
    : `for (kh = 0; kh < ${KH}; kh++) {${nl}    for (kw = 0; kw < ${KW}; kw++) {${nl}        for (k = 0; k < ${CGW}; k++) a_buf[(kh * ${KW} + kw) * ${CGW} + k] = xb[(kh * ${DH * W} + kw * ${DW}) * ${CW} + k];${nl}    }${nl}}`;
  const vars = ['oh', 'ow', sliced ? 'g' : 'm', ...(large || gather || sliced ? ['k'] : []), ...(gather && (border || K > UNROLL_MAX) ? ['kh', 'kw'] : [])];
  const decls = [`int32_t ${vars.join(', ')};`, gather ? `uint32_t a_buf[${K}];` : ''].filter((s) => s !== '').join('\n    ');
  const layer: Layer = {
    ...l, partial: 'XnorConvFast', fused, pooled, border, K, CGT, MMAIN: M - (M % CH), CH, rest: M % CH !== 0,
    dDecls: Array.from({ length: CH }, (_, c) => `d${c}`).join(', '),
    packCode: Array.from({ length: CH }, (_, c) => `word = (word >> 1) | ((uint32_t)(dp[m${c ? ` + ${c}` : ''}] - d${c}) & 0x80000000u);`).join('\n        '),
    // after the last word's M mod 32 channels their bits sit at the top of the word
    tailWord: M % 32 ? `(word >> ${32 - (M % 32)})` : 'word',
    storeCode: Array.from({ length: CH }, (_, c) => `yp[m${c ? ` + ${c}` : ''}] = dp[m${c ? ` + ${c}` : ''}] - 2 * d${c};`).join('\n        '),
    MW: NG, MWLAST: (M - 1) >> 5, tailStore: M % 32 !== 0, dtab, dtype, fmask, omask, classExpr,
    storeOp: pooled ? '&=' : '=', yt: fused ? 'uint32_t' : 'int32_t', YW: fused ? NG : M,
    interior: sides.join(' && '), tapOutside: tapOutside(l), fastDecls: decls, copyCode,
    setAp: gather ? 'const uint32_t *ap = a_buf;' : large || sliced ? 'const uint32_t *ap = xb;' : '',
    clsStride: sliced ? NG * B : M,
    pixelPartial: 'xnor-fast-pixel',
    ...(sliced ? slicedParts(target, B, wt, M, K, CG, CGW, add, drop, l.arrays.weights) : {
      channelsPartial: 'xnor-fast-channels',
      pairBody: indent(body(CH), 12), singleBody: indent(body(1), 12),
    }),
    kernelComment: sliced ? slicedComment(K, B, pooled, l) : channelComment(K, popcnt, dsp, fused, pooled, border, l, vectorLoop),
  };
  return { layer, drop, add: add.arrays };
}

function channelComment(K: number, popcnt: boolean, dsp: boolean, fused: boolean, pooled: boolean, border: boolean, l: Layer, vectorLoop: boolean): string {
  const note = vectorLoop ? 'a loop of inline popcounts over the window words, for the MVE vectorizer' : popcnt ? 'sum of popcount instructions' : `Harley-Seal carry-save tree over ${K} words, weighted SWAR finish${dsp ? ' with USAD8' : ''}`;
  return [`optimized kernel (${note}), two output channels per pass:`,
    ` * d = sum of popcount(x XOR w) over the ${K} words of the window${border ? ', gathered: a tap in the padding reads a zero' : ''}`,
    border ? ' * word and adds popcount(w) of that tap, which the constants of the window\'s border class absorb;' : '',
    fused ? ` * bit = (d >= dmin[class][m]) XOR fmask[m], dmin stored minus 1 (derivation in src/backend/kernels.ts)${pooled ? `; the ${l.PKH}x${l.PKW} max/min` : ''}` : ' * s = E[class][m] - 2d',
    pooled ? ' * pool before the threshold is an AND (or, by De Morgan, an OR) of the conv pixels\' bits: out = AND(bits ^ fmask) ^ omask' : '',
  ].filter((x) => x !== '').join('\n');
}
