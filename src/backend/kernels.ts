// Optimized binary kernels: rewrites the group-1 XnorConv, XnorConv + Threshold and XnorConv + AccPool +
// Threshold layers of a CModel to the XnorConvFast template, chosen from the target's features
// (popcountInstruction, dsp, arch), never its name. docs/targets.md ("Optimized binary kernels") has the summary.
// The window: K = KH·KW·Cgw activation words, read at constant offsets from one base pointer, or gathered into
// a local buffer (always when some window crosses the padding: a tap in the padding reads a zero word).
// d = Σ popcount(x XOR w) over the K words; s = E[class][m] − 2d, where the border class (row class × column
// class) of the window fixes E: E = CG·taps inside + 2·Σ popcount(w) over the padded taps + p·Σ w over them
// (p the ±1 pad value), E = CG·KH·KW for an interior window.
// Threshold decision:
//   kind  1: s < T  ⟺ 2d > E − T ⟺ d ≥ ⌊(E − T)/2⌋ + 1            (flip 0)
//   kind −1: s > T  ⟺ 2d < E − T ⟺ ¬(d ≥ ⌈(E − T)/2⌉)              (flip 1)
//   kind  2: bit 0 → never (D above d's range, flip 0); kind −2: bit 1 → D above d's range, flip 1
// so bit = (d ≥ D[class][m]) XOR flip[m], D clamped to [0, dmax + 1]. A max pool before the threshold:
// max_p s_p < T ⟺ AND_p (s_p < T), max_p s_p > T ⟺ OR_p (s_p > T) (min pools the other way round), and
// OR_p b_p = ¬AND_p ¬b_p: per 32 channels, out = AND_p (bits_p XOR fmask) XOR omask.
// d is counted one of two ways:
//   - per channel (TreeGen): a Harley-Seal carry-save tree unrolled for the known K and a weighted SWAR finish
//     (USAD8 with DSP), or a sum of popcount instructions (Zbb cpop); 2 channels per pass share each
//     activation load, 4 with a popcount instruction;
//   - bit-sliced across 32 output channels (slicedParts), without a popcount instruction: a lane-wise
//     carry-save count of (weight column XOR activation-bit mask) over the window's bits, compared with D's
//     bit planes by a borrow chain.
import { popcount32, tailMask } from '../numeric/bits.js';
import type { CModel, Layer } from './c-data.js';
import { constArray, CTYPE_BYTES, type ConstArray, type CType } from '../ops/c-layer.js';
import type { Target } from './target.js';

export type KernelVariant = 'reference' | 'optimized';

/** An optimized layer: the arrays of the reference layer it no longer reads, and its new ones by role. */
interface Rewrite { layer: Layer; drop: ConstArray[]; add: Record<string, ConstArray> }

/** The new arrays of a rewritten layer, named <cn>_<role> and kept in the order they are made. */
interface NewArrays { arrays: Record<string, ConstArray>; put(role: string, ctype: CType, values: ArrayLike<number>, perLine: number): string }
function newArrays(cn: string): NewArrays {
  const arrays: Record<string, ConstArray> = {};
  return { arrays, put: (role, ctype, values, perLine) => (arrays[role] = constArray(`${cn}_${role}`, ctype, values, perLine)).name };
}

/** Above this many words per output the tree runs as a loop over blocks of 16 words. */
const UNROLL_MAX = 64;
const BLOCK = 16;

/**
 * Emits C for d_c = Σ_k popcount(act(k) XOR w_c[k]) for each channel c, as straight-line code. Each
 * temporary is declared (`uint32_t`) at its first assignment, in the block that uses it (C99).
 */
export class TreeGen {
  readonly lines: string[] = [];
  /** The temporaries; those not yet assigned get their declaration with the first assignment. */
  private readonly decls = new Set<string>();
  private readonly declared = new Set<string>();
  private n = 0;
  /** popcnt: sum single popcounts (an instruction, or the inline SWAR count in a loop for a vectorizer). */
  constructor(private readonly popcnt: boolean, private readonly dsp: boolean, private readonly loop = false) {}

  private tmp(c: number): string {
    const v = `t${c}_${this.n++}`;
    this.decls.add(v);
    return v;
  }

  /** Declarations left for the top of the block: none, each temporary is declared where first assigned. */
  declarations(): string {
    return '';
  }

  /** Appends lines, declaring a temporary on its first assignment `v = ...;`. */
  private emit(...ls: string[]): void {
    for (const l of ls) {
      const v = /^(\w+) = /.exec(l)?.[1];
      if (v !== undefined && this.decls.has(v) && !this.declared.has(v)) {
        this.declared.add(v);
        this.lines.push(`uint32_t ${l}`);
      } else {
        this.lines.push(l);
      }
    }
  }

  /** Straight-line sums over words 0..K-1 (unrolled), or a loop over blocks of 16 then the rest unrolled. */
  sums(K: number, chans: number, act: (k: string | number) => string, wt: (c: number, k: string | number) => string, out: (c: number) => string): void {
    if (this.popcnt) {
      for (let c = 0; c < chans; c++) this.emit(`${out(c)} = 0;`);
      const body = (k: string | number) => {
        this.emit(`a = ${act(k)};`);
        for (let c = 0; c < chans; c++) this.emit(`${out(c)} += bnnc_popcount(a ^ ${wt(c, k)});`);
      };
      this.decls.add('a');
      if (K > UNROLL_MAX || this.loop) {
        this.emit(`for (k = 0; k < ${K}; k++) {`);
        body('k');
        this.emit('}');
      } else {
        for (let k = 0; k < K; k++) body(k);
      }
      return;
    }
    const words: { v: string; level: number }[][] = Array.from({ length: chans }, () => []);
    let start = 0;
    if (K > UNROLL_MAX) {
      // persistent levels 1, 2, 4, 8 per channel; each block of 16 words carries one word of weight 16 out
      const lv = (c: number, i: number) => `h${c}_${i}`;
      for (let c = 0; c < chans; c++) {
        for (let i = 0; i < 4; i++) { this.decls.add(lv(c, i)); this.emit(`${lv(c, i)} = 0;`); }
        this.emit(`${out(c)} = 0;`);
      }
      const blocks = Math.floor(K / BLOCK);
      this.emit(`for (k = 0; k < ${blocks * BLOCK}; k += ${BLOCK}) {`);
      const st = Array.from({ length: chans }, (_, c) => ({ L: [0, 1, 2, 3].map((i) => lv(c, i)) as (string | undefined)[], pend: [] as (string | undefined)[], carry: [] as string[] }));
      for (let j = 0; j < BLOCK; j++) {
        const a = this.tmp(9);
        this.emit(`${a} = ${act(`k + ${j}`)};`);
        for (let c = 0; c < chans; c++) this.feed(c, st[c], 0, this.xor(c, a, wt(c, `k + ${j}`)), 4);
      }
      for (let c = 0; c < chans; c++) {
        // write the block's level words back to the persistent ones, count the carry of weight 16
        st[c].L.forEach((v, i) => { if (v !== lv(c, i)) this.emit(`${lv(c, i)} = ${v};`); });
        for (const w of st[c].carry) this.emit(`${out(c)} += ${this.count([{ v: w, level: 0 }])};`);
      }
      this.emit('}');
      for (let c = 0; c < chans; c++) {
        this.emit(`${out(c)} = ${out(c)} * 16;`);
        for (let i = 0; i < 4; i++) words[c].push({ v: lv(c, i), level: i });
      }
      start = blocks * BLOCK;
    }
    const st = Array.from({ length: chans }, () => ({ L: [] as (string | undefined)[], pend: [] as (string | undefined)[], carry: [] as string[] }));
    for (let k = start; k < K; k++) {
      const a = this.tmp(9);
      this.emit(`${a} = ${act(k)};`);
      for (let c = 0; c < chans; c++) this.feed(c, st[c], 0, this.xor(c, a, wt(c, k)), 64);
    }
    for (let c = 0; c < chans; c++) {
      st[c].L.forEach((v, i) => { if (v) words[c].push({ v, level: i }); });
      st[c].pend.forEach((v, i) => { if (v) words[c].push({ v, level: i }); });
      const sum = words[c].length ? this.count(words[c]) : '0';
      this.emit(K > UNROLL_MAX ? `${out(c)} += ${sum};` : `${out(c)} = ${sum};`);
    }
  }

  private xor(c: number, a: string, w: string): string {
    const v = this.tmp(c);
    this.emit(`${v} = ${a} ^ ${w};`);
    return v;
  }

  /** Adds a word of weight 2^level to the carry-save counter (Harley-Seal order: pairs, then their carries). */
  private feed(c: number, s: { L: (string | undefined)[]; pend: (string | undefined)[]; carry: string[] }, level: number, w: string, top: number): void {
    if (level >= top) { s.carry.push(w); return; }
    const p = s.pend[level];
    if (p === undefined) { s.pend[level] = w; return; }
    s.pend[level] = undefined;
    const l = s.L[level];
    const lo = this.tmp(c), hi = this.tmp(c);
    if (l === undefined) {
      this.emit(`${lo} = ${p} ^ ${w};`, `${hi} = ${p} & ${w};`);
    } else {
      const u = this.tmp(c);
      this.emit(`${u} = ${l} ^ ${p};`, `${hi} = (${l} & ${p}) | (${u} & ${w});`, `${lo} = ${u} ^ ${w};`);
    }
    s.L[level] = lo;
    this.feed(c, s, level + 1, hi, top);
  }

  /** Σ popcount(w)·2^level as a C expression, computing SWAR nibble/byte counts into temporaries. */
  private count(ws: { v: string; level: number }[]): string {
    if (this.popcnt) return ws.map((w) => (w.level ? `(bnnc_popcount(${w.v}) << ${w.level})` : `bnnc_popcount(${w.v})`)).join(' + ');
    const c = 8;
    // nibble counts (≤ 4 each); two words of levels i, i+1 merge into one nibble (≤ 12) of level i
    const nib = ws.sort((a, b) => a.level - b.level).map((w) => {
      const t = this.tmp(c);
      this.emit(`${t} = ${w.v} - ((${w.v} >> 1) & 0x55555555u);`, `${t} = (${t} & 0x33333333u) + ((${t} >> 2) & 0x33333333u);`);
      return { v: t, level: w.level, max: 4 };
    });
    const merged: { v: string; level: number; max: number }[] = [];
    for (let i = 0; i < nib.length; i++) {
      const a = nib[i], b = nib[i + 1];
      if (b && (b.level === a.level || b.level === a.level + 1) && a.max + (b.max << (b.level - a.level)) <= 15) {
        this.emit(`${a.v} = ${a.v} + (${b.v}${b.level > a.level ? ' << 1' : ''});`);
        merged.push({ v: a.v, level: a.level, max: a.max + (b.max << (b.level - a.level)) });
        i++;
      } else merged.push(a);
    }
    // bytes, then groups summed horizontally once each: USAD8 sums four bytes of up to 255 exactly; the
    // multiply keeps the sum of the four bytes in the top byte, so each byte must stay ≤ 63
    const byteLimit = this.dsp ? 255 : 63;
    const terms: string[] = [];
    let acc: string | undefined, base = 0, accMax = 0;
    const flush = () => {
      if (!acc) return;
      const h = this.dsp ? `__builtin_arm_usad8(${acc}, 0u)` : `((${acc} * 0x01010101u) >> 24)`;
      terms.push(base ? `(${h} << ${base})` : h);
      acc = undefined;
    };
    for (const m of merged) {
      // a byte's two nibbles: their sum fits the low nibble only when it is at most 15
      this.emit(m.max * 2 <= 15 ? `${m.v} = (${m.v} + (${m.v} >> 4)) & 0x0f0f0f0fu;` : `${m.v} = (${m.v} & 0x0f0f0f0fu) + ((${m.v} >> 4) & 0x0f0f0f0fu);`);
      const bmax = m.max * 2;
      if (acc && accMax + (bmax << (m.level - base)) <= byteLimit) {
        this.emit(`${acc} = ${acc} + (${m.v}${m.level > base ? ` << ${m.level - base}` : ''});`);
        accMax += bmax << (m.level - base);
      } else {
        flush();
        acc = m.v; base = m.level; accMax = bmax;
      }
    }
    flush();
    return `(int32_t)(${terms.join(' + ')})`;
  }
}

/** Row or column classes of a window: output index → class, and each class's set of taps inside the input. */
function edgeClasses(n: number, S: number, P: number, K: number, D: number, size: number): { of: number[]; inside: boolean[][] } {
  const keys = new Map<string, number>(), of: number[] = [], inside: boolean[][] = [];
  for (let o = 0; o < n; o++) {
    const ins = Array.from({ length: K }, (_, k) => { const i = o * S - P + k * D; return i >= 0 && i < size; });
    const key = ins.map(Number).join('');
    let c = keys.get(key);
    if (c === undefined) { c = inside.length; keys.set(key, c); inside.push(ins); }
    of.push(c);
  }
  return { of, inside };
}

/** The C test that a tap (ih, iw) lies in the padding: the layer's own row and column tests (c-data.ts). */
function tapOutside(l: Layer): string {
  return [l.HOUT, l.WOUT].filter((t) => t).map((t) => `(${String(t)})`).join(' || ');
}

/** At most this many border classes (row classes × column classes) per layer; more keep the reference kernel. */
const MAX_CLASSES = 64;

/** The XnorConvFast data for one group-1 binary conv layer (undefined: keep the reference kernel). */
function fastLayer(l: Layer, target: Target): Rewrite | undefined {
  const n = (k: string) => l[k] as number;
  const [H, W, OH, OW, KH, KW, SH, SW, DH, DW, PT, PL, M, CW, CG, CGW, PAD] =
    ['H', 'W', 'OH', 'OW', 'KH', 'KW', 'SH', 'SW', 'DH', 'DW', 'PT', 'PL', 'M', 'CW', 'CG', 'CGW', 'PAD'].map(n);
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

/**
 * The per-channel masks of a thresholded (and maybe pooled) layer whose bit per conv pixel is (c XOR flip):
 * max_p s_p < T ⟺ AND_p (s_p < T); max_p s_p > T ⟺ OR_p (s_p > T); min pools the other way round; and
 * OR_p b_p = ¬AND_p ¬b_p. So out = AND_p (c_p XOR a) XOR o per channel, a = flip (AND) or ¬flip (OR), o = 1
 * for OR channels. Without a pool, a = flip and o = 0.
 */
function poolMasks(kind: readonly number[], dirs: readonly number[], M: number, pooled: boolean): { A: number[]; O: number[] } {
  const MW = Math.ceil(M / 32);
  const A = new Array<number>(MW).fill(0), O = new Array<number>(MW).fill(0);
  for (let m = 0; m < M; m++) {
    const flip = kind[m] === -1 || kind[m] === -2 ? 1 : 0;
    const or = pooled && Math.abs(kind[m]) === 1 && (dirs[m] === 1) !== (kind[m] === 1);
    const a = or ? 1 - flip : flip;
    if (a) A[m >> 5] = (A[m >> 5] | (1 << (m & 31))) >>> 0;
    if (or) O[m >> 5] = (O[m >> 5] | (1 << (m & 31))) >>> 0;
  }
  return { A, O };
}

/** The value range of an integer input element type (other types: no fast integer kernel). */
const INT_RANGE: Record<string, [number, number]> = { uint8_t: [0, 255], int8_t: [-128, 127], int16_t: [-32768, 32767], uint16_t: [0, 65535] };

/**
 * The IntConvFast data for a group-1 thresholded IntConv with ±1 weights (undefined: keep the reference).
 * Per output pixel the window's values v = x − zero_point are gathered (0 for a tap in the padding), then in
 * groups of 4 taps a table holds the 16 signed sums (lut[b] = Σ_i (bit i of b ? −v_i : v_i), built by
 * doubling: lut[b + 2^i] = lut[b] − 2·v_i), and each channel adds lut[its 4 weight bits] per group: a table
 * load per 4 MACs instead of 4 multiply-adds. The weights take one byte per 8 taps (two groups, low nibble
 * first): as much flash as the bits. Scratch: the gathered window (4 bytes per tap, padded to 8 taps) and
 * the tables (64 bytes per group; two groups and 64 channel sums in the group-by-group order). Threshold: bit = (s < D) XOR fmask with D = T (kind 1),
 * T + 1 (kind −1, flip) or −2^30 (kinds ±2, constant); pools as in XnorConvFast (poolMasks).
 */
function intFastLayer(l: Layer): Rewrite | undefined {
  const n = (k: string) => l[k] as number;
  const [H, W, OH, OW, KH, KW, SH, SW, DH, DW, PT, PL, M, CG, ZP] =
    ['H', 'W', 'OH', 'OW', 'KH', 'KW', 'SH', 'SW', 'DH', 'DW', 'PT', 'PL', 'M', 'CG', 'ZP'].map(n);
  const range = INT_RANGE[String(l.xt)];
  if (!l.packedW || !range) return undefined;
  const N = CG * KH * KW;
  // |s| ≤ N·max|v| must stay below 2^30 so that s − D cannot overflow
  if (N * Math.max(Math.abs(range[0] - ZP), Math.abs(range[1] - ZP)) >= 2 ** 30) return undefined;
  const pooled = l.partial === 'ConvPoolThreshold';
  // groups of 4 taps, two groups per weight byte (low nibble first): N/8 bytes per channel, as many as bits
  const NGRP = 2 * Math.ceil(N / 8), NPAD = 4 * NGRP, NB = NGRP / 2;
  // the groups with a tap (a last group of only padding is skipped where groups are unrolled)
  const NU = Math.ceil(N / 4);
  const SC = n('SC'), SY = n('SY'), SX = n('SX');
  // a dense layer over the whole input in its memory order (an MLP's first layer): the window is x itself,
  // read in place; else the window's values are gathered (at most 96 of them: 384 bytes of stack)
  const direct = OH === 1 && OW === 1 && PT === 0 && PL === 0 && SX * DW === 1 && SY * DH === KW && SC === KH * KW && N % 8 === 0;
  if (!direct && NPAD > 96) return undefined;
  // few groups (at most 8: 512 bytes of tables): every group's table at once and the channels outermost,
  // each sum in a register, the bytes channel-major; else group pair by group pair over blocks of MB
  // channels, the sums in acc[]
  const perChannel = !direct && NGRP <= 8;
  const MB = Math.min(M, 64);
  const words = l.arrays.weights.values;
  const bit = (m: number, t: number) => (t < N ? (words[(m * N + t) >> 5] >>> ((m * N + t) & 31)) & 1 : 0);
  const byte = (m: number, k: number) => { let b = 0; for (let i = 0; i < 8; i++) b |= bit(m, 8 * k + i) << i; return b; };
  const wbytes: number[] = [];
  if (perChannel) for (let m = 0; m < M; m++) for (let k = 0; k < NB; k++) wbytes.push(byte(m, k));
  else for (let k = 0; k < NB; k++) for (let m = 0; m < M; m++) wbytes.push(byte(m, k));
  const T = l.arrays.thresholds.values, kind = l.arrays.kinds.values;
  const dirs = pooled ? l.arrays.dirs.values : [];
  const LIM = 2 ** 30;
  const D = kind.map((k, m) => (k === 1 ? Math.min(Math.max(T[m], -LIM), LIM) : k === -1 ? Math.min(Math.max(T[m], -LIM), LIM) + 1 : -LIM));
  const { A, O } = poolMasks(kind, dirs, M, pooled);
  const add = newArrays(l.cn);
  add.put('wbytes', 'uint8_t', wbytes, 16);
  add.put('dmin', 'int32_t', D, 10);
  add.put('fmask', 'uint32_t', A, 6);
  const omask = O.some((v) => v !== 0) ? add.put('omask', 'uint32_t', O, 6) : '';
  const drop = [l.arrays.weights, l.arrays.thresholds, l.arrays.kinds, ...(pooled ? [l.arrays.dirs] : [])];
  // lut[16g] = Σ v (all four weights +1); lut[16g + b + 2^i] = lut[16g + b] − 2·v_i
  const lutFor = (val: (i: number) => string, base: number): string[] => {
    const out = [`lut[${base}] = ${[0, 1, 2, 3].map(val).join(' + ')};`];
    for (let i = 0; i < 4; i++) {
      out.push(`d = 2 * ${val(i)};`);
      for (let b = 0; b < 1 << i; b++) out.push(`lut[${base + (1 << i) + b}] = lut[${base + b}] - d;`);
    }
    return out;
  };
  const lut = perChannel
    ? Array.from({ length: NU }, (_, g) => lutFor((i) => `v[${4 * g + i}]`, 16 * g)).flat()
    : [0, 1].flatMap((h) => lutFor((i) => (direct ? `((int32_t)xg[${4 * h + i}] - (${ZP}))` : `vg[${4 * h + i}]`), 16 * h));
  const nib = (w: string, g: number) => (g % 2 ? `(${w} >> 4)` : `(${w} & 15u)`);
  const sumExpr = Array.from({ length: NU }, (_, g) => `lut[${g ? `${16 * g}u + ` : ''}${nib(`wb[${g >> 1}]`, g)}]`).join(' + ');
  const padInit = NPAD > N ? `\n    for (t = ${N}; t < ${NPAD}; t++) v[t] = 0;` : '';
  const layer: Layer = {
    ...l, partial: 'IntConvFast', pooled, border: false, fused: true, yt: 'uint32_t', YW: Math.ceil(M / 32),
    MW: Math.ceil(M / 32), MWLAST: (M - 1) >> 5, tailStore: M % 32 !== 0, tailWord: M % 32 ? `(word >> ${32 - (M % 32)})` : 'word',
    storeOp: pooled ? '&=' : '=', dtab: add.arrays.dmin.name, fmask: add.arrays.fmask.name, omask, wbytes: add.arrays.wbytes.name,
    NB, NGRP, tapOutside: tapOutside(l), lutCode: lut.join(`\n${' '.repeat(perChannel ? 8 : 12)}`), pixelPartial: 'int-fast-pixel', direct,
    perChannel, sumExpr, MB,
    // one block: no test of the block's end (cppcheck: known conditions)
    blockEnd: M > MB ? `mb + ${MB} < ${M} ? mb + ${MB} : ${M}` : String(M), tailCond: M > MB ? `if (me == ${M}) ` : '',
    fastDecls: `int32_t oh, ow, m, d${perChannel ? '' : ', g'}${direct ? '' : ', j, kh, kw'}${padInit ? ', t' : ''};\n    ${direct ? '' : `int32_t v[${NPAD}];\n    `}int32_t lut[${perChannel ? 16 * NU : 32}];${perChannel ? '' : `\n    int32_t mb, acc[${MB}];`}${padInit}`,
    kernelComment: [`optimized kernel: +-1 weights as 4-bit indices (two per byte) into tables of the 16 signed sums of each group of 4`,
      ` * window values (v = x - zero point, 0 in the padding), built per pixel by doubling; s = sum over the ${NGRP} groups;`,
      ` * bit = (s < dmin[m]) XOR fmask[m]${pooled ? `; the ${l.PKH}x${l.PKW} max/min pool before the threshold is an AND (or, by De Morgan, an OR)` : ''}`,
      pooled ? ' * of the conv pixels\' bits: out = AND(bits ^ fmask) ^ omask' : ''].filter((x) => x !== '').join('\n'),
  };
  return { layer, drop, add: add.arrays };
}

/**
 * The bit-sliced kernel's parts. Lane l of every word is output channel 32g + l. For input bit j of window
 * word k, the word t = wcols[g][k][j] XOR mask(bit j of a) (mask: all ones when the activation bit is 1) has
 * lane l set where channel 32g + l's weight differs from the activation: d of each channel is the lane-wise
 * count of set bits over the window's bits. A Harley-Seal carry-save tree counts them lane-wise: levels
 * l0..l4 persist across the window's words, each word of 32 bits carries one word of weight 32 into the high
 * planes h5.. (ripple of half adders). Then d ≥ D lane-wise is "no borrow" of d − D over the B bit planes
 * (D's planes stored per border class and group). Tail bits of a word (channels ≥ CG) have zero columns.
 */
function slicedParts(target: Target, B: number, wt: readonly number[], M: number, K: number, CG: number, CGW: number,
  add: NewArrays, drop: ConstArray[], weights: ConstArray): Record<string, unknown> {
  const NG = Math.ceil(M / 32);
  const cols: number[] = [];
  for (let g = 0; g < NG; g++) {
    for (let k = 0; k < K; k++) {
      const valid = k % CGW === CGW - 1 && CG % 32 !== 0 ? CG % 32 : 32;
      for (let j = 0; j < 32; j++) {
        let w = 0;
        for (let lane = 0; lane < 32 && 32 * g + lane < M; lane++) {
          if (j < valid && (wt[(32 * g + lane) * K + k] >>> j) & 1) w = (w | (1 << lane)) >>> 0;
        }
        // pair encoding: the odd bit's column holds the XOR of the pair's two columns
        cols.push(j % 2 ? (w ^ cols[cols.length - 1]) >>> 0 : w);
      }
    }
  }
  drop.push(weights);
  const name = add.put('wcols', 'uint32_t', cols, 6);
  // the mask of bit j: SBFX where the core has it (Armv7-M and later), else a shift pair on int32_t, whose
  // arithmetic right shift the generated file checks at compile time (C99 leaves it to the implementation)
  const sbfx = target.features.sbfx;
  // carry-save levels kept across the window's words: 5 (blocks of 32 bits), 4 on Armv6-M's 8 low registers
  // (blocks of 16 bits, in Thumb-1 assembly below)
  const LV = target.features.thumb1Only ? 4 : 5;
  const NBK = 32 >> LV;
  const mask = (a: string, j: number) => sbfx
    ? (j ? `(0u - ((${a} >> ${j}) & 1u))` : `(0u - (${a} & 1u))`)
    : `bnnc_bit_mask(${a}, ${31 - j})`;
  const out: string[] = [];
  let n = 0;
  const pend: (string | undefined)[] = [];
  let carry = '';
  const feed = (level: number, w: string): void => {
    if (level === LV) { carry = w; return; }
    const p = pend[level];
    if (p === undefined) { pend[level] = w; return; }
    pend[level] = undefined;
    const L = `l${level}`, u = `u${n++}`, hi = `c${n++}`;
    out.push(`const uint32_t ${u} = ${L} ^ ${p};`, `const uint32_t ${hi} = (${L} & ${p}) | (${u} & ${w});`, `${L} = ${u} ^ ${w};`);
    feed(level + 1, hi);
  };
  // each block of 2^LV bits carries one word of weight 2^LV: kept per window word in cyb[] and counted
  // after the window by a tree of full adders (K ≤ 64), else added to the high planes at once by a ripple of
  // half adders (which costs a load and a store per plane on Cortex-M4's registers)
  const keep = K * NBK <= 64;
  let blk = 0;
  const ripple = () => {
    if (keep) { out.push(NBK === 1 ? `cyb[k] = ${carry};` : `cyb[k * ${NBK} + ${blk++}] = ${carry};`); return; }
    if (B === LV + 1) { out.push(`h${LV} ^= ${carry};`); return; }
    out.push(`{`, `    uint32_t cy = ${carry}, nx;`);
    for (let i = LV; i < B; i++) {
      if (i < B - 1) out.push(`    nx = h${i} & cy;`, `    h${i} ^= cy;`, `    cy = nx;`);
      else out.push(`    h${i} ^= cy;`);
    }
    out.push('}');
  };
  // Level 0 takes the bits in pairs (2i, 2i + 1), pair-encoded: with t_a, t_b the pair's two words and
  // x = t_a ^ t_b = (w_a ^ w_b) ^ mask(bit 2i of a2), a2 = a ^ (a >> 1), the full adder with l0 is
  // lo = l0 ^ x, hi = maj(l0, t_a, t_b) = t_a ^ ((t_a ^ l0) & x): 4 operations instead of 5 and one XOR
  out.push('const uint32_t a2 = a ^ (a >> 1);');
  for (let j = 0; j < 32; j += 2) {
    const ta = `t${n++}`, x = `x${n++}`, v = `v${n++}`, hi = `c${n++}`;
    out.push(`const uint32_t ${ta} = wc[${j}] ^ ${mask('a', j)};`, `const uint32_t ${x} = wc[${j + 1}] ^ ${mask('a2', j)};`,
      `const uint32_t ${v} = ${ta} ^ l0;`, `const uint32_t ${hi} = ${ta} ^ (${v} & ${x});`, `l0 ^= ${x};`);
    feed(1, hi);
    if ((j + 2) % (1 << LV) === 0) ripple();
  }
  // Armv6-M: each 16-bit block as hand-allocated Thumb-1 (GCC inline assembly; the C above otherwise): all
  // eight low registers (a, a2, wc, l0, l1 and three temporaries), l2, l3 and the pending carries in high ones
  if (target.features.thumb1Only && keep && LV === 4) {
    const c = out.join(`\n${' '.repeat(4)}`);
    out.length = 0;
    out.push('#if defined(__GNUC__) && !defined(__clang__)', '{', '    const uint32_t a2 = a ^ (a >> 1);', '    uint32_t rt, rx, rv, rp1, rp2, rp3;');
    for (let h = 0; h < 2; h++) {
      // gcc hands Thumb-1 inline assembly to the assembler in divided syntax unless told otherwise
      out.push(`    __asm__ (`, ...['.syntax unified', ...thumb1Block(16 * h)].map((i) => `        "${i}\\n\\t"`),
        `        : [t] "=&l" (rt), [x] "=&l" (rx), [v] "=&l" (rv), [p1] "=&h" (rp1), [p2] "=&h" (rp2), [p3] "=&h" (rp3),`,
        `          [l0] "+l" (l0), [l1] "+l" (l1), [l2] "+h" (l2), [l3] "+h" (l3)`,
        `        : [a] "l" (a), [a2] "l" (a2), [wc] "l" (wc)`,
        `        : "cc", "memory");`,
        `    cyb[k * 2 + ${h}] = rt;`);
    }
    out.push('    (void)rx; (void)rv; (void)rp1; (void)rp2; (void)rp3;', '}', '#else', '{', `    ${c}`, '}', '#endif');
  }
  const P = (i: number) => (i < LV ? `l${i}` : `h${i}`);
  // the kept carries, bucketed by level (weight 2^(LV + level)): full adders (3 words → 1 + a carry up) and
  // half adders until one word per level is left, which is the plane
  const sum: string[] = [];
  if (keep) {
    const bucket: string[][] = [Array.from({ length: K * NBK }, (_, k) => `cyb[${k}]`)];
    let m = 0;
    for (let lv = 0; lv < bucket.length; lv++) {
      const b = bucket[lv];
      while (b.length >= 2) {
        const x = b.shift()!, y = b.shift()!, lo = `s${m++}`, hi = `s${m++}`;
        if (b.length >= 1) {
          const z = b.shift()!, u = `s${m++}`;
          sum.push(`const uint32_t ${u} = ${x} ^ ${y};`, `const uint32_t ${hi} = (${x} & ${y}) | (${u} & ${z});`, `const uint32_t ${lo} = ${u} ^ ${z};`);
        } else {
          sum.push(`const uint32_t ${hi} = ${x} & ${y};`, `const uint32_t ${lo} = ${x} ^ ${y};`);
        }
        b.push(lo);
        (bucket[lv + 1] ??= []).push(hi);
      }
    }
    // planes from B up are zero: d < 2^B (the adders are exact); gcc drops their dead computations
    bucket.forEach((b, lv) => { if (b.length && LV + lv < B) sum.push(`h${LV + lv} = ${b[0]};`); });
    // keep only the adders some plane needs (backwards liveness over the straight-line code)
    const live = new Set<string>();
    for (let i = sum.length - 1; i >= 0; i--) {
      const def = /^const uint32_t (s\d+) = /.exec(sum[i])?.[1];
      if (def !== undefined && !live.has(def)) { sum.splice(i, 1); continue; }
      for (const v of sum[i].replace(/^const uint32_t s\d+ = |^h\d+ = /, '').match(/s\d+/g) ?? []) live.add(v);
    }
  }
  const cmp = [`borrow = ~${P(0)} & dp[0];`];
  for (let i = 1; i < B; i++) cmp.push(`borrow = (~${P(i)} & dp[${i}]) | (~(${P(i)} ^ dp[${i}]) & borrow);`);
  return {
    weights: name, channelsPartial: 'xnor-sliced-channels', NG, B,
    planeDecls: Array.from({ length: B }, (_, i) => `${P(i)} = 0`).join(', '),
    sliceBody: out.join(`\n${' '.repeat(12)}`), compareCode: [...sum, ...cmp].join(`\n${' '.repeat(8)}`),
    cybDecl: keep ? `uint32_t cyb[${K * NBK}];` : '',
    sraMask: !sbfx,
  };
}

/**
 * One 16-bit block of the bit-sliced count in Thumb-1 (unified syntax), bits j0 .. j0 + 15 of a: eight
 * pair steps (mask, column load and XOR for t_a and for x = t_a ^ t_b, then the full adder with l0:
 * hi = l0 ^ ((l0 ^ t_a) & ~x), l0 ^= x) and the Harley-Seal carries up to level 4, which ends in t.
 * Full adder of a level with l, pending p and new word w: u = l ^ p; l' = u ^ w; hi = w ^ ((p ^ w) & ~u).
 */
function thumb1Block(j0: number): string[] {
  const out: string[] = [];
  const mask = (dst: string, src: string, j: number) => [`lsls %[${dst}], %[${src}], #${31 - j}`, `asrs %[${dst}], %[${dst}], #31`];
  const pend = [false, false, false, false];
  const fa1 = () => out.push('mov %[x], %[p1]', 'eors %[l1], %[x]', 'eors %[x], %[t]', 'bics %[x], %[l1]', 'eors %[l1], %[t]', 'eors %[t], %[x]');
  const faHigh = (l: string, p: string) => out.push(`mov %[x], %[${l}]`, `mov %[v], %[${p}]`, 'eors %[x], %[v]', 'eors %[v], %[t]',
    'bics %[v], %[x]', 'eors %[x], %[t]', 'eors %[t], %[v]', `mov %[${l}], %[x]`);
  for (let i = 0; i < 8; i++) {
    const j = j0 + 2 * i;
    out.push(...mask('t', 'a', j), `ldr %[v], [%[wc], #${4 * j}]`, 'eors %[t], %[v]',
      ...mask('x', 'a2', j), `ldr %[v], [%[wc], #${4 * (j + 1)}]`, 'eors %[x], %[v]',
      'eors %[t], %[l0]', 'bics %[t], %[x]', 'eors %[t], %[l0]', 'eors %[l0], %[x]');
    // t: a word of level 1
    if (!pend[1]) { out.push('mov %[p1], %[t]'); pend[1] = true; continue; }
    fa1(); pend[1] = false;
    if (!pend[2]) { out.push('mov %[p2], %[t]'); pend[2] = true; continue; }
    faHigh('l2', 'p2'); pend[2] = false;
    if (!pend[3]) { out.push('mov %[p3], %[t]'); pend[3] = true; continue; }
    faHigh('l3', 'p3'); pend[3] = false;
    // t: the block's carry, of level 4
  }
  return out;
}

function slicedComment(K: number, B: number, pooled: boolean, l: Layer): string {
  return [`optimized kernel, bit-sliced across 32 output channels: for each of the ${K} window words and each of its`,
    ` * bits, the 32 channels' weight bits XOR the activation bit (bits in pairs: the odd column holds the pair's XOR),`,
    ` * counted lane-wise by a Harley-Seal carry-save tree`,
    ` * into ${B} bit planes of d (derivation in src/backend/kernels.ts); bit = (d >= D[class][m]) XOR fmask[m], by a`,
    ` * bit-sliced borrow over D's planes${pooled ? `; the ${l.PKH}x${l.PKW} max/min pool before the threshold is an AND` : ''}`,
    pooled ? ' * (or, by De Morgan, an OR) of the conv pixels\' bits: out = AND(bits ^ fmask) ^ omask' : '',
  ].filter((x) => x !== '').join('\n');
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

function indent(s: string, n: number): string {
  return s.split('\n').map((x, i) => (i ? ' '.repeat(n) + x : x)).join('\n');
}

/** The model with its kernels chosen: 'reference' leaves it as built; 'optimized' rewrites the binary convs. */
export function selectKernels(model: CModel, target: Target, variant: KernelVariant = 'optimized'): CModel {
  if (variant === 'reference') return model;
  let consts = model.consts;
  let constBytes = model.constBytes;
  const layers = model.layers.map((l) => {
    const pooled = l.partial === 'ConvPoolThreshold' && l.sumPartial === 'xnor-sum';
    const intPooled = l.partial === 'ConvPoolThreshold' && l.sumPartial === 'int-sum';
    if (l.G !== 1) return l;
    let f: Rewrite | undefined;
    if (l.partial === 'IntConvThreshold' || intPooled) f = intFastLayer(l);
    else if (l.partial === 'XnorConv' || l.partial === 'XnorConvThreshold' || pooled) f = fastLayer(l, target);
    if (!f) return l;
    const { drop, add } = f;
    const added = Object.values(add);
    constBytes -= drop.reduce((s, c) => s + c.count * CTYPE_BYTES[c.ctype], 0);
    constBytes += added.reduce((s, c) => s + c.count * CTYPE_BYTES[c.ctype], 0);
    consts = [...consts.filter((c) => !drop.includes(c)), ...added];
    const kept = Object.entries(l.arrays).filter(([, c]) => !drop.includes(c));
    return { ...f.layer, arrays: { ...Object.fromEntries(kept), ...add } };
  });
  return { ...model, layers, consts, constBytes };
}
