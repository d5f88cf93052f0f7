// QONNX rounding modes (Quant today, Trunc later): each maps one float32 value to an integer-valued float32,
// written after qonnx's resolve_rounding_mode (src/qonnx/custom_op/general/intquant.py), numpy semantics
// included: the ±0.5 of HALF_UP / HALF_DOWN is one float32 addition (so it can round), zeros keep numpy's sign.

/** numpy's sign: ±1, +0 for either zero (npy: x > 0 ? 1 : x < 0 ? -1 : x == 0 ? 0 : x), NaN for NaN. */
export function npSign(x: number): number {
  return x > 0 ? 1 : x < 0 ? -1 : x === 0 ? 0 : x;
}

/** np.round / np.rint: nearest integer, ties to even, the sign of a zero result kept (-0.4 → -0). */
export function roundHalfEven(x: number): number {
  const r = Math.round(x); // nearest, ties toward +∞
  return r - x === 0.5 && r % 2 !== 0 ? r - 1 : r;
}

/**
 * The modes, keyed by the upper-cased attribute (qonnx calls `.upper()`, so names are case-insensitive).
 * HALF_UP:   sign(x)·floor(fl(|x| + 0.5))  — in float32, 0.49999997 + 0.5 rounds to 1, so HALF_UP(0.49999997) = 1.
 * HALF_DOWN: sign(x)·ceil(fl(|x| − 0.5))   — ceil of a value in (−1, 0] is −0, and 0·(−0) = −0: HALF_DOWN(0) = −0.
 * ROUND_TO_ZERO is not a qonnx mode (qonnx raises ValueError); Brevitas exports it (FloatToIntImplType) for
 * round_to_zero = sign(x)·floor(|x|), which is DOWN (np.fix): bnnc accepts it as DOWN.
 */
export const ROUNDING_MODES: Readonly<Record<string, (x: number) => number>> = {
  ROUND: roundHalfEven,
  HALF_EVEN: roundHalfEven,
  CEIL: Math.ceil,
  FLOOR: Math.floor,
  UP: (x) => npSign(x) * Math.ceil(Math.abs(x)),
  DOWN: Math.trunc, // np.fix: ceil below 0, floor at or above 0; Math.trunc keeps the same signed zeros
  ROUND_TO_ZERO: Math.trunc,
  HALF_UP: (x) => npSign(x) * Math.floor(Math.fround(Math.abs(x) + 0.5)),
  HALF_DOWN: (x) => npSign(x) * Math.ceil(Math.fround(Math.abs(x) - 0.5)),
};

export function roundingMode(name: string): ((x: number) => number) | undefined {
  return ROUNDING_MODES[name.toUpperCase()];
}
