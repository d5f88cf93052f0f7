// ModelProto → IR graph. Checks versions, reads initializers and Constant nodes, inlines local functions,
// maps custom domains, resolves attributes against each op's schema, fixes symbolic dimensions, and sorts
// the nodes topologically; every problem becomes a diagnostic naming the node or tensor.
import { fail, CompileError, type Where } from '../errors.js';
import { shapeText, tensor } from '../ir/tensor.js';
import type { AttrValue, Attrs, DType, Graph, Node, Tensor, TensorType, ValueInfo } from '../ir/types.js';
import { lookupOp } from '../ops/index.js';
import type { AttrSpec, OpDef } from '../ops/types.js';
import {
  ATTR, type AttributeProto, decodeModel, type FunctionProto, type ModelProto, type NodeProto, toNumber, type ValueInfoProto,
} from './proto.js';
import { checkDims, dtypeOfElem, tensorFromProto } from './tensor-proto.js';

export const IR_VERSIONS = { min: 3, max: 10 } as const;
export const OPSETS = { min: 7, max: 21 } as const;
export const DEFAULT_MAX_TENSOR_BYTES = 1 << 30;

/** The custom domains whose ops bnnc knows, all mapped to the IR domain 'qonnx'. */
export const QONNX_DOMAINS = ['onnx.brevitas', 'qonnx.custom_op.general', 'finn.custom_op.general', 'finn'] as const;
/** QONNX ops that older exporters wrote in the default domain. */
const QONNX_OPS = new Set(['BipolarQuant', 'Quant', 'MultiThreshold', 'XnorPopcountMatMul']);

export interface ImportOptions {
  readonly modelDir?: string;
  /** Shapes for graph inputs by name; symbolic dimensions not covered here become 1. */
  readonly inputShapes?: ReadonlyMap<string, readonly number[]>;
  readonly maxTensorBytes?: number;
}

export function importModelBytes(bytes: Uint8Array, opts: ImportOptions = {}): Graph {
  let model: ModelProto;
  try {
    model = decodeModel(bytes);
  } catch (e) {
    fail('BNNC_E002', `protobuf decoding failed (${(e as Error).message}); is this an .onnx file?`);
  }
  return importModel(model, opts);
}

export function importModel(model: ModelProto, opts: ImportOptions = {}): Graph {
  const maxTensorBytes = opts.maxTensorBytes ?? DEFAULT_MAX_TENSOR_BYTES;
  const ir = toNumber(model.irVersion ?? 0);
  if (!model.graph) fail('BNNC_E002', 'the model has no graph');
  if (ir < IR_VERSIONS.min || ir > IR_VERSIONS.max) {
    fail('BNNC_E003', `IR version ${ir}; bnnc reads IR versions ${IR_VERSIONS.min} to ${IR_VERSIONS.max}`);
  }
  const opsets = model.opsetImport ?? [];
  const defaultOpset = opsets.find((o) => !o.domain || o.domain === 'ai.onnx');
  // IR 3 models may omit the default opset import; ONNX then means opset 1, which nobody exports: ask for 7+.
  const opset = defaultOpset ? toNumber(defaultOpset.version ?? 0) : OPSETS.min;
  if (opset < OPSETS.min || opset > OPSETS.max) {
    fail('BNNC_E004', `default-domain opset ${opset}; bnnc supports opsets ${OPSETS.min} to ${OPSETS.max}`);
  }

  const g = model.graph;
  const tload = { modelDir: opts.modelDir, maxTensorBytes };
  const initializers = new Map<string, Tensor>();
  for (const t of g.initializer ?? []) {
    const name = t.name ?? '';
    if (initializers.has(name)) fail('BNNC_E013', 'two initializers have this name', { tensor: name });
    initializers.set(name, tensorFromProto(t, tload));
  }

  const types = new Map<string, TensorType>();
  const inputs: ValueInfo[] = [];
  for (const vi of g.input ?? []) {
    const name = vi.name ?? '';
    if (initializers.has(name)) continue; // IR <= 6 lists initializers as inputs too
    const type = inputType(vi, opts.inputShapes?.get(name), maxTensorBytes);
    inputs.push({ name, type });
    types.set(name, type);
  }
  for (const name of opts.inputShapes?.keys() ?? []) {
    if (!inputs.some((i) => i.name === name)) {
      fail('BNNC_E015', `--input-shape names '${name}', which is not a graph input (inputs: ${inputs.map((i) => i.name).join(', ')})`);
    }
  }
  for (const [name, t] of initializers) types.set(name, { dtype: t.dtype, shape: t.shape });

  const functions = new Map<string, FunctionProto>();
  for (const f of model.functions ?? []) functions.set(`${f.domain ?? ''}::${f.name ?? ''}`, f);

  const rawNodes: Node[] = [];
  const unique = new NameSource();
  const expand = (n: NodeProto, depth: number, rename: (s: string) => string, attrRefs: Map<string, AttributeProto>) => {
    const fn = functions.get(`${n.domain ?? ''}::${n.opType ?? ''}`);
    if (fn && !lookupOp(mapDomain(n.domain ?? '', n.opType ?? ''), n.opType ?? '')) {
      if (depth > 32) fail('BNNC_E012', `local function '${fn.name}' calls itself`, { node: n.name ?? '' });
      inlineFunction(fn, n, depth, rename, attrRefs, unique, expand);
      return;
    }
    const name = n.name ? rename(n.name) : '';
    const attrs = new Map<string, AttributeProto>();
    for (const a of n.attribute ?? []) {
      if (a.refAttrName) {
        const ref = attrRefs.get(a.refAttrName);
        if (ref) attrs.set(a.name ?? '', { ...ref, name: a.name });
      } else attrs.set(a.name ?? '', a);
    }
    rawNodes.push({
      name,
      op: n.opType ?? '',
      domain: mapDomain(n.domain ?? '', n.opType ?? ''),
      inputs: (n.input ?? []).map((s) => (s === '' ? '' : rename(s))),
      outputs: (n.output ?? []).map((s) => (s === '' ? '' : rename(s))),
      attrs: Object.fromEntries([...attrs].map(([k, a]) => [k, rawAttr(a, tload, { node: n.name ?? '', op: n.opType ?? '' })])),
    });
  };
  for (const n of g.node ?? []) expand(n, 0, (s) => s, new Map());

  // Name unnamed nodes after their op and position, so every diagnostic can point at one.
  const named = rawNodes.map((n, i) => (n.name ? n : { ...n, name: `${n.op}_${i}` }));
  for (const n of named) unique.reserve(n.name);

  // Constant nodes become initializers; other nodes are checked against the registry.
  const nodes: Node[] = [];
  const unsupported = new Map<string, string[]>();
  for (const n of named) {
    if (n.op === 'Constant' && n.domain === '') {
      const out = n.outputs[0];
      initializers.set(out, constantValue(n));
      types.set(out, { dtype: initializers.get(out)!.dtype, shape: initializers.get(out)!.shape });
      continue;
    }
    const def = lookupOp(n.domain, n.op);
    if (!def) {
      const key = n.domain === '' ? n.op : `${n.domain}.${n.op}`;
      unsupported.set(key, [...(unsupported.get(key) ?? []), n.name]);
      continue;
    }
    nodes.push({ ...n, attrs: resolveAttrs(def, n) });
  }
  if (unsupported.size > 0) {
    const list = [...unsupported].map(([op, ns]) => `${op} (${ns.length} node${ns.length > 1 ? 's' : ''}: ${ns.slice(0, 3).join(', ')}${ns.length > 3 ? ', …' : ''})`);
    fail('BNNC_E005', `the model uses ${unsupported.size} operator${unsupported.size > 1 ? 's' : ''} bnnc does not support: ${list.join('; ')}`);
  }

  const outputs = (g.output ?? []).map((o) => o.name ?? '');
  return {
    name: g.name ?? 'model',
    inputs,
    outputs,
    nodes: sortTopologically(nodes, new Set([...inputs.map((i) => i.name), ...initializers.keys()]), outputs),
    initializers,
    types,
    opset,
  };
}

/** Maps an ONNX (domain, op) to the IR domain: '' for standard ops, 'qonnx' for QONNX/FINN/Brevitas ones. */
export function mapDomain(domain: string, op: string): string {
  if (domain === '' || domain === 'ai.onnx') return QONNX_OPS.has(op) && !lookupOp('', op) ? 'qonnx' : '';
  if ((QONNX_DOMAINS as readonly string[]).includes(domain)) return 'qonnx';
  return domain;
}

function inputType(vi: ValueInfoProto, given: readonly number[] | undefined, maxBytes: number): TensorType {
  const name = vi.name ?? '';
  const tt = vi.type?.tensorType;
  if (!tt) fail('BNNC_E010', 'graph input is not a tensor', { tensor: name });
  const dtype = dtypeOfElem(tt.elemType ?? 0, { tensor: name });
  const dims = tt.shape?.dim ?? [];
  dims.forEach((d, i) => {
    // proto3-style decoding: only a dimension whose `value` oneof says dimValue was written as a number
    if ((d as { value?: string }).value === 'dimValue' && toNumber(d.dimValue ?? 0) <= 0) {
      fail('BNNC_E015', `dimension ${i} is declared as ${toNumber(d.dimValue ?? 0)}; a model input needs positive dimensions`, { tensor: name });
    }
  });
  let shape: number[];
  if (given) {
    if (dims.length > 0 && given.length !== dims.length) {
      fail('BNNC_E015', `--input-shape gives rank ${given.length}; the model declares rank ${dims.length}`, { tensor: name });
    }
    dims.forEach((d, i) => {
      if (d.dimValue != null && toNumber(d.dimValue) > 0 && toNumber(d.dimValue) !== given[i]) {
        fail('BNNC_E015', `--input-shape ${shapeText(given)} disagrees with the model's fixed dimension ${i} = ${toNumber(d.dimValue)}`, { tensor: name });
      }
    });
    shape = [...given];
  } else {
    // a symbolic or unknown dimension (a batch dimension, typically) is set to 1
    shape = dims.map((d) => (d.dimValue != null && toNumber(d.dimValue) > 0 ? toNumber(d.dimValue) : 1));
  }
  checkDims(shape, dtype, maxBytes, { tensor: name });
  if (shape.some((d) => d === 0)) fail('BNNC_E015', `input shape ${shapeText(shape)} has a zero dimension`, { tensor: name });
  return { dtype, shape };
}

type RawAttr = AttrValue;

function rawAttr(a: AttributeProto, tload: { modelDir?: string; maxTensorBytes: number }, where: Where): RawAttr {
  const w = { ...where, tensor: undefined };
  switch (a.type) {
    case ATTR.FLOAT: return a.f ?? 0;
    case ATTR.INT: return toNumber(a.i ?? 0);
    case ATTR.STRING: return new TextDecoder().decode(a.s ?? new Uint8Array());
    case ATTR.TENSOR: return tensorFromProto(a.t ?? {}, tload);
    case ATTR.FLOATS: return [...(a.floats ?? [])];
    case ATTR.INTS: return (a.ints ?? []).map(toNumber);
    case ATTR.STRINGS: return (a.strings ?? []).map((s) => new TextDecoder().decode(s));
    case ATTR.UNDEFINED:
    case undefined:
    case null: {
      // Some old exporters leave `type` unset; infer it from the field present.
      if (a.ints && a.ints.length) return a.ints.map(toNumber);
      if (a.floats && a.floats.length) return [...a.floats];
      if (a.t) return tensorFromProto(a.t, tload);
      if (a.s && a.s.length) return new TextDecoder().decode(a.s);
      if (a.i != null && toNumber(a.i) !== 0) return toNumber(a.i);
      return a.f ?? 0;
    }
    default:
      fail('BNNC_E017', `attribute '${a.name}' is a graph or sparse/type attribute (type ${a.type}); bnnc supports tensors, numbers and strings`, w);
  }
}

/** Fills defaults, checks required attributes and kinds; unknown attributes are dropped. */
export function resolveAttrs(def: OpDef, n: Node): Attrs {
  const out: Record<string, AttrValue> = {};
  const where = { node: n.name, op: n.op };
  for (const [key, spec] of Object.entries(def.attrs)) {
    const v = n.attrs[key];
    if (v === undefined) {
      if (spec.required) fail('BNNC_E006', `attribute '${key}' (${spec.kind}) is required`, where);
      if (spec.default !== undefined) out[key] = spec.default;
      continue;
    }
    out[key] = coerceAttr(key, v, spec, where);
  }
  return out;
}

function coerceAttr(key: string, v: AttrValue, spec: AttrSpec, where: Where): AttrValue {
  const bad = (what: string): never => fail('BNNC_E006', `attribute '${key}' should be ${spec.kind}, found ${what}`, where);
  const isTensor = (x: AttrValue): x is Tensor => typeof x === 'object' && !Array.isArray(x) && 'data' in (x as object);
  switch (spec.kind) {
    case 'int': case 'float':
      if (typeof v === 'number') return v;
      return bad(typeof v === 'string' ? 'a string' : 'a list or tensor');
    case 'string':
      if (typeof v === 'string') return v;
      return bad('a non-string');
    case 'ints': case 'floats':
      if (Array.isArray(v) && v.every((x) => typeof x === 'number')) return v;
      if (typeof v === 'number') return [v];
      return bad('a non-numeric value');
    case 'strings':
      if (Array.isArray(v)) return v;
      return bad('a non-list');
    case 'tensor':
      if (isTensor(v)) return v;
      return bad('a non-tensor');
  }
}

function constantValue(n: Node): Tensor {
  const where = { node: n.name, op: n.op };
  const a = n.attrs;
  if (a.value !== undefined && typeof a.value === 'object' && !Array.isArray(a.value)) return a.value as Tensor;
  if (typeof a.value_float === 'number') return tensor('float32', [], [a.value_float]);
  if (typeof a.value_int === 'number') return tensor('int64', [], [a.value_int]);
  if (Array.isArray(a.value_floats)) return tensor('float32', [a.value_floats.length], a.value_floats as number[]);
  if (Array.isArray(a.value_ints)) return tensor('int64', [a.value_ints.length], a.value_ints as number[]);
  return fail('BNNC_E006', "Constant needs one of 'value', 'value_float(s)' or 'value_int(s)' (string and sparse constants are not supported)", where);
}

class NameSource {
  private readonly used = new Set<string>();
  private counter = 0;
  reserve(name: string): void {
    this.used.add(name);
  }
  fresh(base: string): string {
    let s: string;
    do s = `${base}__${this.counter++}`; while (this.used.has(s));
    this.used.add(s);
    return s;
  }
}

function inlineFunction(
  fn: FunctionProto,
  call: NodeProto,
  depth: number,
  outerRename: (s: string) => string,
  outerAttrRefs: Map<string, AttributeProto>,
  names: NameSource,
  expand: (n: NodeProto, depth: number, rename: (s: string) => string, attrRefs: Map<string, AttributeProto>) => void,
): void {
  const callName = call.name || fn.name || 'fn';
  const map = new Map<string, string>();
  (fn.input ?? []).forEach((s, i) => map.set(s, outerRename(call.input?.[i] ?? '')));
  (fn.output ?? []).forEach((s, i) => map.set(s, outerRename(call.output?.[i] ?? '')));
  const rename = (s: string) => {
    if (s === '') return '';
    let r = map.get(s);
    if (r === undefined) {
      r = names.fresh(`${callName}/${s}`);
      map.set(s, r);
    }
    return r;
  };
  const attrRefs = new Map<string, AttributeProto>();
  for (const a of call.attribute ?? []) {
    if (a.refAttrName) {
      const ref = outerAttrRefs.get(a.refAttrName);
      if (ref) attrRefs.set(a.name ?? '', ref);
    } else attrRefs.set(a.name ?? '', a);
  }
  for (const n of fn.node ?? []) {
    expand({ ...n, name: `${callName}/${n.name || n.opType}` }, depth + 1, rename, attrRefs);
  }
}

/** Kahn's algorithm, stable in the file's order; dangling names, duplicate outputs and cycles are errors. */
export function sortTopologically(nodes: readonly Node[], available: ReadonlySet<string>, outputs: readonly string[]): Node[] {
  const producer = new Map<string, number>();
  nodes.forEach((n, i) => {
    for (const o of n.outputs) {
      if (o === '') continue;
      if (producer.has(o) || available.has(o)) {
        fail('BNNC_E013', `output '${o}' is also produced by ${producer.has(o) ? `node '${nodes[producer.get(o)!].name}'` : 'a graph input or initializer'}`, { node: n.name, op: n.op, tensor: o });
      }
      producer.set(o, i);
    }
  });
  const waiting = new Array<number>(nodes.length).fill(0);
  const users = new Map<number, number[]>();
  nodes.forEach((n, i) => {
    for (const name of new Set(n.inputs)) {
      if (name === '' || available.has(name)) continue;
      const p = producer.get(name);
      if (p === undefined) fail('BNNC_E008', `input '${name}' is not produced by any node, input or initializer`, { node: n.name, op: n.op, tensor: name });
      waiting[i]++;
      users.set(p, [...(users.get(p) ?? []), i]);
    }
  });
  const ready: number[] = [];
  waiting.forEach((w, i) => { if (w === 0) ready.push(i); });
  const order: Node[] = [];
  // a min-heap would do; graphs here are small and the scan keeps the file's order stable
  while (ready.length) {
    ready.sort((a, b) => a - b);
    const i = ready.shift()!;
    order.push(nodes[i]);
    for (const u of users.get(i) ?? []) if (--waiting[u] === 0) ready.push(u);
  }
  if (order.length !== nodes.length) {
    const stuck = nodes.filter((_, i) => waiting[i] > 0).map((n) => n.name);
    fail('BNNC_E012', `nodes ${stuck.slice(0, 5).join(', ')}${stuck.length > 5 ? ', …' : ''} depend on each other`, { node: stuck[0] });
  }
  for (const o of outputs) {
    if (!producer.has(o) && !available.has(o)) fail('BNNC_E008', 'graph output is not produced by any node', { tensor: o });
  }
  return order;
}

export type { DType, CompileError };
