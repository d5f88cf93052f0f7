// TensorProto → IR tensor: raw_data (little-endian) and the typed fields, external data confined to the
// model's own folder, sizes checked against the declared dimensions before anything is allocated.
import { closeSync, fstatSync, openSync, readSync, realpathSync } from 'node:fs';
import { isAbsolute, relative, resolve, sep } from 'node:path';
import { fail, type Where } from '../errors.js';
import { allocData, sizeOf } from '../ir/tensor.js';
import type { DType, Tensor } from '../ir/types.js';
import { ELEM, type TensorProto, toNumber } from './proto.js';

export interface TensorLoadOptions {
  /** Folder of the model file; external data must resolve inside it. Undefined: external data refused. */
  readonly modelDir?: string;
  /** Largest tensor accepted, in bytes. */
  readonly maxTensorBytes: number;
}

const ELEM_TO_DTYPE: Readonly<Record<number, DType>> = {
  [ELEM.FLOAT]: 'float32', [ELEM.DOUBLE]: 'float64', [ELEM.INT8]: 'int8', [ELEM.UINT8]: 'uint8',
  [ELEM.INT16]: 'int16', [ELEM.UINT16]: 'uint16', [ELEM.INT32]: 'int32', [ELEM.INT64]: 'int64', [ELEM.BOOL]: 'bool',
};
const ELEM_NAMES: Readonly<Record<number, string>> = Object.fromEntries(Object.entries(ELEM).map(([k, v]) => [v, k]));

export const BYTES_PER: Readonly<Record<DType, number>> = {
  float32: 4, float64: 8, int8: 1, uint8: 1, int16: 2, uint16: 2, int32: 4, int64: 8, bool: 1,
};

export function dtypeOfElem(elem: number, where: Where): DType {
  const d = ELEM_TO_DTYPE[elem];
  if (d === undefined) {
    fail('BNNC_E010', `element type ${ELEM_NAMES[elem] ?? elem} is not supported (supported: float32, float64, int8, uint8, int16, uint16, int32, int64, bool)`, where);
  }
  return d;
}

export function checkDims(dims: readonly number[], dtype: DType, maxBytes: number, where: Where): number {
  let n = 1;
  for (const d of dims) {
    if (!Number.isSafeInteger(d) || d < 0) fail('BNNC_E015', `dimension ${d} in [${dims}] is not a non-negative integer`, where);
    n *= d;
  }
  if (n * BYTES_PER[dtype] > maxBytes) {
    fail('BNNC_E016', `[${dims}] of ${dtype} needs ${n * BYTES_PER[dtype]} bytes; the limit is ${maxBytes} (--max-tensor-bytes)`, where);
  }
  return n;
}

export function tensorFromProto(t: TensorProto, opts: TensorLoadOptions): Tensor {
  const where: Where = { tensor: t.name ?? '' };
  const dtype = dtypeOfElem(t.dataType ?? 0, where);
  const dims = (t.dims ?? []).map(toNumber);
  const n = checkDims(dims, dtype, opts.maxTensorBytes, where);
  const data = allocData(dtype, n);

  let raw: Uint8Array | undefined = t.rawData && t.rawData.length > 0 ? t.rawData : undefined;
  if (t.dataLocation === 1) raw = readExternal(t, n * BYTES_PER[dtype], opts, where);

  if (raw !== undefined) {
    const want = n * BYTES_PER[dtype];
    if (raw.length !== want) fail('BNNC_E011', `raw_data holds ${raw.length} bytes; [${dims}] of ${dtype} needs ${want}`, where);
    const view = new DataView(raw.buffer, raw.byteOffset, raw.byteLength);
    for (let i = 0; i < n; i++) data[i] = readLE(view, dtype, i);
    return { dtype, shape: dims, data };
  }

  const typed = typedField(t, dtype);
  if (typed.length !== n) {
    fail('BNNC_E011', `holds ${typed.length} values in its typed field; [${dims}] of ${dtype} needs ${n}`, where);
  }
  for (let i = 0; i < n; i++) data[i] = toNumber(typed[i]);
  if (dtype === 'float32') for (let i = 0; i < n; i++) data[i] = Math.fround(data[i]);
  return { dtype, shape: dims, data };
}

function typedField(t: TensorProto, dtype: DType): ArrayLike<unknown> {
  switch (dtype) {
    case 'float32': return t.floatData ?? [];
    case 'float64': return t.doubleData ?? [];
    case 'int64': return t.int64Data ?? [];
    // int8, uint8, int16, uint16, int32 and bool are all stored in int32_data (onnx.proto)
    default: return t.int32Data ?? [];
  }
}

function readLE(view: DataView, dtype: DType, i: number): number {
  switch (dtype) {
    case 'float32': return view.getFloat32(i * 4, true);
    case 'float64': return view.getFloat64(i * 8, true);
    case 'int8': return view.getInt8(i);
    case 'uint8': return view.getUint8(i);
    case 'bool': return view.getUint8(i) ? 1 : 0;
    case 'int16': return view.getInt16(i * 2, true);
    case 'uint16': return view.getUint16(i * 2, true);
    case 'int32': return view.getInt32(i * 4, true);
    case 'int64': return Number(view.getBigInt64(i * 8, true));
  }
}

/** External data: a relative path inside the model's folder, never through a link that leaves it. */
function readExternal(t: TensorProto, want: number, opts: TensorLoadOptions, where: Where): Uint8Array {
  const entries = new Map((t.externalData ?? []).map((e) => [e.key ?? '', e.value ?? '']));
  const location = entries.get('location');
  if (!location) fail('BNNC_E014', 'external data without a location', where);
  if (opts.modelDir === undefined) fail('BNNC_E014', `external data '${location}' needs the model's folder; load the model from a file`, where);
  if (isAbsolute(location) || location.split(/[\\/]/).includes('..')) {
    fail('BNNC_E014', `external data path '${location}' must be relative to the model's folder, without '..'`, where);
  }
  const dir = realpathSync(opts.modelDir);
  let real: string;
  try {
    real = realpathSync(resolve(dir, location));
  } catch {
    fail('BNNC_E014', `external data file '${location}' does not exist next to the model`, where);
  }
  const rel = relative(dir, real);
  if (rel.startsWith('..') || isAbsolute(rel) || rel.split(sep)[0] === '..') {
    fail('BNNC_E014', `external data path '${location}' resolves outside the model's folder (through a link)`, where);
  }
  const offset = entries.has('offset') ? Number(entries.get('offset')) : 0;
  const length = entries.has('length') ? Number(entries.get('length')) : want;
  if (!Number.isSafeInteger(offset) || offset < 0 || !Number.isSafeInteger(length) || length < 0) {
    fail('BNNC_E014', `external data offset/length (${entries.get('offset')}, ${entries.get('length')}) are not valid`, where);
  }
  if (length !== want) fail('BNNC_E011', `external data length ${length} bytes; the tensor needs ${want}`, where);
  const fd = openSync(real, 'r');
  try {
    const size = fstatSync(fd).size;
    if (offset + length > size) fail('BNNC_E014', `external data range ${offset}+${length} exceeds the file '${location}' (${size} bytes)`, where);
    const buf = new Uint8Array(length);
    readSync(fd, buf, 0, length, offset);
    return buf;
  } finally {
    closeSync(fd);
  }
}

export { sizeOf };
