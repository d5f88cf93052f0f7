// IntConvLanes: the optimized unfused ±1 IntConv (binary weights × k-bit integer activations, int32 sums out,
// any layout, zero point and value range [QMIN, QMAX]): tables of signed sums over groups of window values,
// the values of L output pixels packed in lanes of one word so that every table load serves L pixels.
import type { IntConvLayer } from '../../ops/c-layer.js';
import type { Layer } from '../c-data.js';
import type { Target } from '../target.js';
import { newArrays, type Rewrite } from './common.js';

/** Bytes of stack the kernel may take (packed window, tables, packed sums, the last pixels' outputs). */
const STACK_MAX = 4096;

/** One way to run a layer: GS taps per table (4, 5 or 6), L lanes of B bits, GPW groups per weight word, FW words per flush. */
export interface LanePlan { GS: number; L: number; B: number; GPW: number; NWD: number; FW: number; C: number; cost: number; stack: number }

/**
 * The math. Tap t = (kh·KW + kw)·CG + j of the window, v_t = x_t − zp (0 in the padding), weight w_t = ±1 with
 * bit b_t = 1 for −1. In groups of GS taps, a table holds every signed sum: lut[b] = Σ_i (bit i of b ? −v_i : v_i),
 * built by doubling (lut[b + 2^i] = lut[b] − 2·v_i, 2^GS entries from GS values); then
 *   s[m] = Σ_t w_t·v_t = Σ_groups lut_g[b_g(m)],
 * a table load per GS MACs, the weights' bits of a group read as the index (1 bit per weight in flash).
 * Lanes: L output pixels' values packed in one word, V_t = Σ_l v_t^(l)·2^(B·l) (mod 2^32), so that each entry
 * and each sum carries all L pixels at once. With |v| ≤ V (V = max(|QMIN − zp|, |QMAX − zp|)), a sum over n
 * groups has |s^(l)| ≤ n·GS·V; with a bias C ≥ that bound added once per lane (OFF = Σ_l C·2^(B·l)) every lane
 * is in [0, 2C] and no lane borrows from or carries into the next as long as 2C < 2^B: the lanes are exact
 * bit fields of the 32-bit sum, s^(l) = ((S >> B·l) & (2^B − 1)) − C (the top lane: S >> B·(L−1), minus C).
 * So a flush (decode into the int32 outputs) is due every F = ⌊(2^(B−1) − 1)/(GS·V)⌋ groups: int8 values in 2
 * lanes of 16 bits every 25 groups of 5 taps (V = 255), 2-bit values in 4 lanes of 8 bits every 8 groups.
 * With L = 1 the sums are plain int32 (the op's own bound keeps them below 2^31) and never flushed early.
 * The plan (GS, L) is the cheapest by an instruction estimate per MAC (lookups ~ M·N/(GS·L), tables ~
 * 2^GS·N/(GS·L) per pass), within 4 KiB of stack; the rest follows from the range.
 */
export function lanePlans(l: IntConvLayer, target: Target): LanePlan[] {
  const { OH, OW, KH, KW, M, CG, ZP, QMIN, QMAX } = l;
  const N = CG * KH * KW, P = OH * OW;
  const V = Math.max(Math.abs(QMIN - ZP), Math.abs(QMAX - ZP), 1);
  // a group's lookup: extract the index (UBFX where Armv7-M has SBFX/UBFX, else a shift and an AND), the load,
  // the add; Thumb-1's 8 low registers keep no table pointers (an address add more)
  const ext = target.features.sbfx ? 1 : 2;
  const look = ext + 2 + (target.features.thumb1Only ? 1 : 0);
  const plans: LanePlan[] = [];
  for (const GS of [4, 5, 6]) {
    for (const L of [1, 2, 3, 4]) {
      const B = L === 1 ? 32 : Math.floor(32 / L);
      const F = L === 1 ? Infinity : Math.floor((2 ** (B - 1) - 1) / (GS * V));
      if (F < 1) continue;
      const NG = Math.ceil(N / GS);
      let GPW = Math.min(Math.floor(32 / GS), F, NG);
      const NWD = Math.ceil(NG / GPW);
      GPW = Math.ceil(NG / NWD);
      const FW = L === 1 ? NWD : Math.min(NWD, Math.floor(F / GPW));
      const NFL = Math.ceil(NWD / FW);
      const C = L === 1 ? 0 : FW * GPW * GS * V;
      if (L > P) continue;
      const stack = 4 * (NWD * GPW * GS + (GPW << GS) + (FW > 1 ? M : 0) + 2 * L) + 2 * CG;
      if (stack > STACK_MAX) continue;
      // instructions per pixel set: per channel the word loads, lookups, packed sums kept across words, the
      // decode and stores of each flush (3 per lane, 2 more when adding); per set the tables and the gather
      const perChannel = NWD + NG * look + (NWD - NFL) * 3 + NFL * L * (L > 1 ? 4 : 1) + (NFL - 1) * L * 2 + 2;
      const perSet = M * perChannel + NWD * GPW * (2 * (1 << GS) + GS + 4) + N * L * 4 + NWD * GPW * GS;
      plans.push({ GS, L, B, GPW, NWD, FW, C, cost: (Math.ceil(P / L) * perSet) / (P * N * M), stack });
    }
  }
  return plans.sort((a, b) => a.cost - b.cost);
}

/** The IntConvLanes data for a group-1 unfused IntConv with ±1 weights (undefined: keep the reference). */
export function intLanesLayer(l: Layer & IntConvLayer, target: Target): Rewrite | undefined {
  // NHWC (a pixel's channels contiguous, SC = 1: one row of zero points stands for a tap in the padding)
  if (!l.packedW || l.G !== 1 || l.SC !== 1 || !['uint8_t', 'int8_t', 'int16_t', 'uint16_t'].includes(l.xt)) return undefined;
  const plan = lanePlans(l, target)[0];
  if (!plan) return undefined;
  const { GS, L, B, GPW, NWD, FW, C } = plan;
  const { OH, OW, KH, KW, SH, SW, DH, DW, PT, PL, M, CG, ZP, SC, SY, SX, HOUT, WOUT } = l;
  const N = CG * KH * KW, P = OH * OW, TPW = GPW * GS, NPAD = NWD * TPW;
  const vt = L === 1 ? 'int32_t' : 'uint32_t';
  const bitsPer = GPW * GS;
  const wt = bitsPer <= 8 ? 'uint8_t' : 'uint32_t';
  // weight word (wb, m): group gl of block wb at bits GS·gl..; its bit i is tap t = (wb·GPW + gl)·GS + i,
  // whose reference bit is at ((m·CG + j)·KH + kh)·KW + kw for t = (kh·KW + kw)·CG + j
  const ref = l.arrays.weights.values;
  const bit = (m: number, t: number): number => {
    if (t >= N) return 0;
    const j = t % CG, tap = (t - j) / CG;
    const i = (m * CG + j) * KH * KW + tap;
    return (ref[i >> 5] >>> (i & 31)) & 1;
  };
  const words: number[] = [];
  for (let wb = 0; wb < NWD; wb++) {
    for (let m = 0; m < M; m++) {
      let w = 0;
      for (let k = 0; k < TPW; k++) if (bit(m, wb * TPW + k)) w = (w | (1 << k)) >>> 0;
      words.push(w);
    }
  }
  const add = newArrays(l.cn);
  const wname = add.put('wgroups', wt, words, wt === 'uint32_t' ? 6 : 12);
  const MASK = (1 << GS) - 1, MASKB = L === 1 ? 0 : 2 ** B - 1;
  const OFF = Array.from({ length: L }, (_, i) => C * 2 ** (B * i)).reduce((a, b) => a + b, 0);
  const tail = P % L !== 0;
  const acc = FW > 1;
  const ind = (n: number) => `\n${' '.repeat(n)}`;

  // the gather, tap by tap: each lane's pixel row at that tap (a row of zero points where the tap is in the
  // padding), then per channel v = Σ_l (x_l − zp) << B·l in one pass
  const laneRow = (i: number): string[] => [
    `{`,
    `    const int32_t ih = ih0[${i}] + kh * ${DH}, iw = iw0[${i}] + kw * ${DW};`,
    `    x${i} = ${[...(HOUT ? [`(${HOUT})`] : []), ...(WOUT ? [`(${WOUT})`] : [])].join(' || ') || '0'} ? zrow : x + ih * ${SY} + iw * ${SX};`,
    `}`,
  ];
  const value = (i: number) => {
    const v = ZP === 0 ? `(int32_t)x${i}[j]` : `((int32_t)x${i}[j] - (${ZP}))`;
    return L === 1 ? v : i === 0 ? `(uint32_t)${v}` : `((uint32_t)${v} << ${B * i})`;
  };
  const gather = [
    // the lanes' windows: row and column of each lane's first tap
    `for (l = 0; l < ${L}; l++) {`,
    `    ih0[l] = oh * ${SH} - ${PT};`,
    `    iw0[l] = ow * ${SW} - ${PL};`,
    `    if (++ow == ${OW}) {`, `        ow = 0;`, `        oh++;`, `    }`,
    `}`,
    `for (kh = 0; kh < ${KH}; kh++) {`,
    `    for (kw = 0; kw < ${KW}; kw++) {`,
    `        const ${l.xt} ${Array.from({ length: L }, (_, i) => `*x${i}`).join(', ')};`,
    `        ${vt} *vp = v + (kh * ${KW} + kw) * ${CG};`,
    ...Array.from({ length: L }, (_, i) => laneRow(i).map((t) => `        ${t}`)).flat(),
    `        for (j = 0; j < ${CG}; j++) vp[j] = ${Array.from({ length: L }, (_, i) => value(i)).join(' + ')};`,
    `    }`,
    `}`,
  ];

  // the tables of block wb's GPW groups
  const lut: string[] = [`for (g = 0; g < ${GPW}; g++) {`, `    const ${vt} *vg = vw + g * ${GS};`, `    ${vt} *lg = lut + g * ${1 << GS};`, `    ${vt} d;`,
    `    lg[0] = ${Array.from({ length: GS }, (_, i) => `vg[${i}]`).join(' + ')};`];
  for (let i = 0; i < GS; i++) {
    lut.push(`    d = vg[${i}] + vg[${i}];`);
    for (let b = 0; b < 1 << i; b++) lut.push(`    lg[${(1 << i) + b}] = lg[${b}] - d;`);
  }
  lut.push('}');

  // the channel loop of one word block: first word of a flush (starts from OFF, else from acc[m]), last word
  // of a flush (decodes the lanes into y: '=' in the first flush, '+=' after), else kept in acc[m]
  const ptrs = `const ${vt} ${Array.from({ length: GPW }, (_, g) => `*l${g} = lut${g ? ` + ${g << GS}` : ''}`).join(', ')};`;
  // the stored word has no bits above its TPW taps: the last group needs no mask
  const sum = Array.from({ length: GPW }, (_, g) => {
    const sh = g * GS;
    const idx = sh === 0 ? (GPW === 1 ? 'w' : `w & ${MASK}u`) : g === GPW - 1 ? `w >> ${sh}` : `(w >> ${sh}) & ${MASK}u`;
    return `l${g}[${idx}]`;
  }).join(' + ');
  const channels = (first: boolean, last: boolean, firstFlush: boolean): string[] => {
    const start = first ? (L > 1 ? `${OFF}u + ` : '') : 'acc[m] + ';
    const op = firstFlush ? '=' : '+=';
    const out = [`for (m = 0; m < ${M}; m++) {`, `    const uint32_t w = wq[m];`, `    const ${vt} s = ${start}${sum};`];
    if (!last) out.push('    acc[m] = s;');
    else if (L === 1) out.push(`    yp[m] ${op} s;`);
    else {
      for (let i = 0; i < L; i++) {
        const field = i === 0 ? `s & ${MASKB}u` : i === L - 1 ? `s >> ${B * i}` : `(s >> ${B * i}) & ${MASKB}u`;
        out.push(`    yp[${i ? `${i * M} + ` : ''}m] ${op} (int32_t)(${field}) - ${C};`);
      }
    }
    out.push('}');
    return out;
  };
  // which variant each word block runs (first of a flush, last of a flush, in the first flush), by a table
  const keys = new Map<string, [boolean, boolean, boolean]>();
  const kindOf: number[] = [];
  for (let wb = 0; wb < NWD; wb++) {
    const r = wb % FW, k: [boolean, boolean, boolean] = [r === 0, r === FW - 1 || wb === NWD - 1, wb < FW];
    if (!keys.has(k.join())) keys.set(k.join(), k);
    kindOf.push([...keys.keys()].indexOf(k.join()));
  }
  // each variant is a function of its own, the group tables its arguments: inside one function gcc recomputes
  // every table's address from the stack pointer at each load (two instructions more per group, measured on
  // Cortex-M4); as arguments they stay in registers
  const variants = [...keys.values()];
  const args = Array.from({ length: GPW }, (_, g) => `const ${vt} *l${g}`).join(', ');
  // a variant reads acc[] unless it starts a flush, writes it unless it ends one, and writes y when it ends one
  const usesAcc = (k: boolean[]) => !k[0] || !k[1];
  const helpers = variants.map((k, i) => [
    `static BNNC_NOINLINE BNNC_KERNEL void ${l.fn}_w${i}(const ${wt} *wq, ${usesAcc(k) ? `${k[1] ? 'const ' : ''}${vt} *acc, ` : ''}${k[1] ? 'int32_t *yp, ' : ''}${args})`,
    `{`, `    int32_t m;`, ...channels(...k).map((t) => `    ${t}`), `}`].join('\n'));
  const callArgs = (k: boolean[]) => `wq, ${usesAcc(k) ? 'acc, ' : ''}${k[1] ? 'yp, ' : ''}${Array.from({ length: GPW }, (_, g) => (g ? `lut + ${g << GS}` : 'lut')).join(', ')}`;
  const kinds = variants.length > 1 ? add.put('wkind', 'uint8_t', kindOf, 16) : '';
  const pick: string[] = [];
  variants.forEach((k, i) => {
    const call = `${l.fn}_w${i}(${callArgs(k)});`;
    if (variants.length === 1) pick.push(call);
    else pick.push(i === 0 ? `if (${kinds}[wb] == 0) {` : i < variants.length - 1 ? `} else if (${kinds}[wb] == ${i}) {` : '} else {', `    ${call}`);
  });
  if (variants.length > 1) pick.push('}');
  const blocks = [
    `for (wb = 0; wb < ${NWD}; wb++) {`,
    `    const ${vt} *vw = v + wb * ${TPW};`,
    `    const ${wt} *wq = ${wname} + wb * ${M};`,
    ...lut.map((s) => `    ${s}`),
    ...pick.map((s) => `    ${s}`),
    `}`,
  ];
  const vars = ['p', 'oh = 0', 'ow = 0', 'l', 'kh', 'kw', 'j', 'wb', 'g'];
  const decls = [`int32_t ${vars.join(', ')};`, `int32_t ih0[${L}], iw0[${L}];`, `${l.xt} zrow[${CG}];`, `${vt} v[${NPAD}];`, `${vt} lut[${GPW << GS}];`,
    ...(acc ? [`${vt} acc[${M}];`] : [])];
  // before the pixels: the row of zero points, and the taps of the last block past the window (always 0)
  const init = [`for (j = 0; j < ${CG}; j++) zrow[j] = ${ZP};`, ...(NPAD > N ? [`for (j = ${N}; j < ${NPAD}; j++) v[j] = 0;`] : []),];
  const pixel = [
    `int32_t *yp;`,
    // P mod L ≠ 0: the last set ends at the last pixel, recomputing some of the previous set's (the same sums;
    // its first flush stores with '='), so no lane ever writes past the output
    ...(tail ? [`if (p > ${P - L}) {`, `    p = ${P - L};`, `    oh = ${Math.floor((P - L) / OW)};`, `    ow = ${(P - L) % OW};`, `}`] : []),
    `yp = y + p * ${M};`,
    ...gather, ...blocks,
  ];
  const layer: Layer = {
    ...l, partial: 'IntConvLanes', P, L, helpers: helpers.join('\n\n'),
    fastDecls: [...decls, ...init].join(ind(4)), pixelCode: pixel.join(ind(8)),
    kernelComment: [
      `optimized kernel: +-1 weights x ${l.QMIN}..${l.QMAX} values (zero point ${ZP}), ${L === 1 ? 'one pixel' : `${L} output pixels in ${B}-bit lanes of one word`} per pass;`,
      ` * tables of the ${1 << GS} signed sums of each group of ${GS} window values (v = x - zero point, 0 in the padding), built by doubling,`,
      ` * indexed by the weight bits (${GPW} groups per ${wt} word, ${NWD} word${NWD > 1 ? 's' : ''} per channel)${L > 1 ? `; lanes biased by ${C} and decoded every ${FW} word${FW > 1 ? 's' : ''}` : ''} (derivation in src/backend/kernels/int-lanes.ts)`,
    ].join('\n'),
  };
  return { layer, drop: [l.arrays.weights], add: add.arrays };
}
