// Portable float32 exp and log: a fixed sequence of IEEE single operations (each one Math.fround-ed here,
// each one a float operation in templates/common/partials/float32-math.hbs), so every back end that
// rounds float32 as IEEE 754 does (no FMA, no double, subnormals kept) returns the same bits as this file.
// Derivations (Cephes expf/logf structure; constants given as float32 bit patterns, hex floats in the C):
//
// exp32(x): write x = k·ln2 + r with k = round(x/ln2), |r| ≲ ln2/2, then e^x = 2^k · e^r.
//   t = x·(1/ln2);  k = trunc(t ± 0.5)  (half away from zero; |t| ≤ 151, so k is exact as a float)
//   r = (x − k·C1) − k·C2, with C1 + C2 ≈ ln2 (Cody–Waite): C1 = 0.693359375 has 9 significant bits, so
//       k·C1 is exact and x − k·C1 loses nothing; C2 = −2.12194440e-4 carries the rest of ln2.
//   e^r ≈ 1 + r + r²·P(r), P of degree 5 (Cephes' minimax coefficients), evaluated by Horner:
//       p = ((((P0·r + P1)·r + P2)·r + P3)·r + P4)·r + P5;  y = ((p·r²) + r) + 1
//   2^k: the float with exponent field k + 127 (built from its bits) when −126 ≤ k ≤ 127; otherwise two
//       products, the first exact: k = 128 → (y·2^127)·2, k < −126 → (y·2^(k+64))·2^−64, so a subnormal
//       result is rounded once, correctly.
//   Special: NaN → NaN; x ≥ 88.72283935546875 (the first float with e^x > FLT_MAX + ½ULP) → +∞;
//   x < −104 (e^x < 2^−150, rounds to 0) → +0, which also takes −∞.
//
// log32(x): write x = 2^e · m with m ∈ [√½, √2), then ln x = e·ln2 + ln(1 + f), f = m − 1 ∈ [−0.293, 0.414].
//   Subnormal x is first scaled by 2^23 (exact) and e lowered by 23.
//   From the bits: m' ∈ [0.5, 1) and e' = exponent + 1; if m' < √½ then e = e' − 1, f = (m' + m') − 1,
//   else e = e', f = m' − 1 (both subtractions exact, Sterbenz).
//   ln(1 + f) ≈ f − f²/2 + f³·Q(f), Q of degree 8 (Cephes' coefficients):
//       z = f·f;  q = Horner(Q, f);  y = (q·f)·z;  y = y + e·C2;  y = y − 0.5·z;  r = f + y;  r = r + e·C1
//   Special: NaN → NaN; x < 0 → NaN; ±0 → −∞; +∞ → +∞; log32(1) = +0.
//
// Accuracy, measured against float64 Math.exp / Math.log over every float32 input of the domain: exp32 ≤ 0.991
// ULP on [−104, 88.72], log32 ≤ 0.830 ULP on every positive finite float, both monotone
// (test/numeric/float32-math.test.ts has the details and re-measures a dense grid).

const F = new Float32Array(1);
const U = new Uint32Array(F.buffer);

/** The float32 with these bits. */
export function f32FromBits(bits: number): number {
  U[0] = bits >>> 0;
  return F[0];
}

/** The bits of a float32 value (NaN as the canonical 0x7fc00000 where the engine canonicalizes). */
export function f32Bits(x: number): number {
  F[0] = x;
  return U[0];
}

const fr = Math.fround;

// exp32 constants (bit patterns; the C partial spells the same values as hex float literals)
const INV_LN2 = f32FromBits(0x3fb8aa3b); // 1.44269502
const C1 = f32FromBits(0x3f318000); // 0.693359375
const C2 = f32FromBits(0xb95e8083); // -2.12194440e-4
const EXP_OVER = f32FromBits(0x42b17218); // 88.7228394
const EXP_UNDER = -104;
const EP = [0x39506967, 0x3ab743ce, 0x3c088908, 0x3d2aa9c1, 0x3e2aaaaa, 0x3f000000].map(f32FromBits);

// log32 constants
const SQRTH = f32FromBits(0x3f3504f3); // 0.707106769
const TWO23 = 8388608;
const MIN_NORMAL = f32FromBits(0x00800000);
const LQ = [0x3d9021bb, 0xbdebd1b8, 0x3def251a, 0xbdfe5d4f, 0x3e11e9bf, 0xbe2aae50, 0x3e4cceac, 0xbe7ffffc, 0x3eaaaaaa].map(f32FromBits);

/** 2^k for −126 ≤ k ≤ 127, built from its bits. */
function pow2(k: number): number {
  return f32FromBits((k + 127) << 23);
}

/** e^x in float32, as the sequence of single operations in the header. */
export function exp32(x: number): number {
  x = fr(x);
  if (x !== x) return x;
  if (x >= EXP_OVER) return Infinity;
  if (x < EXP_UNDER) return 0;
  const t = fr(x * INV_LN2);
  const k = Math.trunc(t < 0 ? fr(t - 0.5) : fr(t + 0.5));
  const r = fr(fr(x - fr(k * C1)) - fr(k * C2));
  const z = fr(r * r);
  let p = EP[0];
  for (let i = 1; i < EP.length; i++) p = fr(fr(p * r) + EP[i]);
  const y = fr(fr(fr(p * z) + r) + 1);
  if (k > 127) return fr(fr(y * pow2(127)) * pow2(k - 127));
  if (k < -126) return fr(fr(y * pow2(k + 64)) * pow2(-64));
  return fr(y * pow2(k));
}

/** ln x in float32, as the sequence of single operations in the header. */
export function log32(x: number): number {
  x = fr(x);
  if (x !== x || x < 0) return NaN;
  if (x === 0) return -Infinity;
  if (x === Infinity) return x;
  let e = 0;
  if (x < MIN_NORMAL) {
    x = fr(x * TWO23);
    e = -23;
  }
  const bits = f32Bits(x);
  e += (bits >>> 23) - 126;
  let f = f32FromBits((bits & 0x007fffff) | 0x3f000000);
  if (f < SQRTH) {
    e -= 1;
    f = fr(fr(f + f) - 1);
  } else {
    f = fr(f - 1);
  }
  const z = fr(f * f);
  let q = LQ[0];
  for (let i = 1; i < LQ.length; i++) q = fr(fr(q * f) + LQ[i]);
  let y = fr(fr(q * f) * z);
  y = fr(y + fr(e * C2));
  y = fr(y - fr(0.5 * z));
  const r = fr(f + y);
  return fr(r + fr(e * C1));
}
