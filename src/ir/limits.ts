// Size and value limits every stage applies to tensors: the importer on what it decodes, shape inference on
// what it infers (a Reshape or broadcast can ask for an absurd shape), before anything is allocated.
import { fail, type Where } from '../errors.js';
import type { DType, Tensor } from './types.js';

/** The default largest tensor (--max-tensor-bytes): 1 GiB. */
export const DEFAULT_MAX_TENSOR_BYTES = 2 ** 30;

export const BYTES_PER: Readonly<Record<DType, number>> = {
  float32: 4, float64: 8, int8: 1, uint8: 1, int16: 2, uint16: 2, int32: 4, int64: 8, bool: 1,
};

/**
 * Checks dimensions before anything is allocated: each a non-negative integer (BNNC_E022), the whole no
 * larger than `maxBytes` (BNNC_E016). Returns the element count.
 */
export function checkDims(dims: readonly number[], dtype: DType, maxBytes: number, where: Where): number {
  for (const d of dims) {
    if (!Number.isInteger(d) || d < 0) fail('BNNC_E022', `dimension ${d} in [${dims}]: dimensions are non-negative integers`, where);
  }
  if (dims.includes(0)) return 0;
  // a double product: inexact past 2^53 (and Infinity past 1e308), but then far above any limit
  const bytes = dims.reduce((a, d) => a * d, BYTES_PER[dtype]);
  if (bytes > maxBytes) {
    fail('BNNC_E016', `[${dims}] of ${dtype} needs ${bytes > 2 ** 53 ? 'more than 2^53' : bytes} bytes; the limit is ${maxBytes} (--max-tensor-bytes)`, where);
  }
  return bytes / BYTES_PER[dtype];
}

/** Index and value of the first NaN or infinity in a float tensor, if any. */
export function firstNonFinite(t: Tensor): [number, number] | undefined {
  if (t.dtype !== 'float32' && t.dtype !== 'float64') return undefined;
  const d = t.data;
  for (let i = 0; i < d.length; i++) if (!Number.isFinite(d[i])) return [i, d[i]];
  return undefined;
}
