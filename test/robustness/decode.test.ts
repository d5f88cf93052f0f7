// Bytes that are not an ONNX model: truncated, random, another protobuf message, wrong wire types, absurd
// nesting. Each is BNNC_E002 naming what was found where (field and byte offset) and what was expected.
import { describe, expect, it } from 'vitest';
import { CompileError } from '../../src/errors.js';
import { tensor } from '../../src/ir/tensor.js';
import { importModelBytes } from '../../src/onnx/import.js';
import { encodeModel, onnx } from '../../src/onnx/proto.js';
import { rng, tensorProto } from '../helpers/onnx-build.js';
import { compileError, expectError } from './expect-error.js';
import { parseFields, serializeFields } from './fuzz-lib.js';
import { mlpSeed } from './seeds.js';

const NOT_A_MODEL = 'expected an ONNX ModelProto';

describe('bytes that are not a model', () => {
  it('an empty file has no graph (BNNC_E002)', () => {
    expectError(() => importModelBytes(new Uint8Array(0)), 'BNNC_E002', 'no graph');
  });

  it('every truncation of a valid model is a CompileError; BNNC_E002 unless cut between top-level fields', () => {
    const b = mlpSeed();
    // where top-level fields end: a cut there leaves well-formed bytes missing the later fields
    const ends = new Set<number>();
    let at = 0;
    for (const f of parseFields(b)!) {
      at += serializeFields([f]).length;
      ends.add(at);
    }
    for (let n = 0; n < b.length; n++) {
      const e = compileError(() => importModelBytes(b.subarray(0, n)));
      if (!ends.has(n)) expect(e.code, `truncated to ${n} of ${b.length} bytes: ${e.message}`).toBe('BNNC_E002');
    }
  });

  it('random bytes are a CompileError, nearly always BNNC_E002', () => {
    const r = rng(42);
    let e002 = 0;
    for (let k = 0; k < 300; k++) {
      const b = Uint8Array.from({ length: 1 + Math.floor(r() * 2000) }, () => Math.floor(r() * 256));
      if (compileError(() => importModelBytes(b)).code === 'BNNC_E002') e002++;
    }
    expect(e002).toBeGreaterThan(290);
  });

  it('a serialized TensorProto, GraphProto or NodeProto is refused as not a ModelProto', () => {
    const t = onnx.TensorProto.encode(onnx.TensorProto.fromObject(tensorProto('w', tensor('float32', [2, 2], [1, 2, 3, 4])))).finish();
    expectError(() => importModelBytes(t), 'BNNC_E002', NOT_A_MODEL);
    const graph = onnx.GraphProto.encode(onnx.GraphProto.fromObject({ name: 'g', node: [{ opType: 'Relu', input: ['x'], output: ['y'] }] })).finish();
    expectError(() => importModelBytes(graph), 'BNNC_E002', 'ModelProto.ir_version (field 1)', 'wire type 2', NOT_A_MODEL);
    const node = onnx.NodeProto.encode(onnx.NodeProto.fromObject({ opType: 'Relu', input: ['x'], output: ['y'] })).finish();
    expectError(() => importModelBytes(node), 'BNNC_E002', NOT_A_MODEL);
  });

  it('a model without a graph is BNNC_E002', () => {
    expectError(() => importModelBytes(encodeModel({ irVersion: 7, opsetImport: [{ domain: '', version: 13 }] })), 'BNNC_E002', 'no graph');
  });
});

/** The seed model with field `num` of the message at `path` (field numbers from the top) rewritten. */
function rewrite(path: number[], edit: (f: { num: number; wire: number; value: bigint | Uint8Array }) => void): Uint8Array {
  const go = (b: Uint8Array, p: number[]): Uint8Array => {
    const fields = parseFields(b)!;
    const f = fields.find((x) => x.num === p[0])!;
    if (p.length === 1) edit(f);
    else f.value = go(f.value as Uint8Array, p.slice(1));
    return serializeFields(fields);
  };
  return go(mlpSeed(), path);
}

describe('wrong wire types and malformed fields', () => {
  it('ir_version written as length-delimited', () => {
    const b = rewrite([1], (f) => { f.wire = 2; f.value = new Uint8Array([1, 2, 3]); });
    expectError(() => importModelBytes(b), 'BNNC_E002', 'ModelProto.ir_version (field 1) at byte 0 has wire type 2', 'expected 0 (varint)');
  });

  it("a node's op_type written as a varint (graph 7 → node 1 → op_type 4)", () => {
    const b = rewrite([7, 1, 4], (f) => { f.wire = 0; f.value = 5n; });
    expectError(() => importModelBytes(b), 'BNNC_E002', 'NodeProto.op_type (field 4)', 'expected 2 (length-delimited)');
  });

  it('a float attribute written as 64-bit', () => {
    // graph 7 → node 2 (BatchNormalization) → its attribute 5 → f 2
    const fields = parseFields(mlpSeed())!;
    const graph = parseFields(fields.find((f) => f.num === 7)!.value as Uint8Array)!;
    const node = parseFields(graph.filter((f) => f.num === 1)[1].value as Uint8Array)!;
    const attr = parseFields(node.find((f) => f.num === 5)!.value as Uint8Array)!;
    const f = attr.find((x) => x.num === 2)!;
    f.wire = 1;
    f.value = new Uint8Array(8);
    node.find((x) => x.num === 5)!.value = serializeFields(attr);
    graph.filter((x) => x.num === 1)[1].value = serializeFields(node);
    fields.find((x) => x.num === 7)!.value = serializeFields(graph);
    expectError(() => importModelBytes(serializeFields(fields)), 'BNNC_E002', 'AttributeProto.f (field 2)', 'expected 5 (32-bit)');
  });

  it('a length that runs past the end of its message', () => {
    const b = mlpSeed().slice();
    const graphAt = b.indexOf(0x3a); // tag of field 7, wire 2
    b[graphAt + 1] |= 0x7f; // a much larger graph length
    const e = compileError(() => importModelBytes(b));
    expect(e.code).toBe('BNNC_E002');
    expect(e.message).toMatch(/declares \d+ bytes; only \d+ remain/);
  });

  it('a varint of more than 10 bytes, wire types 3, 4, 6 and 7, field number 0', () => {
    expectError(() => importModelBytes(new Uint8Array([0x08, ...new Array(11).fill(0x80), 0])), 'BNNC_E002', 'longer than 10 bytes');
    for (const wire of [3, 4, 6, 7]) expectError(() => importModelBytes(new Uint8Array([(9 << 3) | wire, 0])), 'BNNC_E002', `wire type ${wire}`);
    expectError(() => importModelBytes(new Uint8Array([0x00, 0x01])), 'BNNC_E002', 'field number 0');
  });

  it('packed floats whose length is not a multiple of 4', () => {
    // an initializer (graph 7 → initializer 5) with float_data (4) packed into 6 bytes
    const t = serializeFields([{ num: 8, wire: 2, value: new TextEncoder().encode('w') }, { num: 4, wire: 2, value: new Uint8Array(6) }]);
    const g = serializeFields([{ num: 5, wire: 2, value: t }]);
    const b = serializeFields([{ num: 1, wire: 0, value: 7n }, { num: 7, wire: 2, value: g }]);
    expectError(() => importModelBytes(b), 'BNNC_E002', 'TensorProto.float_data (field 4)', 'not a multiple of 4');
  });

  it('messages nested thousands deep are refused before the decoder recurses', () => {
    // a graph input whose type is a sequence of a sequence of … 5000 deep
    let type = serializeFields([{ num: 1, wire: 2, value: serializeFields([{ num: 1, wire: 0, value: 1n }]) }]);
    for (let k = 0; k < 5000; k++) type = serializeFields([{ num: 4, wire: 2, value: serializeFields([{ num: 1, wire: 2, value: type }]) }]);
    const vi = serializeFields([{ num: 1, wire: 2, value: new TextEncoder().encode('x') }, { num: 2, wire: 2, value: type }]);
    const b = serializeFields([{ num: 1, wire: 0, value: 7n }, { num: 7, wire: 2, value: serializeFields([{ num: 11, wire: 2, value: vi }]) }]);
    const e = expectError(() => importModelBytes(b), 'BNNC_E002', 'nested more than 64 deep');
    expect(e).toBeInstanceOf(CompileError);
  });
});
