// TensorProto → IR tensor: raw_data (little-endian) and the typed fields, external data confined to the
// model's own folder, sizes checked against the declared dimensions before anything is allocated.
import { closeSync, constants, fstatSync, openSync, readSync, realpathSync, statSync } from 'node:fs';
import { isAbsolute, relative, resolve, sep } from 'node:path';
import { CompileError, fail, type Where } from '../errors.js';
import { allocData, sizeOf } from '../ir/tensor.js';
import { BYTES_PER, checkDims, DEFAULT_MAX_TENSOR_BYTES, firstNonFinite } from '../ir/limits.js';
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


export function dtypeOfElem(elem: number, where: Where): DType {
  const d = ELEM_TO_DTYPE[elem];
  if (d === undefined) {
    fail('BNNC_E010', `element type ${ELEM_NAMES[elem] ?? elem} is not supported (supported: float32, float64, int8, uint8, int16, uint16, int32, int64, bool)`, where);
  }
  return d;
}

/** `where` names the place in diagnostics (an attribute's node); by default the tensor's own name. */
export function tensorFromProto(t: TensorProto, opts: TensorLoadOptions, at?: Where): Tensor {
  const where: Where = at ?? { tensor: t.name || '(unnamed)' };
  const dtype = dtypeOfElem(t.dataType ?? 0, where);
  if (t.segment) fail('BNNC_E010', 'segmented tensors (TensorProto.segment) are not supported', where);
  const dims = (t.dims ?? []).map(toNumber);
  const n = checkDims(dims, dtype, opts.maxTensorBytes, where);
  const want = n * BYTES_PER[dtype];

  let raw: Uint8Array | undefined = t.rawData && t.rawData.length > 0 ? t.rawData : undefined;
  if (t.dataLocation === 1) raw = readExternal(t, want, opts, where);
  else if ((t.externalData ?? []).length > 0) {
    fail('BNNC_E014', 'external_data entries on a tensor whose data_location is not EXTERNAL', where);
  }

  if (raw !== undefined) {
    if (raw.length !== want) fail('BNNC_E011', `raw_data holds ${raw.length} bytes; [${dims}] of ${dtype} needs ${want}`, where);
    const data = allocData(dtype, n);
    const view = new DataView(raw.buffer, raw.byteOffset, raw.byteLength);
    for (let i = 0; i < n; i++) data[i] = readLE(view, dtype, i);
    return { dtype, shape: dims, data };
  }

  const typed = typedField(t, dtype);
  if (typed.length !== n) {
    fail('BNNC_E011', `holds ${typed.length} values in its typed field; [${dims}] of ${dtype} needs ${n}`, where);
  }
  const data = allocData(dtype, n);
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

/**
 * External data: a relative path inside the model's folder, never through a link that leaves it, and a
 * byte range inside the file. Every file-system failure becomes BNNC_E014.
 */
function readExternal(t: TensorProto, want: number, opts: TensorLoadOptions, where: Where): Uint8Array {
  const entries = new Map((t.externalData ?? []).map((e) => [e.key ?? '', e.value ?? '']));
  const location = entries.get('location');
  if (!location) fail('BNNC_E014', "external data without a 'location' entry", where);
  if (opts.modelDir === undefined) fail('BNNC_E014', `external data '${location}' needs the model's folder; load the model from a file`, where);
  if (location.includes('\0') || isAbsolute(location) || /^[a-zA-Z]:/.test(location) || location.split(/[\\/]/).includes('..')) {
    fail('BNNC_E014', `external data path '${location}' must be relative to the model's folder, without '..'`, where);
  }
  const offset = entries.has('offset') ? Number(entries.get('offset')) : 0;
  const length = entries.has('length') ? Number(entries.get('length')) : want;
  if (!Number.isSafeInteger(offset) || offset < 0 || !Number.isSafeInteger(length) || length < 0) {
    fail('BNNC_E014', `external data offset/length (${entries.get('offset')}, ${entries.get('length')}) are not non-negative integers`, where);
  }
  if (length !== want) fail('BNNC_E011', `external data length ${length} bytes; the tensor needs ${want}`, where);
  let dir: string, real: string;
  try {
    dir = realpathSync(opts.modelDir);
  } catch (e) {
    fail('BNNC_E014', `the model's folder '${opts.modelDir}' cannot be resolved (${(e as Error).message})`, where);
  }
  try {
    real = realpathSync(resolve(dir, location));
  } catch {
    fail('BNNC_E014', `external data file '${location}' does not exist next to the model`, where);
  }
  const rel = relative(dir, real);
  if (rel === '..' || rel.startsWith(`..${sep}`) || isAbsolute(rel)) {
    fail('BNNC_E014', `external data path '${location}' resolves outside the model's folder (through a link)`, where);
  }
  let fd: number;
  try {
    // a FIFO or device would block or never end: regular files only, opened without blocking
    if (!statSync(real).isFile()) fail('BNNC_E014', `external data '${location}' is not a regular file`, where);
    fd = openSync(real, constants.O_RDONLY | constants.O_NONBLOCK);
  } catch (e) {
    if (e instanceof CompileError) throw e;
    fail('BNNC_E014', `external data file '${location}' cannot be opened (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`, where);
  }
  try {
    const st = fstatSync(fd);
    if (!st.isFile()) fail('BNNC_E014', `external data '${location}' is not a regular file`, where);
    if (offset + length > st.size) fail('BNNC_E014', `external data range ${offset}+${length} exceeds the file '${location}' (${st.size} bytes)`, where);
    const buf = new Uint8Array(length);
    let got = 0;
    while (got < length) {
      const k = readSync(fd, buf, got, length - got, offset + got);
      if (k <= 0) fail('BNNC_E014', `external data file '${location}' ended after ${offset + got} bytes`, where);
      got += k;
    }
    return buf;
  } catch (e) {
    if (e instanceof CompileError) throw e;
    return fail('BNNC_E014', `external data file '${location}' cannot be read (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`, where);
  } finally {
    closeSync(fd);
  }
}

export { sizeOf, BYTES_PER, checkDims, DEFAULT_MAX_TENSOR_BYTES, firstNonFinite };
