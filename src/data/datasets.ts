// Input data for `check`, `verify` and the accuracy tests: idx (MNIST; gzip'ed too), NumPy .npy and ONNX
// TensorProto .pb files. Only regular files of at most MAX_DATA_BYTES (a device such as /dev/zero never
// ends), and as much once un-gzipped; a header's size is checked against the file's before the body is read.
import { closeSync, constants, fstatSync, openSync, readSync, statSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';
import { fail } from '../errors.js';
import { tensor } from '../ir/tensor.js';
import type { DType, Tensor } from '../ir/types.js';
import { onnx } from '../onnx/proto.js';
import { tensorFromProto } from '../onnx/tensor-proto.js';

/** The largest data file bnnc reads, before and after decompression (1 GiB: 1.3 million MNIST images). */
export const MAX_DATA_BYTES = 2 ** 30;

const reason = (e: unknown): string => (e as NodeJS.ErrnoException).code ?? (e as Error).message;

export interface ReadOptions {
  /** The most bytes read, from the file and out of gzip (default MAX_DATA_BYTES). */
  readonly maxBytes?: number;
}

/** A data file's bytes, read on demand: `read(offset, length)` returns exactly that many bytes. */
interface Bytes {
  readonly size: number;
  read(offset: number, length: number): Uint8Array;
}

/**
 * Opens a data file: a regular file (stat first, so a FIFO is never opened; non-blocking all the same) of
 * at most maxBytes. A gzip'ed file is decompressed whole, stopped beyond maxBytes of output.
 */
function withFile<T>(path: string, opts: ReadOptions, use: (b: Bytes) => T): T {
  const max = opts.maxBytes ?? MAX_DATA_BYTES;
  let fd: number;
  try {
    if (!statSync(path).isFile()) fail('BNNC_E020', `'${path}' is not a regular file (a device, pipe or folder); give a data file`);
    fd = openSync(path, constants.O_RDONLY | constants.O_NONBLOCK);
  } catch (e) {
    if ((e as { code?: string }).code?.startsWith('BNNC_')) throw e;
    fail('BNNC_E020', `cannot read '${path}': ${reason(e)}`);
  }
  try {
    const st = fstatSync(fd);
    if (!st.isFile()) fail('BNNC_E020', `'${path}' is not a regular file (a device, pipe or folder); give a data file`);
    if (st.size > max) fail('BNNC_E020', `'${path}' is ${st.size} bytes; a data file is at most ${max} bytes`);
    const file: Bytes = {
      size: st.size,
      read(offset, length) {
        const buf = new Uint8Array(length);
        let got = 0;
        try {
          while (got < length) {
            const k = readSync(fd, buf, got, length - got, offset + got);
            if (k === 0) break;
            got += k;
          }
        } catch (e) {
          fail('BNNC_E020', `cannot read '${path}': ${reason(e)}`);
        }
        if (got !== length) fail('BNNC_E020', `'${path}' ended after ${offset + got} bytes while being read (it changed?)`);
        return buf;
      },
    };
    const head = file.read(0, Math.min(2, file.size));
    if (head.length < 2 || head[0] !== 0x1f || head[1] !== 0x8b) return use(file);
    let bytes: Uint8Array;
    try {
      bytes = gunzipSync(file.read(0, file.size), { maxOutputLength: max });
    } catch (e) {
      if ((e as { code?: string }).code === 'ERR_BUFFER_TOO_LARGE') fail('BNNC_E020', `'${path}' decompresses to more than ${max} bytes, the most bnnc reads`);
      fail('BNNC_E020', `'${path}' looks gzip'ed but does not decompress: ${(e as Error).message}`);
    }
    return use(inMemory(bytes));
  } finally {
    closeSync(fd);
  }
}

function inMemory(b: Uint8Array): Bytes {
  return {
    size: b.length,
    read: (offset, length) => {
      if (offset + length > b.length) fail('BNNC_E020', `data ends after ${b.length} bytes`);
      return b.subarray(offset, offset + length);
    },
  };
}

/** The body must be exactly what the header's shape needs: checked from the size, before reading it. */
function checkBodySize(path: string, b: Bytes, off: number, shape: readonly number[], elemBytes: number, what: string): number {
  const n = shape.reduce((a, c) => a * c, 1);
  if (b.size - off !== n * elemBytes) fail('BNNC_E020', `'${path}' holds ${b.size - off} data bytes; shape [${shape}] of ${what} needs ${n * elemBytes}`);
  return n;
}

const IDX_TYPES: Record<number, { dtype: DType; bytes: number }> = {
  0x08: { dtype: 'uint8', bytes: 1 }, 0x09: { dtype: 'int8', bytes: 1 }, 0x0b: { dtype: 'int16', bytes: 2 },
  0x0c: { dtype: 'int32', bytes: 4 }, 0x0d: { dtype: 'float32', bytes: 4 }, 0x0e: { dtype: 'float64', bytes: 8 },
};

/** An idx file (the MNIST format: big-endian header, then the array). */
export function readIdx(path: string, opts: ReadOptions = {}): Tensor {
  return withFile(path, opts, (b) => {
    const magic = b.read(0, Math.min(4, b.size));
    if (magic.length < 4 || magic[0] !== 0 || magic[1] !== 0) fail('BNNC_E020', `'${path}' is not an idx file (bad magic)`);
    const type = IDX_TYPES[magic[2]];
    const rank = magic[3];
    if (!type || rank < 1 || b.size < 4 + 4 * rank) fail('BNNC_E020', `'${path}' has an idx header bnnc cannot read`);
    const head = b.read(4, 4 * rank);
    const dims = new DataView(head.buffer, head.byteOffset, head.byteLength);
    const shape = Array.from({ length: rank }, (_, i) => dims.getUint32(4 * i));
    const off = 4 + 4 * rank;
    const n = checkBodySize(path, b, off, shape, type.bytes, type.dtype);
    const body = b.read(off, n * type.bytes);
    const v = new DataView(body.buffer, body.byteOffset, body.byteLength);
    const t = tensor(type.dtype, shape);
    for (let i = 0; i < n; i++) {
      const p = i * type.bytes;
      t.data[i] = type.dtype === 'uint8' ? body[p] : type.dtype === 'int8' ? v.getInt8(p) : type.dtype === 'int16' ? v.getInt16(p)
        : type.dtype === 'int32' ? v.getInt32(p) : type.dtype === 'float32' ? v.getFloat32(p) : v.getFloat64(p);
    }
    return t;
  });
}

const NPY_TYPES: Record<string, DType> = {
  f4: 'float32', f8: 'float64', i1: 'int8', u1: 'uint8', i2: 'int16', u2: 'uint16', i4: 'int32', i8: 'int64', b1: 'bool',
};

/** A NumPy .npy file (format 1.0–3.0, C order, any supported little-endian dtype). */
export function readNpy(path: string, opts: ReadOptions = {}): Tensor {
  return withFile(path, opts, (b) => {
    const pre = b.read(0, Math.min(12, b.size));
    const magic = [0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59];
    if (pre.length < 10 || !magic.every((m, i) => pre[i] === m)) fail('BNNC_E020', `'${path}' is not a .npy file`);
    const v = new DataView(pre.buffer, pre.byteOffset, pre.byteLength);
    const major = pre[6];
    if (major !== 1 && pre.length < 12) fail('BNNC_E020', `'${path}' is not a .npy file`);
    const hlen = major === 1 ? v.getUint16(8, true) : v.getUint32(8, true);
    const hstart = major === 1 ? 10 : 12;
    if (hstart + hlen > b.size) fail('BNNC_E020', `'${path}' has a .npy header of ${hlen} bytes in a file of ${b.size}`);
    const header = new TextDecoder().decode(b.read(hstart, hlen));
    const descr = /'descr'\s*:\s*'([<>|=])([a-z]\d+)'/.exec(header);
    const fortran = /'fortran_order'\s*:\s*(True|False)/.exec(header);
    const shapeM = /'shape'\s*:\s*\(([^)]*)\)/.exec(header);
    if (!descr || !fortran || !shapeM) fail('BNNC_E020', `'${path}' has a .npy header bnnc cannot read: ${header.trim().slice(0, 200)}`);
    const dtype = NPY_TYPES[descr[2]];
    if (!dtype || descr[1] === '>') fail('BNNC_E020', `'${path}' has dtype ${descr[1]}${descr[2]}; supported: little-endian ${Object.keys(NPY_TYPES).join(', ')}`);
    if (fortran[1] === 'True') fail('BNNC_E020', `'${path}' is in Fortran order; save it in C order`);
    const shape = shapeM[1].split(',').map((s) => s.trim()).filter((s) => s !== '').map(Number);
    if (shape.some((d) => !Number.isSafeInteger(d) || d < 0)) fail('BNNC_E020', `'${path}' has a .npy shape bnnc cannot read: (${shapeM[1]})`);
    const size = { float32: 4, float64: 8, int8: 1, uint8: 1, int16: 2, uint16: 2, int32: 4, int64: 8, bool: 1 }[dtype];
    const off = hstart + hlen;
    const n = checkBodySize(path, b, off, shape, size, dtype);
    const body = b.read(off, n * size);
    const d = new DataView(body.buffer, body.byteOffset, body.byteLength);
    const t = tensor(dtype, shape);
    for (let i = 0; i < n; i++) {
      const p = i * size;
      t.data[i] = dtype === 'float32' ? d.getFloat32(p, true) : dtype === 'float64' ? d.getFloat64(p, true)
        : dtype === 'int8' ? d.getInt8(p) : dtype === 'uint8' || dtype === 'bool' ? body[p] : dtype === 'int16' ? d.getInt16(p, true)
        : dtype === 'uint16' ? d.getUint16(p, true) : dtype === 'int32' ? d.getInt32(p, true) : Number(d.getBigInt64(p, true));
    }
    return t;
  });
}

/** An ONNX TensorProto serialized to a .pb file (the ONNX test-data format); its dims are checked before allocation. */
export function readTensorPb(path: string, opts: ReadOptions = {}): Tensor {
  return withFile(path, opts, (b) => {
    try {
      return tensorFromProto(onnx.TensorProto.decode(b.read(0, b.size)), { maxTensorBytes: opts.maxBytes ?? MAX_DATA_BYTES });
    } catch (e) {
      if ((e as { code?: string }).code?.startsWith('BNNC_')) throw e;
      fail('BNNC_E020', `'${path}' is not a serialized ONNX TensorProto: ${(e as Error).message}`);
    }
  });
}

/** Reads any supported data file by its extension (.npy, .pb, idx otherwise). */
export function readData(path: string, opts: ReadOptions = {}): Tensor {
  const p = path.replace(/\.gz$/, '');
  if (p.endsWith('.npy')) return readNpy(path, opts);
  if (p.endsWith('.pb')) return readTensorPb(path, opts);
  return readIdx(path, opts);
}
