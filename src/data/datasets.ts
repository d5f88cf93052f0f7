// Labelled and unlabelled input data for `check`, `verify` and the accuracy tests: MNIST/Fashion-MNIST idx
// files (optionally gzip'ed), NumPy .npy arrays, and ONNX TensorProto .pb files.
import { readFileSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';
import { fail } from '../errors.js';
import { tensor } from '../ir/tensor.js';
import type { DType, Tensor } from '../ir/types.js';
import { onnx } from '../onnx/proto.js';
import { tensorFromProto } from '../onnx/tensor-proto.js';

function readMaybeGz(path: string): Uint8Array {
  let bytes: Uint8Array;
  try {
    bytes = readFileSync(path);
  } catch (e) {
    fail('BNNC_E020', `cannot read '${path}': ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
  if (bytes.length >= 2 && bytes[0] === 0x1f && bytes[1] === 0x8b) {
    try {
      return gunzipSync(bytes);
    } catch (e) {
      fail('BNNC_E020', `'${path}' looks gzip'ed but does not decompress: ${(e as Error).message}`);
    }
  }
  return bytes;
}

const IDX_TYPES: Record<number, { dtype: DType; bytes: number }> = {
  0x08: { dtype: 'uint8', bytes: 1 }, 0x09: { dtype: 'int8', bytes: 1 }, 0x0b: { dtype: 'int16', bytes: 2 },
  0x0c: { dtype: 'int32', bytes: 4 }, 0x0d: { dtype: 'float32', bytes: 4 }, 0x0e: { dtype: 'float64', bytes: 8 },
};

/** An idx file (the MNIST format: big-endian header, then the array). */
export function readIdx(path: string): Tensor {
  const b = readMaybeGz(path);
  const v = new DataView(b.buffer, b.byteOffset, b.byteLength);
  if (b.length < 4 || v.getUint16(0) !== 0) fail('BNNC_E020', `'${path}' is not an idx file (bad magic)`);
  const type = IDX_TYPES[b[2]];
  const rank = b[3];
  if (!type || rank < 1 || b.length < 4 + 4 * rank) fail('BNNC_E020', `'${path}' has an idx header bnnc cannot read`);
  const shape = Array.from({ length: rank }, (_, i) => v.getUint32(4 + 4 * i));
  const n = shape.reduce((a, c) => a * c, 1);
  const off = 4 + 4 * rank;
  if (b.length !== off + n * type.bytes) fail('BNNC_E020', `'${path}' holds ${b.length - off} data bytes; shape [${shape}] needs ${n * type.bytes}`);
  const t = tensor(type.dtype, shape);
  for (let i = 0; i < n; i++) {
    const p = off + i * type.bytes;
    t.data[i] = type.dtype === 'uint8' ? b[p] : type.dtype === 'int8' ? v.getInt8(p) : type.dtype === 'int16' ? v.getInt16(p)
      : type.dtype === 'int32' ? v.getInt32(p) : type.dtype === 'float32' ? v.getFloat32(p) : v.getFloat64(p);
  }
  return t;
}

const NPY_TYPES: Record<string, DType> = {
  f4: 'float32', f8: 'float64', i1: 'int8', u1: 'uint8', i2: 'int16', u2: 'uint16', i4: 'int32', i8: 'int64', b1: 'bool',
};

/** A NumPy .npy file (format 1.0–3.0, C order, any supported little-endian dtype). */
export function readNpy(path: string): Tensor {
  const b = readMaybeGz(path);
  const magic = [0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59];
  if (b.length < 10 || !magic.every((m, i) => b[i] === m)) fail('BNNC_E020', `'${path}' is not a .npy file`);
  const v = new DataView(b.buffer, b.byteOffset, b.byteLength);
  const major = b[6];
  const hlen = major === 1 ? v.getUint16(8, true) : v.getUint32(8, true);
  const hstart = major === 1 ? 10 : 12;
  const header = new TextDecoder().decode(b.subarray(hstart, hstart + hlen));
  const descr = /'descr'\s*:\s*'([<>|=])([a-z]\d+)'/.exec(header);
  const fortran = /'fortran_order'\s*:\s*(True|False)/.exec(header);
  const shapeM = /'shape'\s*:\s*\(([^)]*)\)/.exec(header);
  if (!descr || !fortran || !shapeM) fail('BNNC_E020', `'${path}' has a .npy header bnnc cannot read: ${header.trim()}`);
  const dtype = NPY_TYPES[descr[2]];
  if (!dtype || descr[1] === '>') fail('BNNC_E020', `'${path}' has dtype ${descr[1]}${descr[2]}; supported: little-endian ${Object.keys(NPY_TYPES).join(', ')}`);
  if (fortran[1] === 'True') fail('BNNC_E020', `'${path}' is in Fortran order; save it in C order`);
  const shape = shapeM[1].split(',').map((s) => s.trim()).filter((s) => s !== '').map(Number);
  const n = shape.reduce((a, c) => a * c, 1);
  const size = { float32: 4, float64: 8, int8: 1, uint8: 1, int16: 2, uint16: 2, int32: 4, int64: 8, bool: 1 }[dtype];
  const off = hstart + hlen;
  if (b.length !== off + n * size) fail('BNNC_E020', `'${path}' holds ${b.length - off} data bytes; shape [${shape}] of ${dtype} needs ${n * size}`);
  const t = tensor(dtype, shape);
  for (let i = 0; i < n; i++) {
    const p = off + i * size;
    t.data[i] = dtype === 'float32' ? v.getFloat32(p, true) : dtype === 'float64' ? v.getFloat64(p, true)
      : dtype === 'int8' ? v.getInt8(p) : dtype === 'uint8' || dtype === 'bool' ? b[p] : dtype === 'int16' ? v.getInt16(p, true)
      : dtype === 'uint16' ? v.getUint16(p, true) : dtype === 'int32' ? v.getInt32(p, true) : Number(v.getBigInt64(p, true));
  }
  return t;
}

/** An ONNX TensorProto serialized to a .pb file (the ONNX test-data format). */
export function readTensorPb(path: string): Tensor {
  const b = readMaybeGz(path);
  try {
    return tensorFromProto(onnx.TensorProto.decode(b), { maxTensorBytes: 1 << 30 });
  } catch (e) {
    if ((e as { code?: string }).code?.startsWith('BNNC_')) throw e;
    fail('BNNC_E020', `'${path}' is not a serialized ONNX TensorProto: ${(e as Error).message}`);
  }
}

/** Reads any supported data file by its extension (.npy, .pb, idx otherwise). */
export function readData(path: string): Tensor {
  const p = path.replace(/\.gz$/, '');
  if (p.endsWith('.npy')) return readNpy(path);
  if (p.endsWith('.pb')) return readTensorPb(path);
  return readIdx(path);
}
