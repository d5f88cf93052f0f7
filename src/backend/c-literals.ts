// Numbers to C text, in one place: the C model carries constant arrays as numbers with their element type
// (ops/c-layer.ts), and only the templates' helpers (`cArray`, `hex32`: emit.ts) turn them into literals here.
import { fail } from '../errors.js';
import type { ConstArray, CType } from '../ops/c-layer.js';

/** Decimal with 9 significant digits: round-trips every float32 exactly through a correctly rounding compiler. */
export function cFloat(v: number): string {
  if (!Number.isFinite(Math.fround(v))) fail('BNNC_E018', `constant ${v} cannot be written as C`);
  if (Object.is(v, -0)) return '-0.0f';
  const s = Math.fround(v).toPrecision(9);
  return `${s.includes('e') || s.includes('.') ? s : `${s}.0`}f`;
}

/** A 32-bit word as an unsigned hex literal (the value's low 32 bits, whatever its sign). */
export const hex32 = (v: number): string => `0x${(v >>> 0).toString(16).padStart(8, '0')}u`;

/** One element as C: unsigned words in hex, floats with cFloat, other integers in decimal. */
export function cLiteral(ctype: CType, v: number): string {
  return ctype === 'uint32_t' ? hex32(v) : ctype === 'float' ? cFloat(v) : String(v);
}

/** The initializer lines of a constant array: `perLine` literals a line, indented, each followed by a comma. */
export function cArrayBody(c: ConstArray): string {
  const vals = c.values.map((v) => cLiteral(c.ctype, v));
  const out: string[] = [];
  for (let i = 0; i < vals.length; i += c.perLine) out.push(`    ${vals.slice(i, i + c.perLine).join(', ')},`);
  return out.join('\n');
}
