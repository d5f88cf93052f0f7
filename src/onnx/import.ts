// ModelProto → IR graph. Checks versions, reads initializers and Constant nodes, inlines local functions,
// maps custom domains, resolves attributes against each op's schema, fixes symbolic dimensions, and sorts
// the nodes topologically; every problem becomes a diagnostic naming the node or tensor. Bad bytes and
// bad structure raise CompileError only: every field of the decoded message is treated as optional.
import { fail, CompileError, type Where } from '../errors.js';
import { shapeText, tensor } from '../ir/tensor.js';
import type { AttrValue, Attrs, DType, Graph, Node, Tensor, TensorType, ValueInfo } from '../ir/types.js';
import { lookupOp } from '../ops/index.js';
import type { AttrSpec, OpDef } from '../ops/types.js';
import {
  ATTR, type AttributeProto, decodeModel, type FunctionProto, type ModelProto, type NodeProto, toNumber, type ValueInfoProto,
} from './proto.js';
import { checkFiniteOperands } from '../ops/finite.js';
import { expandedSize, inlineFunction, MAX_NODES, NameSource } from './functions.js';
import { sortTopologically } from './toposort.js';
import { checkDims, DEFAULT_MAX_TENSOR_BYTES, dtypeOfElem, tensorFromProto } from './tensor-proto.js';

export const IR_VERSIONS = { min: 3, max: 10 } as const;
export const OPSETS = { min: 7, max: 21 } as const;
export { DEFAULT_MAX_TENSOR_BYTES };
export { MAX_NODES, sortTopologically };

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
    fail('BNNC_E002', `protobuf decoding failed: ${(e as Error).message}; expected an ONNX ModelProto (is the file truncated, or another message such as a TensorProto or GraphProto?)`);
  }
  return importModel(model, opts);
}

export function importModel(model: ModelProto, opts: ImportOptions = {}): Graph {
  const maxTensorBytes = opts.maxTensorBytes ?? DEFAULT_MAX_TENSOR_BYTES;
  const ir = toNumber(model.irVersion ?? 0);
  if (!model.graph) fail('BNNC_E002', 'the model has no graph (ModelProto field 7); expected an ONNX ModelProto, not another message such as a TensorProto');
  if (ir < IR_VERSIONS.min || ir > IR_VERSIONS.max) {
    fail('BNNC_E003', `IR version ${ir}; bnnc reads IR versions ${IR_VERSIONS.min} to ${IR_VERSIONS.max}`);
  }
  const opsets = model.opsetImport ?? [];
  const defaults = opsets.filter((o) => !o.domain || o.domain === 'ai.onnx').map((o) => toNumber(o.version ?? 0));
  if (new Set(defaults).size > 1) fail('BNNC_E004', `the default domain is imported at several opsets (${defaults.join(', ')})`);
  // Without a default-domain import ONNX means opset 1, which nobody exports (a file cut short at a field
  // boundary looks like this too); a model whose nodes are all custom-domain ops needs none.
  const usesDefault = (model.graph.node ?? []).some((n) => !n.domain || n.domain === 'ai.onnx');
  if (defaults.length === 0 && usesDefault) {
    fail('BNNC_E004', `the model imports no default-domain opset (opset_import); bnnc supports opsets ${OPSETS.min} to ${OPSETS.max}`);
  }
  const opset = defaults.length ? defaults[0] : OPSETS.min;
  if (opset < OPSETS.min || opset > OPSETS.max) {
    fail('BNNC_E004', `default-domain opset ${opset}; bnnc supports opsets ${OPSETS.min} to ${OPSETS.max}`);
  }

  const g = model.graph;
  const tload = { modelDir: opts.modelDir, maxTensorBytes };
  const initializers = new Map<string, Tensor>();
  (g.initializer ?? []).forEach((t, i) => {
    const name = t.name ?? '';
    if (name === '') fail('BNNC_E002', `initializer #${i} has no name`, { tensor: `#${i}` });
    if (initializers.has(name)) fail('BNNC_E013', 'two initializers have this name', { tensor: name });
    initializers.set(name, tensorFromProto(t, tload));
  });
  if ((g.sparseInitializer ?? []).length > 0) {
    fail('BNNC_E010', 'sparse initializers are not supported', { tensor: g.sparseInitializer?.[0]?.values?.name ?? '' });
  }

  const types = new Map<string, TensorType>();
  const inputs: ValueInfo[] = [];
  const inputNames = new Set<string>();
  for (const [i, vi] of (g.input ?? []).entries()) {
    const name = vi.name ?? '';
    if (name === '') fail('BNNC_E002', `graph input #${i} has no name`, { tensor: `#${i}` });
    if (inputNames.has(name)) fail('BNNC_E013', 'two graph inputs have this name', { tensor: name });
    inputNames.add(name);
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
  const callee = (n: NodeProto): FunctionProto | undefined => {
    const fn = functions.get(`${n.domain ?? ''}::${n.opType ?? ''}`);
    return fn && !lookupOp(mapDomain(n.domain ?? '', n.opType ?? ''), n.opType ?? '') ? fn : undefined;
  };
  const total = expandedSize(g.node ?? [], callee);
  if (total > MAX_NODES) fail('BNNC_E023', `the graph has more than ${MAX_NODES} nodes once local functions are inlined`);

  const rawNodes: Node[] = [];
  const unique = new NameSource();
  if (functions.size > 0) {
    // inlined functions get fresh tensor names: keep them clear of the graph's own names
    for (const n of g.node ?? []) for (const s of [...(n.input ?? []), ...(n.output ?? []), n.name ?? '']) unique.reserve(s);
    for (const s of [...initializers.keys(), ...inputNames]) unique.reserve(s);
  }
  // attributes of a kind bnnc cannot represent (graphs, sparse tensors, types), by node: an error only if
  // the op's schema reads them (an If node's branches must not hide that If is unsupported)
  const exotic = new Map<Node, Map<string, number>>();
  const expand = (n: NodeProto, rename: (s: string) => string, attrRefs: Map<string, AttributeProto>) => {
    const op = n.opType ?? '';
    // unnamed nodes are named after their op and position, so every diagnostic can point at one
    const name = n.name || `${op}_${rawNodes.length}`;
    const at = { node: name, op };
    if (op === '') fail('BNNC_E002', 'a node has no op_type', at);
    const fn = callee(n);
    if (fn) {
      inlineFunction(fn, n, rename, attrRefs, unique, expand);
      return;
    }
    const attrs = new Map<string, AttributeProto>();
    for (const a of n.attribute ?? []) {
      if (a.refAttrName) {
        const ref = attrRefs.get(a.refAttrName);
        if (ref) attrs.set(a.name ?? '', { ...ref, name: a.name });
      } else attrs.set(a.name ?? '', a);
    }
    const values: Record<string, AttrValue> = {};
    const odd = new Map<string, number>();
    for (const [k, a] of attrs) {
      if (k === '') continue;
      const v = rawAttr(a, tload, at);
      if (typeof v === 'object' && 'unsupported' in v) odd.set(k, v.unsupported);
      else values[k] = v;
    }
    const node: Node = {
      name,
      op,
      domain: mapDomain(n.domain ?? '', op),
      inputs: (n.input ?? []).map((s) => (s === '' ? '' : rename(s))),
      outputs: (n.output ?? []).map((s) => (s === '' ? '' : rename(s))),
      attrs: values,
    };
    rawNodes.push(node);
    if (odd.size) exotic.set(node, odd);
  };
  for (const n of g.node ?? []) expand(n, (s) => s, new Map());

  // Constant nodes become initializers; other nodes are checked against the registry.
  const nodes: Node[] = [];
  const unsupported = new Map<string, string[]>();
  for (const n of rawNodes) {
    const odd = exotic.get(n);
    if (n.op === 'Constant' && n.domain === '') {
      const where = { node: n.name, op: n.op };
      if (n.outputs.length !== 1 || n.outputs[0] === '') fail('BNNC_E007', `has ${n.outputs.length} outputs; Constant gives exactly one (named)`, where);
      if (odd?.size) fail('BNNC_E017', `attribute '${[...odd.keys()][0]}' is a sparse or graph value; bnnc reads dense constants only`, where);
      const out = n.outputs[0];
      if (initializers.has(out) || inputNames.has(out)) fail('BNNC_E013', 'Constant output is also a graph input, an initializer or another Constant\'s output', { ...where, tensor: out });
      const value = constantValue(n, tload.maxTensorBytes);
      initializers.set(out, value);
      types.set(out, { dtype: value.dtype, shape: value.shape });
      continue;
    }
    const def = lookupOp(n.domain, n.op);
    if (!def) {
      const key = n.domain === '' ? n.op : `${n.domain}.${n.op}`;
      const list = unsupported.get(key) ?? [];
      list.push(n.name);
      unsupported.set(key, list);
      continue;
    }
    const omitted = n.outputs.slice(0, def.outputs.min).findIndex((o) => o === '');
    if (omitted >= 0) fail('BNNC_E007', `output ${omitted} has an empty name; ${n.op} always gives it (only optional outputs may be omitted)`, { node: n.name, op: n.op });
    for (const [k, type] of odd ?? []) {
      if (k in def.attrs) fail('BNNC_E017', `attribute '${k}' is a graph, sparse-tensor or type attribute (type ${type}); expected ${def.attrs[k].kind}`, { node: n.name, op: n.op });
    }
    nodes.push({ ...n, attrs: resolveAttrs(def, n) });
  }
  if (unsupported.size > 0) {
    const list = [...unsupported].map(([op, ns]) => `${op} (${ns.length} node${ns.length > 1 ? 's' : ''}: ${ns.slice(0, 3).join(', ')}${ns.length > 3 ? ', …' : ''})`);
    fail('BNNC_E005', `the model uses ${unsupported.size} operator${unsupported.size > 1 ? 's' : ''} bnnc does not support: ${list.join('; ')}`);
  }

  const outputs = (g.output ?? []).map((o, i) => {
    if (!o.name) fail('BNNC_E002', `graph output #${i} has no name`, { tensor: `#${i}` });
    return o.name;
  });
  if (outputs.length === 0) fail('BNNC_E002', 'the graph declares no outputs');
  const listed = new Set<string>();
  for (const o of outputs) {
    if (listed.has(o)) fail('BNNC_E013', 'the graph lists this output twice', { tensor: o });
    listed.add(o);
  }

  const sorted = sortTopologically(nodes, new Set([...inputs.map((i) => i.name), ...initializers.keys()]), outputs);
  for (const n of sorted) checkFiniteOperands(n, (s) => initializers.get(s));
  return { name: g.name || 'model', inputs, outputs, nodes: sorted, initializers, types, opset };
}

/** Maps an ONNX (domain, op) to the IR domain: '' for standard ops, 'qonnx' for QONNX/FINN/Brevitas ones. */
export function mapDomain(domain: string, op: string): string {
  if (domain === '' || domain === 'ai.onnx') return QONNX_OPS.has(op) && !lookupOp('', op) ? 'qonnx' : '';
  if ((QONNX_DOMAINS as readonly string[]).includes(domain)) return 'qonnx';
  return domain;
}

/** A dimension's fixed size, or undefined for a symbolic or unknown one (proto3-style oneof `value`). */
function fixedDim(d: { dimValue?: unknown; dimParam?: string | null }): number | undefined {
  const which = (d as { value?: string }).value;
  if (which === 'dimParam') return undefined;
  if (which === 'dimValue' || (which === undefined && Object.hasOwn(d, 'dimValue') && d.dimValue != null)) return toNumber(d.dimValue);
  return undefined;
}

function inputType(vi: ValueInfoProto, given: readonly number[] | undefined, maxBytes: number): TensorType {
  const name = vi.name ?? '';
  const tt = vi.type?.tensorType;
  if (!tt) fail('BNNC_E010', 'graph input is not a tensor (no tensor_type)', { tensor: name });
  const dtype = dtypeOfElem(tt.elemType ?? 0, { tensor: name });
  if (!tt.shape && !given) fail('BNNC_E015', 'the model does not declare the rank of this input; give its shape (--input-shape)', { tensor: name });
  const fixed = (tt.shape?.dim ?? []).map(fixedDim);
  fixed.forEach((d, i) => {
    if (d !== undefined && !(d > 0)) fail('BNNC_E015', `dimension ${i} is declared as ${d}; a model input needs positive dimensions`, { tensor: name });
  });
  let shape: number[];
  if (given) {
    if (tt.shape && given.length !== fixed.length) {
      fail('BNNC_E015', `--input-shape gives rank ${given.length}; the model declares rank ${fixed.length}`, { tensor: name });
    }
    fixed.forEach((d, i) => {
      if (d !== undefined && d !== given[i]) {
        fail('BNNC_E015', `--input-shape ${shapeText(given)} disagrees with the model's fixed dimension ${i} = ${d}`, { tensor: name });
      }
    });
    shape = [...given];
  } else {
    // a symbolic or unknown dimension (a batch dimension, typically) is set to 1
    shape = fixed.map((d) => d ?? 1);
  }
  if (shape.some((d) => d === 0)) fail('BNNC_E015', `input shape ${shapeText(shape)} has a zero dimension`, { tensor: name });
  checkDims(shape, dtype, maxBytes, { tensor: name });
  return { dtype, shape };
}

/** An attribute's value; graph, sparse-tensor and type attributes become a marker with their type. */
type RawAttr = AttrValue | { readonly unsupported: number };

const decodeText = (b: Uint8Array | null | undefined): string => new TextDecoder().decode(b ?? new Uint8Array());

function rawAttr(a: AttributeProto, tload: { modelDir?: string; maxTensorBytes: number }, where: Where): RawAttr {
  const name = a.name ?? '';
  const tensorAttr = (t: AttributeProto['t']): Tensor => {
    if (!t) return fail('BNNC_E006', `attribute '${name}' is of type TENSOR but holds no tensor`, where);
    return tensorFromProto(t, tload, { ...where, tensor: t.name || `attribute '${name}'` });
  };
  switch (a.type) {
    case ATTR.FLOAT: return a.f ?? 0;
    case ATTR.INT: return toNumber(a.i ?? 0);
    case ATTR.STRING: return decodeText(a.s);
    case ATTR.TENSOR: return tensorAttr(a.t);
    case ATTR.FLOATS: return [...(a.floats ?? [])];
    case ATTR.INTS: return (a.ints ?? []).map(toNumber);
    case ATTR.STRINGS: return (a.strings ?? []).map(decodeText);
    case ATTR.UNDEFINED:
    case undefined:
    case null: {
      // Some old exporters leave `type` unset; infer it from the field present.
      if (a.ints && a.ints.length) return a.ints.map(toNumber);
      if (a.floats && a.floats.length) return [...a.floats];
      if (a.t) return tensorAttr(a.t);
      if (a.s && a.s.length) return decodeText(a.s);
      if (a.i != null && toNumber(a.i) !== 0) return toNumber(a.i);
      return a.f ?? 0;
    }
    default:
      return { unsupported: a.type };
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
  const isInt = (x: unknown): x is number => Number.isSafeInteger(x);
  const isFloat = (x: unknown): x is number => typeof x === 'number' && !Number.isNaN(x);
  switch (spec.kind) {
    case 'int':
      if (isInt(v)) return v;
      return bad(typeof v === 'number' ? `${v} (not an integer of at most 2^53)` : typeof v === 'string' ? 'a string' : 'a list or tensor');
    case 'float':
      if (isFloat(v)) return v;
      return bad(typeof v === 'number' ? 'NaN' : typeof v === 'string' ? 'a string' : 'a list or tensor');
    case 'string':
      if (typeof v === 'string') return v;
      return bad('a non-string');
    case 'ints':
      if (Array.isArray(v) && v.every(isInt)) return v;
      if (isInt(v)) return [v];
      return bad(Array.isArray(v) ? `[${v.join(',')}] (not all integers of at most 2^53)` : 'a non-numeric value');
    case 'floats':
      if (Array.isArray(v) && v.every(isFloat)) return v;
      if (isFloat(v)) return [v];
      return bad(Array.isArray(v) ? 'a list with NaN or strings' : 'a non-numeric value');
    case 'strings':
      if (Array.isArray(v) && v.every((x) => typeof x === 'string')) return v;
      if (typeof v === 'string') return [v];
      return bad('a non-list');
    case 'tensor':
      if (isTensor(v)) return v;
      return bad('a non-tensor');
  }
}

function constantValue(n: Node, maxBytes: number): Tensor {
  const where = { node: n.name, op: n.op };
  const a = n.attrs;
  const list = (v: readonly number[], dtype: 'float32' | 'int64'): Tensor => {
    checkDims([v.length], dtype, maxBytes, { ...where, tensor: n.outputs[0] });
    return tensor(dtype, [v.length], v);
  };
  if (a.value !== undefined) {
    if (typeof a.value === 'object' && !Array.isArray(a.value)) return a.value as Tensor;
    return fail('BNNC_E006', "attribute 'value' should be a tensor", where);
  }
  if (typeof a.value_float === 'number') return tensor('float32', [], [a.value_float]);
  if (typeof a.value_int === 'number') return tensor('int64', [], [a.value_int]);
  const nums = (v: AttrValue | undefined): readonly number[] | undefined =>
    (Array.isArray(v) && v.every((x) => typeof x === 'number') ? (v as readonly number[]) : undefined);
  const floats = nums(a.value_floats), ints = nums(a.value_ints);
  if (floats) return list(floats, 'float32');
  if (ints) return list(ints, 'int64');
  return fail('BNNC_E006', "Constant needs one of 'value', 'value_float(s)' or 'value_int(s)' (string and sparse constants are not supported)", where);
}

export type { DType, CompileError };
