// The per-channel popcount sums of the XnorConvFast kernel as straight-line C: a Harley-Seal carry-save tree
// with a weighted SWAR finish (USAD8 with DSP), or a sum of popcount instructions; derivation in
// src/backend/kernels.ts.
import { BLOCK, UNROLL_MAX } from './common.js';

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
      const h = this.dsp ? `BNNC_USAD8(${acc})` : `((${acc} * 0x01010101u) >> 24)`;
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
