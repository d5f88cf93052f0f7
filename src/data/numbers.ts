// Numbers the user types as option values (--input-scale, --seed, --limit, …): decimal text only (no '',
// hex or 'Infinity', which Number() would take), finite, and where a value becomes a float in the C, a
// normal float32 once rounded. Anything else is a BNNC_E019 naming the option.
import { fail } from '../errors.js';

const DECIMAL = /^\s*[-+]?(\d+\.?\d*|\.\d+)(e[-+]?\d+)?\s*$/i;

/** The smallest positive normal float32, 2^-126 ≈ 1.18e-38. */
export const FLOAT32_MIN_NORMAL = 2 ** -126;

/** A finite number from an option's text. */
export function numberOption(flag: string, text: string): number {
  const v = DECIMAL.test(text) ? Number(text) : NaN;
  if (!Number.isFinite(v)) fail('BNNC_E019', `${flag} '${text}': expected a finite decimal number`);
  return v;
}

/** An integer option in [min, max] (both inclusive). */
export function intOption(flag: string, text: string, min: number, max: number): number {
  const v = numberOption(flag, text);
  if (!Number.isSafeInteger(v) || v < min || v > max) fail('BNNC_E019', `${flag} '${text}': expected an integer from ${min} to ${max}`);
  return v;
}

/** A positive integer option (--limit, --timeout, --max-tensor-bytes), at most `max`; undefined when not given. */
export function positiveInt(flag: string, v: string | undefined, max = Number.MAX_SAFE_INTEGER): number | undefined {
  return v === undefined ? undefined : intOption(flag, v, 1, max);
}

/**
 * Why `v` is no usable float32 once rounded (Infinity beyond ±3.4e38; 0 or a subnormal below 1.18e-38, which
 * loses precision and which some FPUs flush to 0), or undefined when it is one. 0 itself is left to the caller.
 */
export function float32Problem(v: number): string | undefined {
  const f = Math.fround(v);
  if (!Number.isFinite(f)) return `${v} is beyond the float32 range (±3.4e38) and would become ${f}`;
  if (v !== 0 && f === 0) return `${v} rounds to 0 in float32`;
  if (f !== 0 && Math.abs(f) < FLOAT32_MIN_NORMAL) return `${v} is below the smallest normal float32 (1.18e-38)`;
  return undefined;
}
