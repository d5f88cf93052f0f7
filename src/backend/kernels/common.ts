// Shared by the optimized kernel generators (selection.ts): how a rewrite reports its constant arrays, the
// border classes of a window, the padding test of a tap, the threshold/pool masks, and the unroll limits.
import { constArray, type ConstArray, type CType, type Geo } from '../../ops/c-layer.js';
import type { Layer } from '../c-data.js';

/** Above this many words per output the tree runs as a loop over blocks of 16 words. */
export const UNROLL_MAX = 64;
export const BLOCK = 16;

/** An optimized layer: the arrays of the reference layer it no longer reads, and its new ones by role. */
export interface Rewrite { layer: Layer; drop: ConstArray[]; add: Record<string, ConstArray> }

/** The new arrays of a rewritten layer, named <cn>_<role> and kept in the order they are made. */
export interface NewArrays { arrays: Record<string, ConstArray>; put(role: string, ctype: CType, values: ArrayLike<number>, perLine: number): string }
export function newArrays(cn: string): NewArrays {
  const arrays: Record<string, ConstArray> = {};
  return { arrays, put: (role, ctype, values, perLine) => (arrays[role] = constArray(`${cn}_${role}`, ctype, values, perLine)).name };
}

/** Row or column classes of a window: output index → class, and each class's set of taps inside the input. */
export function edgeClasses(n: number, S: number, P: number, K: number, D: number, size: number): { of: number[]; inside: boolean[][] } {
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
export function tapOutside(l: Geo): string {
  return [l.HOUT, l.WOUT].filter((t) => t).map((t) => `(${t})`).join(' || ');
}

/**
 * The per-channel masks of a thresholded (and maybe pooled) layer whose bit per conv pixel is (c XOR flip):
 * max_p s_p < T ⟺ AND_p (s_p < T); max_p s_p > T ⟺ OR_p (s_p > T); min pools the other way round; and
 * OR_p b_p = ¬AND_p ¬b_p. So out = AND_p (c_p XOR a) XOR o per channel, a = flip (AND) or ¬flip (OR), o = 1
 * for OR channels. Without a pool, a = flip and o = 0.
 */
export function poolMasks(kind: readonly number[], dirs: readonly number[], M: number, pooled: boolean): { A: number[]; O: number[] } {
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

export function indent(s: string, n: number): string {
  return s.split('\n').map((x, i) => (i ? ' '.repeat(n) + x : x)).join('\n');
}
