// The bit-sliced XnorConvFast count (no popcount instruction): 32 output channels per word, a lane-wise
// carry-save count of the window's bits, compared with D's bit planes by a borrow chain. On Thumb-1-only cores
// (target.features.thumb1Only) each 16-bit block is hand-allocated inline assembly, which lives in
// templates/cortex-m/partials/xnor-sliced-channels.hbs; this file hands it the per-step numbers.
import type { ConstArray } from '../../ops/c-layer.js';
import type { Layer } from '../c-data.js';
import type { Target } from '../target.js';
import type { NewArrays } from './common.js';

/**
 * The bit-sliced kernel's parts. Lane l of every word is output channel 32g + l. For input bit j of window
 * word k, the word t = wcols[g][k][j] XOR mask(bit j of a) (mask: all ones when the activation bit is 1) has
 * lane l set where channel 32g + l's weight differs from the activation: d of each channel is the lane-wise
 * count of set bits over the window's bits. A Harley-Seal carry-save tree counts them lane-wise: levels
 * l0..l4 persist across the window's words, each word of 32 bits carries one word of weight 32 into the high
 * planes h5.. (ripple of half adders). Then d ≥ D lane-wise is "no borrow" of d − D over the B bit planes
 * (D's planes stored per border class and group). Tail bits of a word (channels ≥ CG) have zero columns.
 */
export function slicedParts(target: Target, B: number, wt: readonly number[], M: number, K: number, CG: number, CGW: number,
  add: NewArrays, drop: ConstArray[], weights: ConstArray): Record<string, unknown> {
  const NG = Math.ceil(M / 32);
  // Xtensa (EXTUI, ADDX4, no signed extract): wc[2j + bit j of a] is column j XORed with the bit's mask, in
  // an extract, a scaled add and a load (3 instructions) instead of a load, two shifts and an XOR (4)
  const pick = !target.features.sbfx && target.features.extui === true;
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
      // with EXTUI: each column beside its complement, the activation bit picks one (below)
      if (pick) cols.splice(cols.length - 32, 32, ...cols.slice(-32).flatMap((c) => [c, ~c >>> 0]));
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
    const col = (a: string, c: number) => (pick ? `wc[${2 * c} + ((${a} >> ${j}) & 1u)]` : `wc[${c}] ^ ${mask(a, j)}`);
    out.push(`const uint32_t ${ta} = ${col('a', j)};`, `const uint32_t ${x} = ${col('a2', j + 1)};`,
      `const uint32_t ${v} = ${ta} ^ l0;`, `const uint32_t ${hi} = ${ta} ^ (${v} & ${x});`, `l0 ^= ${x};`);
    feed(1, hi);
    if ((j + 2) % (1 << LV) === 0) ripple();
  }
  // Armv6-M: each 16-bit block as hand-allocated Thumb-1 (GCC inline assembly in the cortex-m family's
  // xnor-sliced-channels.hbs; the C above otherwise): all eight low registers (a, a2, wc, l0, l1 and three
  // temporaries), l2, l3 and the pending carries in high ones
  const thumb1 = target.features.thumb1Only && keep && LV === 4;
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
    weights: name, channelsPartial: 'xnor-sliced-channels', NG, B, wcStep: pick ? 64 : 32,
    planeDecls: Array.from({ length: B }, (_, i) => `${P(i)} = 0`).join(', '),
    // the C's lines at the template's indentation (inside the assembly's #else block, four spaces in)
    sliceBody: out.join(thumb1 ? '\n    ' : `\n${' '.repeat(12)}`), compareCode: [...sum, ...cmp].join(`\n${' '.repeat(8)}`),
    cybDecl: keep ? `uint32_t cyb[${K * NBK}];` : '',
    sraMask: !sbfx && !pick,
    thumb1: thumb1 ? { blocks: [thumb1Steps(0), thumb1Steps(16)] } : false,
  };
}

/**
 * The numbers of one 16-bit block of the Thumb-1 count (the instructions are the template's), bits j0 ..
 * j0 + 15 of a: per pair step the shift that makes bit j's mask and the byte offsets of the two columns, and
 * where the step's level-1 word goes: kept pending at level 1, 2 or 3 (p1, p2, p3: the Harley-Seal order,
 * full adders below that level), or, at the block's last step, carried up to the level-4 word (none set).
 */
function thumb1Steps(j0: number): { steps: { shift: number; off0: number; off1: number; p1: boolean; p2: boolean; p3: boolean }[] } {
  const pend = [false, false, false, false];
  return {
    steps: Array.from({ length: 8 }, (_, i) => {
      const j = j0 + 2 * i;
      let lv = 1;
      while (lv < 4 && pend[lv]) pend[lv++] = false;
      if (lv < 4) pend[lv] = true;
      return { shift: 31 - j, off0: 4 * j, off1: 4 * (j + 1), p1: lv === 1, p2: lv === 2, p3: lv === 3 };
    }),
  };
}

export function slicedComment(K: number, B: number, pooled: boolean, l: Layer): string {
  return [`optimized kernel, bit-sliced across 32 output channels: for each of the ${K} window words and each of its`,
    ` * bits, the 32 channels' weight bits XOR the activation bit (bits in pairs: the odd column holds the pair's XOR),`,
    ` * counted lane-wise by a Harley-Seal carry-save tree`,
    ` * into ${B} bit planes of d (derivation in src/backend/kernels.ts); bit = (d >= D[class][m]) XOR fmask[m], by a`,
    ` * bit-sliced borrow over D's planes${pooled ? `; the ${l.PKH}x${l.PKW} max/min pool before the threshold is an AND` : ''}`,
    pooled ? ' * (or, by De Morgan, an OR) of the conv pixels\' bits: out = AND(bits ^ fmask) ^ omask' : '',
  ].filter((x) => x !== '').join('\n');
}
