// The glue of bnnc's `ts` target that is no reference arithmetic: decoding the base64 constants and turning
// the kernels' int32 indices into the module's int64 outputs. src/backend/ts-target.ts copies the functions
// a module needs, as it copies the kernels of src/numeric/kernels.ts (the ones the interpreter runs).

/** Standard base64 (with '=' padding; white space ignored) to bytes, without atob or Buffer. */
function b64(text: string): Uint8Array {
  const s = text.replace(/\s+/g, '');
  const digits = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/', v = new Uint8Array(128);
  for (let i = 0; i < 64; i++) v[digits.charCodeAt(i)] = i;
  const pad = s.endsWith('==') ? 2 : s.endsWith('=') ? 1 : 0;
  const out = new Uint8Array((s.length / 4) * 3 - pad);
  for (let i = 0, o = 0; i < s.length; i += 4) {
    const q = (v[s.charCodeAt(i)] << 18) | (v[s.charCodeAt(i + 1)] << 12) | (v[s.charCodeAt(i + 2)] << 6) | v[s.charCodeAt(i + 3)];
    out[o++] = q >>> 16;
    if (o < out.length) out[o++] = (q >>> 8) & 255;
    if (o < out.length) out[o++] = q & 255;
  }
  return out;
}

/** Little-endian int32 words from base64, whatever the host's byte order. */
export function i32(s: string): Int32Array {
  const b = b64(s), view = new DataView(b.buffer);
  const out = new Int32Array(b.length >>> 2);
  for (let i = 0; i < out.length; i++) out[i] = view.getInt32(4 * i, true);
  return out;
}

/** int8 values from base64. */
export function i8(s: string): Int8Array {
  return new Int8Array(b64(s).buffer);
}

/** int64 values (BigInt64Array, as the module's outputs carry them) from the kernels' int32 indices. */
export function i64(a: ArrayLike<number>): BigInt64Array {
  const out = new BigInt64Array(a.length);
  for (let i = 0; i < a.length; i++) out[i] = BigInt(a[i]);
  return out;
}
