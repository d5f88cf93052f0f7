// The input quantization written as text (the CLI's --input-scale, --input-zero-point, --input-offset,
// --input-type; a build script's "1/255"): parsed into the IR's InputQuant, refused with BNNC_E019.
import { fail } from './errors.js';
import { float32Problem, numberOption } from './data/numbers.js';
import type { InputQuant } from './ir/types.js';

/**
 * `--input-scale` with `--input-zero-point` or `--input-offset`: x = (q − zero_point) · scale =
 * q · scale + offset. A scale written as a fraction "1/255" is a division, rounded once (as pixel / 255 is
 * computed in float32). Every number must be finite and a normal float32 once rounded, and so must the
 * scale the C states (fround(scale / divisor)) and the model input of every raw value (1e39 would be
 * Infinity, 1e-46 a scale of 0).
 */
export function parseInputQuant(scale: string | undefined, zeroPoint: string | undefined, dtype: string | undefined, offset?: string): InputQuant | undefined {
  if (scale === undefined && zeroPoint === undefined && offset === undefined) return undefined;
  if (zeroPoint !== undefined && offset !== undefined) fail('BNNC_E019', 'give --input-zero-point or --input-offset, not both');
  const dt = dtype ?? 'uint8';
  if (dt !== 'uint8' && dt !== 'int8') fail('BNNC_E019', `--input-type '${dtype}': expected uint8 or int8`);
  const [lo, hi] = dt === 'uint8' ? [0, 255] : [-128, 127];
  const text = scale ?? '1';
  const slash = text.indexOf('/');
  const flag = `--input-scale '${text}'`;
  const num = numberOption('--input-scale', slash < 0 ? text : text.slice(0, slash));
  const den = slash < 0 ? 1 : numberOption('--input-scale', text.slice(slash + 1));
  if (num === 0 || den <= 0) fail('BNNC_E019', `${flag}: expected a non-zero number or a fraction such as 1/255`);
  for (const v of [num, den, num / den]) {
    const why = float32Problem(v);
    if (why) fail('BNNC_E019', `${flag}: ${why}`);
  }
  let zp: number;
  if (offset !== undefined) {
    // x = q·scale + offset = (q − zp)·scale with zp = −offset / scale, which must be an integer
    const o = numberOption('--input-offset', offset);
    const why = o === 0 ? undefined : float32Problem(o);
    if (why) fail('BNNC_E019', `--input-offset '${offset}': ${why}`);
    zp = (-o * den) / num;
    if (!Number.isFinite(zp) || Math.abs(zp - Math.round(zp)) > 1e-9 * Math.max(1, Math.abs(zp))) {
      fail('BNNC_E019', `--input-offset '${offset}' is not a whole number of --input-scale steps (x = q·scale + offset needs offset = −zero_point·scale)`);
    }
    zp = Math.round(zp) + 0;
    if (zp < lo || zp > hi) fail('BNNC_E019', `--input-offset '${offset}' means a zero point of ${zp}; a ${dt} input needs one in ${lo}..${hi}`);
  } else {
    zp = numberOption('--input-zero-point', zeroPoint ?? '0') + 0;
    if (!Number.isInteger(zp) || zp < lo || zp > hi) fail('BNNC_E019', `--input-zero-point '${zeroPoint}': expected an integer in ${lo}..${hi}`);
  }
  // the model input of the extreme raw values, as check and the lowering compute it
  for (const q of [lo, hi]) {
    const x = Math.fround(((q - zp) * num) / den);
    if (!Number.isFinite(x)) fail('BNNC_E019', `${flag}: the raw input ${q} maps to x = ${x} in float32; the scale is too large`);
  }
  return { dtype: dt, scale: num, divisor: den, zeroPoint: zp };
}
