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

/**
 * Decodes ModelProto bytes. The generated decoder trusts wire types (a length-delimited field where a
 * varint belongs is read as a number, and decoding goes on inside its payload), so the bytes are first
 * walked against the schema: throws a plain Error naming the field and byte offset on malformed bytes;
 * the importer turns it into a diagnostic.
 */
export function decodeModel(bytes: Uint8Array): ModelProto {
  checkWire(bytes, 0, bytes.length, 'ModelProto', 0);
  return onnx.ModelProto.decode(bytes);
}

// The wire schema of the messages onnx-proto decodes: field number → [name, kind]. Kinds: 'v' varint,
// 's' string or bytes, 'f' float (fixed32), 'V'/'F'/'D' repeated varint/float/double (packed or not),
// otherwise a message name.
const SCHEMA: Readonly<Record<string, Readonly<Record<number, readonly [string, string]>>>> = {
  ModelProto: { 1: ['ir_version', 'v'], 2: ['producer_name', 's'], 3: ['producer_version', 's'], 4: ['domain', 's'],
    5: ['model_version', 'v'], 6: ['doc_string', 's'], 7: ['graph', 'GraphProto'], 8: ['opset_import', 'OperatorSetIdProto'],
    14: ['metadata_props', 'StringStringEntryProto'], 20: ['training_info', 'TrainingInfoProto'], 25: ['functions', 'FunctionProto'] },
  OperatorSetIdProto: { 1: ['domain', 's'], 2: ['version', 'v'] },
  StringStringEntryProto: { 1: ['key', 's'], 2: ['value', 's'] },
  TrainingInfoProto: { 1: ['initialization', 'GraphProto'], 2: ['algorithm', 'GraphProto'],
    3: ['initialization_binding', 'StringStringEntryProto'], 4: ['update_binding', 'StringStringEntryProto'] },
  GraphProto: { 1: ['node', 'NodeProto'], 2: ['name', 's'], 5: ['initializer', 'TensorProto'], 15: ['sparse_initializer', 'SparseTensorProto'],
    10: ['doc_string', 's'], 11: ['input', 'ValueInfoProto'], 12: ['output', 'ValueInfoProto'], 13: ['value_info', 'ValueInfoProto'],
    14: ['quantization_annotation', 'TensorAnnotation'] },
  NodeProto: { 1: ['input', 's'], 2: ['output', 's'], 3: ['name', 's'], 4: ['op_type', 's'], 7: ['domain', 's'], 5: ['attribute', 'AttributeProto'], 6: ['doc_string', 's'] },
  AttributeProto: { 1: ['name', 's'], 21: ['ref_attr_name', 's'], 13: ['doc_string', 's'], 20: ['type', 'i'], 2: ['f', 'f'], 3: ['i', 'v'],
    4: ['s', 's'], 5: ['t', 'TensorProto'], 6: ['g', 'GraphProto'], 22: ['sparse_tensor', 'SparseTensorProto'], 14: ['tp', 'TypeProto'],
    7: ['floats', 'F'], 8: ['ints', 'V'], 9: ['strings', 's'], 10: ['tensors', 'TensorProto'], 11: ['graphs', 'GraphProto'],
    23: ['sparse_tensors', 'SparseTensorProto'], 15: ['type_protos', 'TypeProto'] },
  ValueInfoProto: { 1: ['name', 's'], 2: ['type', 'TypeProto'], 3: ['doc_string', 's'] },
  TensorProto: { 1: ['dims', 'V'], 2: ['data_type', 'i'], 3: ['segment', 'Segment'], 4: ['float_data', 'F'], 5: ['int32_data', 'I'],
    6: ['string_data', 's'], 7: ['int64_data', 'V'], 8: ['name', 's'], 12: ['doc_string', 's'], 9: ['raw_data', 's'],
    13: ['external_data', 'StringStringEntryProto'], 14: ['data_location', 'i'], 10: ['double_data', 'D'], 11: ['uint64_data', 'V'] },
  Segment: { 1: ['begin', 'v'], 2: ['end', 'v'] },
  SparseTensorProto: { 1: ['values', 'TensorProto'], 2: ['indices', 'TensorProto'], 3: ['dims', 'V'] },
  TensorShapeProto: { 1: ['dim', 'Dimension'] },
  Dimension: { 1: ['dim_value', 'v'], 2: ['dim_param', 's'], 3: ['denotation', 's'] },
  TypeProto: { 1: ['tensor_type', 'TypeTensor'], 4: ['sequence_type', 'TypeSequence'], 5: ['map_type', 'TypeMap'],
    9: ['optional_type', 'TypeSequence'], 8: ['sparse_tensor_type', 'TypeTensor'], 6: ['denotation', 's'] },
  TypeTensor: { 1: ['elem_type', 'i'], 2: ['shape', 'TensorShapeProto'] },
  TypeSequence: { 1: ['elem_type', 'TypeProto'] },
  TypeMap: { 1: ['key_type', 'i'], 2: ['value_type', 'TypeProto'] },
  TensorAnnotation: { 1: ['tensor_name', 's'], 2: ['quant_parameter_tensor_names', 'StringStringEntryProto'] },
  FunctionProto: { 1: ['name', 's'], 4: ['input', 's'], 5: ['output', 's'], 6: ['attribute', 's'], 7: ['node', 'NodeProto'],
    8: ['doc_string', 's'], 9: ['opset_import', 'OperatorSetIdProto'], 10: ['domain', 's'] },
};

const WIRE_NAMES = ['varint', '64-bit', 'length-delimited', 'group start', 'group end', '32-bit', 'invalid (6)', 'invalid (7)'];
/** Wire types each kind accepts (repeated numbers may be packed into one length-delimited field). */
const KIND_WIRES: Readonly<Record<string, readonly number[]>> = { v: [0], i: [0], s: [2], f: [5], V: [0, 2], I: [0, 2], F: [5, 2], D: [1, 2] };
/** Nesting deeper than this is refused rather than risking the decoder's stack. */
const MAX_DEPTH = 64;

/**
 * Reads a varint at `pos`, which must end before `end`: [value (exact below 2^53), next position]. `u32`:
 * a tag, a length or an int32/enum value, which protobufjs reads as 5 bytes at most (or a sign-extended 10).
 */
function varint(b: Uint8Array, pos: number, end: number, what: () => string, u32 = false): [number, number] {
  let v = 0, mul = 1;
  for (let i = 0; i < 10; i++) {
    if (pos >= end) throw new Error(`truncated varint in ${what()}`);
    const byte = b[pos++];
    v += (byte & 0x7f) * mul;
    if (!(byte & 0x80)) {
      if (u32 && i >= 5 && i !== 9) throw new Error(`a ${i + 1}-byte varint in ${what()}, where a 32-bit value belongs`);
      return [v, pos];
    }
    mul *= 128;
  }
  throw new Error(`a varint longer than 10 bytes in ${what()}`);
}

function checkWire(b: Uint8Array, start: number, end: number, type: string, depth: number): void {
  if (depth > MAX_DEPTH) throw new Error(`messages nested more than ${MAX_DEPTH} deep at byte ${start}`);
  const fields = SCHEMA[type];
  let pos = start;
  while (pos < end) {
    const at = pos;
    const [tag, p] = varint(b, pos, end, () => `a field tag of ${type} at byte ${at}`, true);
    if (tag >= 2 ** 32) throw new Error(`an invalid field tag in ${type} at byte ${at}`);
    pos = p;
    const num = Math.floor(tag / 8), wire = tag % 8;
    const spec = fields[num];
    const what = () => `${type}.${spec ? spec[0] : `<field ${num}>`} (field ${num}) at byte ${at}`;
    if (num === 0) throw new Error(`field number 0 in ${type} at byte ${at}`);
    if (spec) {
      const allowed = KIND_WIRES[spec[1]] ?? [2];
      if (!allowed.includes(wire)) {
        throw new Error(`${what()} has wire type ${wire} (${WIRE_NAMES[wire]}); expected ${allowed.map((w) => `${w} (${WIRE_NAMES[w]})`).join(' or ')}`);
      }
    } else if (wire !== 0 && wire !== 1 && wire !== 2 && wire !== 5) {
      throw new Error(`${what()} has wire type ${wire} (${WIRE_NAMES[wire]}), which ONNX never uses`);
    }
    if (wire === 0) pos = varint(b, pos, end, what, spec?.[1] === 'i' || spec?.[1] === 'I')[1];
    else if (wire === 1 || wire === 5) {
      pos += wire === 1 ? 8 : 4;
      if (pos > end) throw new Error(`${what()} is truncated`);
    } else {
      const [len, q] = varint(b, pos, end, what, true);
      if (len > end - q) throw new Error(`${what()} declares ${len} bytes; only ${end - q} remain (a truncated file?)`);
      pos = q + len;
      const kind = spec?.[1];
      if (kind === 'F' && len % 4 !== 0) throw new Error(`${what()} packs ${len} bytes of floats, not a multiple of 4`);
      if (kind === 'D' && len % 8 !== 0) throw new Error(`${what()} packs ${len} bytes of doubles, not a multiple of 8`);
      if (kind === 'V' || kind === 'I') for (let r = q; r < pos;) r = varint(b, r, pos, what, kind === 'I')[1];
      if (kind !== undefined && SCHEMA[kind]) checkWire(b, q, pos, kind, depth + 1);
    }
  }
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
