// Structure-aware mutation fuzzing of ONNX files: byte-level mutations (bit flips, truncation, splices,
// chunk deletion) and protobuf-level ones (a varint or float set to an edge value, a field deleted,
// duplicated, moved, renumbered or re-typed, a name swapped for another name of the model), re-serialized
// with consistent lengths so that most mutants decode and reach the importer's and the passes' checks.
import { CompileError } from '../../src/errors.js';
import { lowerModel } from '../../src/compile.js';
import { importModelBytes } from '../../src/onnx/import.js';
import { IMPORT_PIPELINE, runPipeline } from '../../src/passes/index.js';
import { onnx } from '../../src/onnx/proto.js';
import { supportedOps } from '../../src/ops/index.js';
import type { AttrSpec, OpDef } from '../../src/ops/types.js';
import { tensor } from '../../src/ir/tensor.js';
import type { DType, Tensor } from '../../src/ir/types.js';
import { type AttrIn, buildModel, rng } from '../helpers/onnx-build.js';

/** One protobuf field: a varint or fixed value, or length-delimited bytes (maybe a nested message). */
interface Field {
  num: number;
  wire: number;
  value: bigint | Uint8Array;
}

const MAX_VARINT = (1n << 64n) - 1n;

function readVarint(b: Uint8Array, pos: number): [bigint, number] | undefined {
  let v = 0n, shift = 0n;
  for (let i = 0; i < 10; i++) {
    if (pos >= b.length) return undefined;
    const byte = b[pos++];
    v |= BigInt(byte & 0x7f) << shift;
    if (!(byte & 0x80)) return [v & MAX_VARINT, pos];
    shift += 7n;
  }
  return undefined;
}

function varintSize(v: bigint): number {
  let n = 1;
  for (v = (v & MAX_VARINT) >> 7n; v; v >>= 7n) n++;
  return n;
}

function writeVarint(out: Uint8Array, pos: number, v: bigint): number {
  v &= MAX_VARINT;
  do {
    const byte = Number(v & 0x7fn);
    v >>= 7n;
    out[pos++] = v ? byte | 0x80 : byte;
  } while (v);
  return pos;
}

/** Parses a message; undefined unless the bytes are exactly a sequence of well-formed fields. */
export function parseFields(b: Uint8Array): Field[] | undefined {
  const fields: Field[] = [];
  let pos = 0;
  while (pos < b.length) {
    const t = readVarint(b, pos);
    if (!t) return undefined;
    const [tag, p] = t;
    pos = p;
    const num = Number(tag >> 3n), wire = Number(tag & 7n);
    if (num === 0) return undefined;
    if (wire === 0) {
      const v = readVarint(b, pos);
      if (!v) return undefined;
      fields.push({ num, wire, value: v[0] });
      pos = v[1];
    } else if (wire === 1 || wire === 5) {
      const n = wire === 1 ? 8 : 4;
      if (pos + n > b.length) return undefined;
      fields.push({ num, wire, value: b.subarray(pos, pos + n) });
      pos += n;
    } else if (wire === 2) {
      const l = readVarint(b, pos);
      if (!l || l[1] + Number(l[0]) > b.length) return undefined;
      fields.push({ num, wire, value: b.subarray(l[1], l[1] + Number(l[0])) });
      pos = l[1] + Number(l[0]);
    } else return undefined;
  }
  return fields;
}

/** The bytes of `fields`: sizes first, then one buffer (the real models are a quarter megabyte). */
export function serializeFields(fields: readonly Field[]): Uint8Array {
  const tag = (f: Field) => (BigInt(f.num) << 3n) | BigInt(f.wire);
  let size = 0;
  for (const f of fields) {
    size += varintSize(tag(f));
    if (typeof f.value === 'bigint') size += varintSize(f.value);
    else size += f.value.length + (f.wire === 2 ? varintSize(BigInt(f.value.length)) : 0);
  }
  const out = new Uint8Array(size);
  let pos = 0;
  for (const f of fields) {
    pos = writeVarint(out, pos, tag(f));
    if (typeof f.value === 'bigint') pos = writeVarint(out, pos, f.value);
    else {
      if (f.wire === 2) pos = writeVarint(out, pos, BigInt(f.value.length));
      out.set(f.value, pos);
      pos += f.value.length;
    }
  }
  return out;
}

type Rand = () => number;
const pick = <T>(r: Rand, xs: readonly T[]): T => xs[Math.floor(r() * xs.length)];
const int = (r: Rand, n: number): number => Math.floor(r() * n);

const EDGE_VARINTS = [0n, 1n, 2n, 3n, 7n, 8n, 11n, 16n, 255n, 256n, 65535n, (1n << 31n) - 1n, 1n << 31n, 1n << 32n,
  1n << 53n, (1n << 62n), (1n << 63n) - 1n, MAX_VARINT, MAX_VARINT - 1n /* -2 */, MAX_VARINT - 31n];
const EDGE_F32 = [NaN, Infinity, -Infinity, 0, -0, 1e-45, 3.4e38, -1, 1e30];

function f32Bytes(v: number): Uint8Array {
  const b = new Uint8Array(4);
  new DataView(b.buffer).setFloat32(0, v, true);
  return b;
}

function isPrintable(b: Uint8Array): boolean {
  return b.length > 0 && b.length < 64 && b.every((c) => c >= 0x20 && c < 0x7f);
}

/** Every short printable string in the message tree: tensor, node and op names to swap around. */
export function stringPool(bytes: Uint8Array, depth = 0, pool = new Set<string>()): string[] {
  const fields = parseFields(bytes);
  if (!fields || depth > 12) return [...pool];
  for (const f of fields) {
    if (f.wire !== 2 || typeof f.value === 'bigint') continue;
    if (isPrintable(f.value)) pool.add(new TextDecoder().decode(f.value));
    else if (f.value.length < 1 << 20) stringPool(f.value, depth + 1, pool);
  }
  return [...pool];
}

/** One protobuf-level mutation somewhere in the tree; the bytes unchanged when nothing applied. */
export function mutateTree(r: Rand, bytes: Uint8Array, pool: readonly string[], depth: number): Uint8Array {
  const fields = parseFields(bytes);
  if (!fields || fields.length === 0) return bytes;
  const i = int(r, fields.length);
  const f = fields[i];
  // descend into a nested message most of the time: the interesting fields are deep (graph → node → attribute);
  // a nested message itself is only deleted, duplicated or moved (its bytes stay well-formed)
  const nested = f.wire === 2 && f.value instanceof Uint8Array && !isPrintable(f.value) && depth < 12 ? parseFields(f.value) : undefined;
  if (nested && nested.length > 0 && r() < 0.8) {
    fields[i] = { ...f, value: mutateTree(r, f.value as Uint8Array, pool, depth + 1) };
    return serializeFields(fields);
  }
  const k = r();
  const structural = nested && nested.length > 0;
  switch (structural ? int(r, 3) : k < 0.12 ? 0 : k < 0.2 ? 1 : k < 0.24 ? 2 : k < 0.27 ? 3 : k < 0.3 ? 4 : 5) {
    case 0: // delete the field
      fields.splice(i, 1);
      break;
    case 1: // duplicate it
      fields.splice(int(r, fields.length + 1), 0, { ...f });
      break;
    case 2: { // move it
      fields.splice(i, 1);
      fields.splice(int(r, fields.length + 1), 0, f);
      break;
    }
    case 3: // another field number
      fields[i] = { ...f, num: r() < 0.5 ? f.num + 1 : Math.max(1, f.num - 1) };
      break;
    case 4: { // another wire type, the value kept where the new type allows
      const wire = pick(r, [0, 1, 2, 5].filter((w) => w !== f.wire));
      const value = wire === 0 ? 1n : wire === 2 ? new Uint8Array(typeof f.value === 'bigint' ? [Number(f.value & 0x7fn)] : f.value)
        : new Uint8Array(wire === 1 ? 8 : 4);
      fields[i] = { num: f.num, wire, value };
      break;
    }
    default: // change the value
      if (typeof f.value === 'bigint') {
        const v = r() < 0.7 ? pick(r, EDGE_VARINTS) : (f.value + BigInt(int(r, 5) - 2)) & MAX_VARINT;
        fields[i] = { ...f, value: v };
      } else if (f.wire === 5) fields[i] = { ...f, value: f32Bytes(pick(r, EDGE_F32)) };
      else if (f.wire === 1) fields[i] = { ...f, value: new Uint8Array(8).fill(r() < 0.5 ? 0xff : 0) };
      else if (isPrintable(f.value) || f.value.length === 0) {
        const s = r() < 0.8 && pool.length ? pick(r, pool) : pick(r, ['', '..', '/etc/passwd', 'x'.repeat(200)]);
        fields[i] = { ...f, value: new TextEncoder().encode(s) };
      } else {
        // bulk data (raw_data, packed numbers): a NaN/inf poked in, shortened or lengthened
        const v = f.value.slice();
        const k = int(r, 3);
        if (k === 0 && v.length >= 4) v.set(f32Bytes(pick(r, EDGE_F32)), 4 * int(r, Math.floor(v.length / 4)));
        fields[i] = { ...f, value: k === 1 ? v.slice(0, int(r, v.length)) : k === 2 ? concat(v, v.slice(0, 4)) : v };
      }
  }
  return serializeFields(fields);
}

function concat(...parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let pos = 0;
  for (const p of parts) {
    out.set(p, pos);
    pos += p.length;
  }
  return out;
}

/** One byte-level mutation. `other` is another model for splices. */
function mutateBytes(r: Rand, b: Uint8Array, other: Uint8Array): Uint8Array {
  const out = b.slice();
  switch (int(r, 6)) {
    case 0: { // flip 1 to 8 bits
      for (let k = 1 + int(r, 8); k > 0 && out.length; k--) out[int(r, out.length)] ^= 1 << int(r, 8);
      return out;
    }
    case 1: { // set bytes to edge values
      for (let k = 1 + int(r, 4); k > 0 && out.length; k--) out[int(r, out.length)] = pick(r, [0, 0xff, 0x7f, 0x80, 0x01]);
      return out;
    }
    case 2: // truncate
      return b.slice(0, int(r, b.length));
    case 3: { // splice a chunk of another model in
      const at = int(r, b.length + 1), from = int(r, other.length), len = int(r, Math.min(256, other.length - from) + 1);
      return concat(b.subarray(0, at), other.subarray(from, from + len), b.subarray(at));
    }
    case 4: { // delete a chunk
      const at = int(r, b.length), len = 1 + int(r, 64);
      return concat(b.subarray(0, at), b.subarray(at + len));
    }
    default: { // random bytes appended or a random prefix
      const junk = Uint8Array.from({ length: 1 + int(r, 32) }, () => int(r, 256));
      return r() < 0.5 ? concat(b, junk) : concat(junk, b);
    }
  }
}

const OP_NAMES = supportedOps().filter((d) => d.domain === '').map((d) => d.op);
const EDGE_INTS = [0, 1, -1, 2, -2, 3, 1000, 2 ** 31, -(2 ** 31), 2 ** 40, -(2 ** 53)];
const EDGE_LISTS: number[][] = [[], [0], [-1], [1, 1], [0, 0, 0, 0], [2 ** 31, 1], [-5, 3, 3, -5], [1, 2, 3, 4, 5, 6, 7, 8, 9]];

// the decoded messages, with the fields the mutations touch (arrays copied before they are changed: the
// decoder's default empty arrays are frozen and shared)
interface MAttr { name?: string | null; type?: number | null; i?: unknown; ints?: unknown[] | null; f?: number | null; floats?: number[] | null; s?: Uint8Array | null }
interface MNode { input: string[]; output: string[]; attribute: MAttr[]; opType?: string | null; domain?: string | null }
interface MTensor { dims: unknown[]; dataType?: number | null }
interface MValueInfo { name?: string | null; type?: { tensorType?: { shape?: { dim?: { dimValue?: unknown }[] | null } | null } | null } | null }
interface MGraph { node: MNode[]; initializer: MTensor[]; input: MValueInfo[]; output: MValueInfo[] }
interface Model { graph?: MGraph | null; opsetImport?: unknown[] | null }

function ownArrays(n: MNode): MNode {
  n.input = [...n.input];
  n.output = [...n.output];
  n.attribute = [...n.attribute];
  return n;
}

/** A graph-level mutation on the decoded model: rewired inputs, edge attribute values, bad dims, other ops. */
export function mutateModel(r: Rand, bytes: Uint8Array, pool: readonly string[]): Uint8Array {
  let m: Model;
  try {
    m = onnx.ModelProto.decode(bytes) as unknown as Model;
  } catch {
    return bytes;
  }
  const g = m.graph;
  if (!g) return bytes;
  const names = pool.length ? pool : ['x'];
  const nodes = g.node = [...g.node];
  g.initializer = [...g.initializer];
  const n = nodes.length ? ownArrays(pick(r, nodes)) : undefined;
  const choice = int(r, 14);
  if (n && choice < 8) {
    if (choice === 0 && n.input.length) n.input[int(r, n.input.length)] = pick(r, [...names, '', 'nowhere']);
    else if (choice === 1) n.input.splice(int(r, n.input.length + 1), r() < 0.5 ? 1 : 0, ...(r() < 0.5 ? [pick(r, names)] : []));
    else if (choice === 2 && n.output.length) n.output[int(r, n.output.length)] = pick(r, [...names, '']);
    else if (choice === 3 && n.attribute.length) n.attribute.splice(int(r, n.attribute.length), 1);
    else if (choice === 4 && n.attribute.length) {
      const a = pick(r, n.attribute);
      const kind = int(r, 6);
      if (kind === 0) { a.type = 2; a.i = pick(r, EDGE_INTS); }
      else if (kind === 1) { a.type = 7; a.ints = pick(r, EDGE_LISTS); }
      else if (kind === 2) { a.type = 1; a.f = pick(r, EDGE_F32); }
      else if (kind === 3) { a.type = 6; a.floats = [pick(r, EDGE_F32)]; }
      else if (kind === 4) { a.type = 3; a.s = new TextEncoder().encode(pick(r, ['', 'NOTSET', 'SAME_UPPER', 'x'])); }
      else a.type = pick(r, [0, 5, 9, 11, 13, 99]);
    } else if (choice === 5) n.opType = pick(r, OP_NAMES);
    else if (choice === 6) nodes.splice(nodes.indexOf(n), 1);
    else if (choice === 7) nodes.splice(int(r, nodes.length + 1), 0, { ...n });
  } else if (choice === 8 && g.initializer.length) {
    const t = pick(r, g.initializer);
    if (r() < 0.6) t.dims = t.dims.length && r() < 0.7 ? t.dims.map((d) => (r() < 0.5 ? pick(r, EDGE_INTS) : d)) : pick(r, EDGE_LISTS);
    else t.dataType = pick(r, [0, 1, 2, 3, 6, 7, 8, 9, 10, 11, 16, 99]);
  } else if (choice === 9 && g.input.length) {
    const dims = pick(r, g.input).type?.tensorType?.shape?.dim ?? [];
    if (dims.length) pick(r, dims).dimValue = pick(r, EDGE_INTS);
  } else if (choice === 10 && g.output.length) pick(r, g.output).name = pick(r, [...names, '']);
  else if (choice === 11 && n) n.domain = pick(r, ['', 'ai.onnx', 'qonnx.custom_op.general', 'com.microsoft', 'local']);
  else if (choice === 12) m.opsetImport = [onnx.OperatorSetIdProto.create({ domain: '', version: pick(r, [1, 6, 7, 9, 11, 13, 21, 22, 99]) })];
  else if (n) {
    const name = pick(r, ['axis', 'axes', 'kernel_shape', 'group', 'transA', 'pads', 'perm', 'value', 'to', 'mode', 'strides', 'dilations', 'k']);
    n.attribute.push(onnx.AttributeProto.create({ name, type: 2, i: pick(r, EDGE_INTS) }));
  }
  try {
    return new Uint8Array(onnx.ModelProto.encode(m as never).finish());
  } catch {
    return bytes;
  }
}

/** A mutant of `seed`: one to three mutations (graph-level, protobuf-level or byte-level). */
export function mutate(r: Rand, seed: Uint8Array, pool: readonly string[], other: Uint8Array): Uint8Array {
  // plain Uint8Array copies: a Node Buffer's slice() is a view, and mutating it would corrupt the seed
  let b: Uint8Array = new Uint8Array(seed);
  other = new Uint8Array(other);
  for (let k = 1 + int(r, 3); k > 0; k--) {
    const x = r();
    b = x < 0.45 ? mutateModel(r, b, pool) : x < 0.8 ? mutateTree(r, b, pool, 0) : mutateBytes(r, b, other);
  }
  return b;
}

export type Outcome =
  | { kind: 'ok' }
  | { kind: 'error'; code: string; message: string }
  | { kind: 'crash'; error: Error };

/** Limits for fuzzing: no tensor over 64 MiB (so nothing huge is ever allocated). */
export const FUZZ_MAX_TENSOR_BYTES = 64 << 20;

/** The user's path on bytes: import, IMPORT_PIPELINE, lowering. Success or a CompileError; anything else is a crash. */
export function compileBytes(bytes: Uint8Array): Outcome {
  try {
    const g = runPipeline(importModelBytes(bytes, { maxTensorBytes: FUZZ_MAX_TENSOR_BYTES }), IMPORT_PIPELINE);
    lowerModel(g, { inputQuant: { dtype: 'uint8', scale: 1, divisor: 255, zeroPoint: 0 } });
    return { kind: 'ok' };
  } catch (e) {
    if (e instanceof CompileError) return { kind: 'error', code: e.code, message: e.message };
    return { kind: 'crash', error: e instanceof Error ? e : new Error(String(e)) };
  }
}

const DTYPES: readonly DType[] = ['float32', 'float32', 'float32', 'int64', 'int32', 'uint8', 'int8', 'bool', 'float64'];
const STRINGS = ['', 'constant', 'reflect', 'edge', 'NOTSET', 'SAME_UPPER', 'VALID', 'BIPOLAR', 'INT8', 'UINT4', 'ROUND', 'x'];

function randomShape(r: Rand): number[] {
  return Array.from({ length: int(r, 6) }, () => pick(r, [1, 1, 2, 3, 4, 5, 8]));
}

function randomAttr(r: Rand, spec: AttrSpec): AttrIn {
  switch (spec.kind) {
    case 'int': return r() < 0.7 ? int(r, 5) - 1 : pick(r, EDGE_INTS);
    case 'float': return { float: r() < 0.7 ? r() * 4 - 2 : pick(r, EDGE_F32) };
    case 'string': return pick(r, STRINGS);
    case 'ints': return r() < 0.6 ? Array.from({ length: int(r, 9) }, () => int(r, 6) - 2) : pick(r, EDGE_LISTS);
    case 'floats': return { floats: Array.from({ length: int(r, 5) }, () => (r() < 0.8 ? r() * 4 - 2 : pick(r, EDGE_F32))) };
    case 'strings': return [pick(r, STRINGS)];
    case 'tensor': return tensor('float32', [2], [1, pick(r, EDGE_F32)]);
  }
}

/**
 * A one-node model of `def` with random inputs (graph inputs or initializers of random types and shapes; small
 * integer constants, so that shape operands mean something), random attributes of the schema's kinds, and
 * sometimes a missing, extra or foreign attribute: each op's shape rule and evaluation meet odd but
 * well-formed input.
 */
export function opTortureModel(r: Rand, def: OpDef): Uint8Array {
  const nIn = def.inputs.min + int(r, def.inputs.max - def.inputs.min + 1 + (r() < 0.1 ? 1 : 0));
  const inputs: { name: string; dtype: DType; shape: number[] }[] = [];
  const initializers: Record<string, Tensor> = {};
  const names: string[] = [];
  for (let i = 0; i < Math.min(nIn, 8); i++) {
    const name = `in${i}`;
    const shape = i > 0 && r() < 0.4 ? [int(r, 6)] : randomShape(r);
    if (i > 0 && r() < 0.15) { names.push(''); continue; }
    const constant = i > 0 && r() < 0.6;
    const dtype = r() < 0.25 ? pick(r, DTYPES) : constant && r() < 0.5 ? 'int64' : 'float32';
    if (constant) {
      const n = shape.reduce((a, b) => a * b, 1);
      initializers[name] = tensor(dtype, shape, Array.from({ length: n }, () => (dtype === 'bool' ? int(r, 2) : dtype === 'uint8' ? int(r, 6) : int(r, 7) - 2)));
    } else inputs.push({ name, dtype, shape });
    names.push(name);
  }
  if (inputs.length === 0) inputs.push({ name: 'unused', dtype: 'float32', shape: [1] });
  const attrs: Record<string, AttrIn> = {};
  for (const [k, spec] of Object.entries(def.attrs)) if (r() < 0.6 || (spec.required && r() < 0.95)) attrs[k] = randomAttr(r, spec);
  if (r() < 0.1) attrs[pick(r, ['axis', 'perm', 'pads', 'kernel_shape'])] = pick(r, ['a string', 1.5, [1, 2]]);
  const nOut = def.outputs.min + int(r, def.outputs.max - def.outputs.min + 1);
  const outputs = Array.from({ length: nOut }, (_, i) => ({ name: `out${i}`, dtype: 'float32' as DType }));
  const domain = def.domain === 'qonnx' ? 'qonnx.custom_op.general' : def.domain;
  return buildModel({
    inputs, outputs, initializers, opset: pick(r, [7, 9, 11, 12, 13, 18, 21]),
    domains: domain ? { [domain]: 1 } : {},
    nodes: [{ op: def.op, domain, inputs: names, outputs: outputs.map((o) => o.name), attrs, name: `torture_${def.op}` }],
  });
}

/** A seed model for the fuzzer, by name. */
export interface Seed {
  readonly name: string;
  readonly bytes: Uint8Array;
}

export interface Crash {
  readonly seed: string;
  readonly index: number;
  readonly bytes: Uint8Array;
  readonly error: Error;
}

export interface FuzzReport {
  readonly cases: number;
  readonly outcomes: ReadonlyMap<string, number>;
  readonly crashes: readonly Crash[];
  readonly slowestMs: number;
  readonly slowest: string;
}

/** The random stream of one case: independent of every other case, so any case replays alone. */
export function caseRng(base: number, seedIndex: number, index: number): Rand {
  return rng((Math.imul(base, 0x9e3779b1) ^ Math.imul(seedIndex + 1, 0x85ebca6b) ^ Math.imul(index + 1, 0xc2b2ae35)) >>> 0);
}

/** Mutant `index` of seed `seedIndex` (`other` chosen among all seeds for splices); replays one case. */
export function mutant(seeds: readonly Seed[], pools: readonly string[][], base: number, seedIndex: number, index: number): Uint8Array {
  const r = caseRng(base, seedIndex, index);
  return mutate(r, seeds[seedIndex].bytes, pools[seedIndex], pick(r, seeds).bytes);
}

/**
 * `perSeed` mutants of every seed, plus `torture` random one-node models of every registered op, each run
 * through compileBytes. Outcomes are counted by diagnostic code; anything else is a crash.
 */
export function runFuzz(seeds: readonly Seed[], opts: { perSeed: number; torture: number; base: number }): FuzzReport {
  const outcomes = new Map<string, number>();
  const crashes: Crash[] = [];
  let cases = 0, slowestMs = 0, slowest = '';
  const one = (seed: string, index: number, bytes: Uint8Array) => {
    const t0 = performance.now();
    const o = compileBytes(bytes);
    const ms = performance.now() - t0;
    if (ms > slowestMs) [slowestMs, slowest] = [ms, `${seed} #${index}`];
    const key = o.kind === 'error' ? o.code : o.kind;
    outcomes.set(key, (outcomes.get(key) ?? 0) + 1);
    if (o.kind === 'crash') crashes.push({ seed, index, bytes, error: o.error });
    cases++;
  };
  const pools = seeds.map((s) => stringPool(s.bytes));
  seeds.forEach((s, k) => {
    for (let i = 0; i < opts.perSeed; i++) one(s.name, i, mutant(seeds, pools, opts.base, k, i));
  });
  supportedOps().forEach((def, k) => {
    for (let i = 0; i < opts.torture; i++) one(`torture:${def.domain}:${def.op}`, i, opTortureModel(caseRng(opts.base, 1000 + k, i), def));
  });
  return { cases, outcomes, crashes, slowestMs, slowest };
}

/** A crash as a readable paragraph: where it came from, how to replay it, the stack. */
export function describeCrash(c: Crash, base: number): string {
  return `${c.seed} case ${c.index} (base seed ${base}, ${c.bytes.length} bytes): ${c.error.stack ?? c.error.message}`;
}
