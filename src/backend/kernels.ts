// Optimized binary kernels: rewrites the group-1 XnorConv / XnorConvThreshold layers of a CModel to the
// XnorConvFast template (XnorConvPoolFast for a binary conv fused with AccPool and Threshold: the unfused sums
// per conv pixel, pooled and thresholded per pooled pixel). Chosen from the target's features
// (popcountInstruction, dsp), never its name.
// For every output pixel whose window lies inside the input (all of them without padding):
//   - the K = KH·KW·Cgw activation words are read at constant offsets from one base pointer;
//   - two output channels per pass share each activation load (register blocking);
//   - Σ popcount(x XOR w) over the K words is a Harley-Seal carry-save-adder tree unrolled for the known K
//     (no popcount instruction), or a sum of single-instruction popcounts (Zbb cpop and the like);
//   - the tree's level words (weights 1, 2, 4, ...) are counted by a weighted SWAR finish: nibble counts,
//     two levels merged per nibble, bytes summed once per output (USAD8 with DSP, else a multiply).
// Threshold decision, for d = Σ popcount and s = CG·taps − 2d (taps = KH·KW inside the input):
//   kind  1: s < T  ⟺ 2d > CGT − T ⟺ d ≥ ⌊(CGT − T)/2⌋ + 1            (flip 0)
//   kind −1: s > T  ⟺ 2d < CGT − T ⟺ ¬(d ≥ ⌈(CGT − T)/2⌉)              (flip 1)
//   kind  2: bit 0 → never (D = CGT + 1, flip 0); kind −2: bit 1 → D = CGT + 1, flip 1
// so bit = (d ≥ D[m]) XOR flip[m], D clamped to [0, CGT + 1]; the flips of 32 channels are one word XORed
// once per output word. Pixels whose window crosses the padding keep the reference code (exact by definition).
import type { CModel, ConstArray, Layer } from './c-data.js';
import type { Target } from './target.js';

export type KernelVariant = 'reference' | 'optimized';

/** Above this many words per output the tree runs as a loop over blocks of 16 words. */
const UNROLL_MAX = 64;
const BLOCK = 16;

function constValues(model: CModel, name: string): number[] {
  const c = model.consts.find((k) => k.name === name);
  if (!c) throw new Error(`kernels: no constant ${name}`);
  const vals = c.body.split(/[\s,]+/).filter((s) => s !== '').map((s) => (s.startsWith('0x') ? parseInt(s.slice(2, -1), 16) | 0 : Number(s)));
  if (vals.length !== c.count || vals.some((v) => !Number.isInteger(v))) throw new Error(`kernels: cannot read constant ${name}`);
  return vals;
}

const BYTES: Record<string, number> = { uint32_t: 4, int32_t: 4, int8_t: 1 };

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
  constructor(private readonly popcnt: boolean, private readonly dsp: boolean) {}

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
      if (K > UNROLL_MAX) {
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

/** The XnorConvFast data for one group-1 binary conv layer. */
function fastLayer(model: CModel, l: Layer, target: Target): { layer: Layer; drop: string[]; add: ConstArray[] } {
  const n = (k: string) => l[k] as number;
  const [H, W, OH, OW, KH, KW, SH, SW, DH, DW, PT, PL, M, CW, CG, CGW] =
    ['H', 'W', 'OH', 'OW', 'KH', 'KW', 'SH', 'SW', 'DH', 'DW', 'PT', 'PL', 'M', 'CW', 'CG', 'CGW'].map(n);
  const fused = l.partial === 'XnorConvThreshold';
  const K = KH * KW * CGW, CGT = CG * KH * KW;
  const dkh = (KH - 1) * DH + 1, dkw = (KW - 1) * DW + 1;
  // does any output pixel's window leave the input?
  const sides = [PT > 0 ? 'ih0 >= 0' : '', (OH - 1) * SH - PT + dkh > H ? `ih0 <= ${H - dkh}` : '',
    PL > 0 ? 'iw0 >= 0' : '', (OW - 1) * SW - PL + dkw > W ? `iw0 <= ${W - dkw}` : ''].filter((t) => t !== '');
  const border = sides.length > 0;
  const popcnt = target.features.popcountInstruction;
  const dsp = target.features.dsp && target.family === 'cortex-m';
  const large = K > UNROLL_MAX;
  // activation word k = (tap, c) at a constant offset from the pixel's base pointer (or a gathered copy)
  const gather = large && KH * KW > 1;
  const off = (k: number) => {
    const tap = Math.floor(k / CGW), c = k % CGW, kh = Math.floor(tap / KW), kw = tap % KW;
    return (kh * DH * W + kw * DW) * CW + c;
  };
  const act = (k: string | number) => (typeof k === 'number' && !gather ? `xb[${off(k)}]` : `ap[${k}]`);
  const body = (chans: number) => {
    const g = new TreeGen(popcnt, dsp);
    g.sums(K, chans, act, (c, k) => `w0[${c ? (typeof k === 'number' ? K + k : `${K} + ${k}`) : k}]`, (c) => `d${c}`);
    return [g.declarations(), ...g.lines].filter((s) => s !== '').join('\n');
  };
  const drop: string[] = [];
  const add: ConstArray[] = [];
  const P = model.prefix;
  const cn = `${l.fn}`.replace(/_l(\d+)_.*$/, '_c$1');
  let dthr = '', flip = '';
  if (fused) {
    const T = constValues(model, l.thresholds as string), kind = constValues(model, l.kinds as string);
    const D: number[] = [], F: number[] = new Array<number>(l.MW as number).fill(0);
    for (let m = 0; m < M; m++) {
      let d: number, f: number;
      if (kind[m] === 1) { d = Math.floor((CGT - T[m]) / 2) + 1; f = 0; }
      else if (kind[m] === -1) { d = Math.ceil((CGT - T[m]) / 2); f = 1; }
      else { d = CGT + 1; f = kind[m] === -2 ? 1 : 0; }
      D.push(Math.min(Math.max(d, 0), CGT + 1));
      if (f) F[m >> 5] = (F[m >> 5] | (1 << (m & 31))) >>> 0;
    }
    dthr = `${cn}_dmin`;
    flip = `${cn}_flip`;
    add.push({ name: dthr, ctype: 'int32_t', count: M, body: lines(D.map(String), 12) });
    add.push({ name: flip, ctype: 'uint32_t', count: F.length, body: lines(F.map((v) => `0x${v.toString(16).padStart(8, '0')}u`), 6) });
    if (!border) drop.push(l.thresholds as string, l.kinds as string);
  }
  if (!border && l.padded) drop.push(l.wsum as string, l.wtotal as string);
  void P;
  const gatherCode = gather
    ? `for (kh = 0; kh < ${KH}; kh++) {\n    for (kw = 0; kw < ${KW}; kw++) {\n        for (k = 0; k < ${CGW}; k++) a_buf[(kh * ${KW} + kw) * ${CGW} + k] = xb[(kh * ${DH * W} + kw * ${DW}) * ${CW} + k];\n    }\n}`
    : '';
  const refVars = border ? String(l.decls) : 'int32_t oh, ow, m;';
  const extra = [large || gather ? 'k' : '', gather ? 'kh, kw' : ''].filter((s) => s !== '').join(', ');
  const decls = [refVars, extra && !border ? `int32_t ${extra};` : '', gather ? `uint32_t a_buf[${K}];\n    const uint32_t *ap = a_buf;` : (large ? 'const uint32_t *ap;' : '')].filter((s) => s !== '').join('\n    ');
  const layer: Layer = {
    ...l, partial: 'XnorConvFast', fused, border, K, CGT, MPAIR: M - (M % 2), odd: M % 2 === 1,
    MWLAST: (M - 1) >> 5, tailStore: M % 32 !== 0, dthr, flip, yt: fused ? 'uint32_t' : 'int32_t', YW: fused ? l.MW : M,
    // the window is inside the input: tested on the sides some window crosses (no test without a border)
    interior: sides.join(' && '),
    fastDecls: decls, gatherCode, setAp: !gather && large ? 'ap = xb;' : '',
    pairBody: indent(body(2), 16), singleBody: indent(body(1), 12),
    kernelNote: popcnt ? 'sum of popcount instructions' : `Harley-Seal carry-save tree over ${K} words, weighted SWAR finish${dsp ? ' with USAD8' : ''}`,
  };
  return { layer, drop, add };
}

function indent(s: string, n: number): string {
  return s.split('\n').map((x, i) => (i ? ' '.repeat(n) + x : x)).join('\n');
}

function lines(vals: string[], per: number): string {
  const out: string[] = [];
  for (let i = 0; i < vals.length; i += per) out.push(`    ${vals.slice(i, i + per).join(', ')},`);
  return out.join('\n');
}

/** The model with its kernels chosen: 'reference' leaves it as built; 'optimized' rewrites the binary convs. */
export function selectKernels(model: CModel, target: Target, variant: KernelVariant = 'optimized'): CModel {
  if (variant === 'reference') return model;
  let consts = model.consts;
  let constBytes = model.constBytes;
  const layers = model.layers.map((l) => {
    const pooled = l.partial === 'ConvPoolThreshold' && l.sumPartial === 'xnor-sum';
    if ((l.partial !== 'XnorConv' && l.partial !== 'XnorConvThreshold' && !pooled) || l.G !== 1) return l;
    // a conv fused with pool and threshold: the unfused fast kernel's sums, pooled and thresholded per pixel
    const f = fastLayer({ ...model, consts }, pooled ? { ...l, partial: 'XnorConv', decls: String(l.decls).replace(', q, b;', ';') } : l, target);
    if (pooled) {
      // the pooled template nests the bodies deeper (both at 32 columns)
      const deeper = (v: unknown, n: number) => String(v).replace(/\n/g, `\n${' '.repeat(n)}`);
      Object.assign(f.layer, { partial: 'XnorConvPoolFast', pairBody: deeper(f.layer.pairBody, 16), singleBody: deeper(f.layer.singleBody, 20) });
    }
    const dropped = consts.filter((c) => f.drop.includes(c.name));
    constBytes -= dropped.reduce((s, c) => s + c.count * (BYTES[c.ctype] ?? 4), 0);
    constBytes += f.add.reduce((s, c) => s + c.count * (BYTES[c.ctype] ?? 4), 0);
    consts = [...consts.filter((c) => !f.drop.includes(c.name)), ...f.add];
    return f.layer;
  });
  return { ...model, layers, consts, constBytes };
}
