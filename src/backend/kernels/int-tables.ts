// IntConvFast: the optimized thresholded ±1 IntConv (a first layer on integer pixels), by tables of the 16
// signed sums of each group of 4 window values.
import type { IntConvLayer } from '../../ops/c-layer.js';
import type { Layer } from '../c-data.js';
import { newArrays, poolMasks, tapOutside, type Rewrite } from './common.js';

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
export function intFastLayer(l: Layer & IntConvLayer): Rewrite | undefined {
  const { OH, OW, KH, KW, DH, DW, PT, PL, M, CG, ZP, SC, SY, SX } = l;
  const range = INT_RANGE[l.xt];
  if (!l.packedW || !range) return undefined;
  const N = CG * KH * KW;
  // |s| ≤ N·max|v| must stay below 2^30 so that s − D cannot overflow
  if (N * Math.max(Math.abs(range[0] - ZP), Math.abs(range[1] - ZP)) >= 2 ** 30) return undefined;
  const pooled = l.partial === 'ConvPoolThreshold';
  // groups of 4 taps, two groups per weight byte (low nibble first): N/8 bytes per channel, as many as bits
  const NGRP = 2 * Math.ceil(N / 8), NPAD = 4 * NGRP, NB = NGRP / 2;
  // the groups with a tap (a last group of only padding is skipped where groups are unrolled)
  const NU = Math.ceil(N / 4);
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
