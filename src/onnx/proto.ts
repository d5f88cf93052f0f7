// The only module that touches onnx-proto: decoding and encoding ModelProto bytes, and ONNX's enum values.
// Everything else sees plain IR data (src/onnx/import.ts) or builds models through `encodeModel`.
import { createRequire } from 'node:module';
import type { onnx as OnnxNS } from 'onnx-proto';

const require = createRequire(import.meta.url);
// onnx-proto is CommonJS; loading it through require keeps the protobufjs runtime it was generated for.
const { onnx } = require('onnx-proto') as { onnx: typeof OnnxNS };

export { onnx };
export type ModelProto = OnnxNS.IModelProto;
export type GraphProto = OnnxNS.IGraphProto;
export type NodeProto = OnnxNS.INodeProto;
export type TensorProto = OnnxNS.ITensorProto;
export type AttributeProto = OnnxNS.IAttributeProto;
export type ValueInfoProto = OnnxNS.IValueInfoProto;
export type FunctionProto = OnnxNS.IFunctionProto;

/** TensorProto.DataType values (onnx.proto). */
export const ELEM = {
  FLOAT: 1, UINT8: 2, INT8: 3, UINT16: 4, INT16: 5, INT32: 6, INT64: 7, STRING: 8, BOOL: 9,
  FLOAT16: 10, DOUBLE: 11, UINT32: 12, UINT64: 13, COMPLEX64: 14, COMPLEX128: 15, BFLOAT16: 16,
} as const;

/** AttributeProto.AttributeType values. */
export const ATTR = {
  UNDEFINED: 0, FLOAT: 1, INT: 2, STRING: 3, TENSOR: 4, GRAPH: 5, SPARSE_TENSOR: 11, TYPE_PROTO: 13,
  FLOATS: 6, INTS: 7, STRINGS: 8, TENSORS: 9, GRAPHS: 10, SPARSE_TENSORS: 12, TYPE_PROTOS: 14,
} as const;

/** Throws protobufjs's own error on malformed bytes; the importer turns that into a diagnostic. */
export function decodeModel(bytes: Uint8Array): ModelProto {
  return onnx.ModelProto.decode(bytes);
}

export function encodeModel(model: ModelProto): Uint8Array {
  return onnx.ModelProto.encode(onnx.ModelProto.fromObject(model as Record<string, unknown>)).finish();
}

/** protobufjs gives int64 fields as number, Long or string depending on size; all become numbers. */
export function toNumber(v: unknown): number {
  if (typeof v === 'number') return v;
  if (typeof v === 'string') return Number(v);
  if (v !== null && typeof v === 'object' && 'low' in v && 'high' in v) {
    const l = v as { low: number; high: number; unsigned?: boolean };
    const hi = l.unsigned ? l.high >>> 0 : l.high;
    return hi * 2 ** 32 + (l.low >>> 0);
  }
  return Number(v);
}
