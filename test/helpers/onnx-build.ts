// Builds small ONNX models in code (through bnnc's own proto module), runs them in onnxruntime-node, the
// independent float semantics the interpreter is checked against, and compares results in ULPs.
import * as ort from 'onnxruntime-node';
import { expect } from 'vitest';
import { ATTR, ELEM, encodeModel } from '../../src/onnx/proto.js';
import { importModelBytes } from '../../src/onnx/import.js';
import { inferAndFold } from '../../src/passes/infer-and-fold.js';
import { run } from '../../src/interp/run.js';
import { tensor } from '../../src/ir/tensor.js';
import type { DType, Graph, Tensor } from '../../src/ir/types.js';

export const DTYPE_ELEM: Record<DType, number> = {
  float32: ELEM.FLOAT, float64: ELEM.DOUBLE, int8: ELEM.INT8, uint8: ELEM.UINT8, int16: ELEM.INT16,
  uint16: ELEM.UINT16, int32: ELEM.INT32, int64: ELEM.INT64, bool: ELEM.BOOL,
};

export type AttrIn = number | string | number[] | string[] | Tensor | { float: number } | { floats: number[] };

export interface NodeIn {
  op: string;
  inputs: string[];
  outputs: string[];
  attrs?: Record<string, AttrIn>;
  domain?: string;
  name?: string;
}

export interface ModelIn {
  inputs: { name: string; dtype: DType; shape: (number | string)[] }[];
  outputs: { name: string; dtype: DType; shape?: (number | string)[] }[];
  nodes: NodeIn[];
  initializers?: Record<string, Tensor>;
  opset?: number;
  irVersion?: number;
  /** Extra opset imports, e.g. { 'qonnx.custom_op.general': 1 }. */
  domains?: Record<string, number>;
  /** List initializers as graph inputs too, as IR <= 6 exporters do. */
  initializersAsInputs?: boolean;
}

export function tensorProto(name: string, t: Tensor) {
  const raw = new Uint8Array(t.data.length * bytesPer(t.dtype));
  const view = new DataView(raw.buffer);
  t.data.forEach((v, i) => {
    switch (t.dtype) {
      case 'float32': view.setFloat32(i * 4, v, true); break;
      case 'float64': view.setFloat64(i * 8, v, true); break;
      case 'int8': view.setInt8(i, v); break;
      case 'uint8': case 'bool': view.setUint8(i, v); break;
      case 'int16': view.setInt16(i * 2, v, true); break;
      case 'uint16': view.setUint16(i * 2, v, true); break;
      case 'int32': view.setInt32(i * 4, v, true); break;
      case 'int64': view.setBigInt64(i * 8, BigInt(v), true); break;
    }
  });
  return { name, dims: [...t.shape], dataType: DTYPE_ELEM[t.dtype], rawData: raw };
}

function bytesPer(d: DType): number {
  return { float32: 4, float64: 8, int8: 1, uint8: 1, bool: 1, int16: 2, uint16: 2, int32: 4, int64: 8 }[d];
}

function attrProto(name: string, v: AttrIn) {
  if (typeof v === 'number') return Number.isInteger(v) ? { name, type: ATTR.INT, i: v } : { name, type: ATTR.FLOAT, f: v };
  if (typeof v === 'string') return { name, type: ATTR.STRING, s: new TextEncoder().encode(v) };
  if (Array.isArray(v)) {
    if (v.length > 0 && typeof v[0] === 'string') return { name, type: ATTR.STRINGS, strings: (v as string[]).map((s) => new TextEncoder().encode(s)) };
    return (v as number[]).every(Number.isInteger) ? { name, type: ATTR.INTS, ints: v as number[] } : { name, type: ATTR.FLOATS, floats: v as number[] };
  }
  if ('float' in v) return { name, type: ATTR.FLOAT, f: v.float };
  if ('floats' in v) return { name, type: ATTR.FLOATS, floats: v.floats };
  return { name, type: ATTR.TENSOR, t: tensorProto('', v) };
}

function valueInfo(name: string, dtype: DType, shape?: (number | string)[]) {
  return {
    name,
    type: {
      tensorType: {
        elemType: DTYPE_ELEM[dtype],
        shape: shape ? { dim: shape.map((d) => (typeof d === 'number' ? { dimValue: d } : { dimParam: d })) } : undefined,
      },
    },
  };
}

export function buildModel(m: ModelIn): Uint8Array {
  const inits = Object.entries(m.initializers ?? {});
  const opsets = [{ domain: '', version: m.opset ?? 13 }, ...Object.entries(m.domains ?? {}).map(([domain, version]) => ({ domain, version }))];
  return encodeModel({
    irVersion: m.irVersion ?? 7,
    producerName: 'bnnc-tests',
    opsetImport: opsets,
    graph: {
      name: 'test',
      node: m.nodes.map((n, i) => ({
        name: n.name ?? `${n.op}_${i}`,
        opType: n.op,
        domain: n.domain ?? '',
        input: n.inputs,
        output: n.outputs,
        attribute: Object.entries(n.attrs ?? {}).map(([k, v]) => attrProto(k, v)),
      })),
      input: [
        ...m.inputs.map((i) => valueInfo(i.name, i.dtype, i.shape)),
        ...(m.initializersAsInputs ? inits.map(([k, t]) => valueInfo(k, t.dtype, [...t.shape])) : []),
      ],
      output: m.outputs.map((o) => valueInfo(o.name, o.dtype, o.shape)),
      initializer: inits.map(([k, t]) => tensorProto(k, t)),
    },
  });
}

const ORT_TYPE: Partial<Record<DType, ort.Tensor.Type>> = {
  float32: 'float32', float64: 'float64', int8: 'int8', uint8: 'uint8', int16: 'int16', uint16: 'uint16',
  int32: 'int32', int64: 'int64', bool: 'bool',
};

export function toOrt(t: Tensor): ort.Tensor {
  const type = ORT_TYPE[t.dtype]!;
  const shape = [...t.shape];
  switch (t.dtype) {
    case 'int64': return new ort.Tensor('int64', BigInt64Array.from(t.data, (v) => BigInt(v)), shape);
    case 'bool': return new ort.Tensor('bool', Uint8Array.from(t.data), shape);
    default: return new ort.Tensor(type, t.data as Float32Array, shape);
  }
}

export function fromOrt(t: ort.Tensor): Tensor {
  const dtype = (Object.entries(ORT_TYPE).find(([, v]) => v === t.type)?.[0] ?? 'float32') as DType;
  const data = t.data as ArrayLike<number | bigint>;
  const values = Array.from(data, (v) => (typeof v === 'bigint' ? Number(v) : (v as number)));
  return tensor(dtype, t.dims as number[], dtype === 'bool' ? values.map((v) => (v ? 1 : 0)) : values);
}

export async function runOrt(bytes: Uint8Array, feeds: Record<string, Tensor>): Promise<Record<string, Tensor>> {
  const session = await ort.InferenceSession.create(bytes, { graphOptimizationLevel: 'disabled', intraOpNumThreads: 1 });
  try {
    const out = await session.run(Object.fromEntries(Object.entries(feeds).map(([k, v]) => [k, toOrt(v)])));
    return Object.fromEntries(Object.entries(out).map(([k, v]) => [k, fromOrt(v)]));
  } finally {
    await session.release();
  }
}

/** Import + shape inference and constant folding + interpretation, the path a user's model takes. */
export function runBnnc(bytes: Uint8Array, feeds: Record<string, Tensor>, opts: { fold?: boolean } = {}): Record<string, Tensor> {
  const g: Graph = inferAndFold(importModelBytes(bytes), { fold: opts.fold ?? true });
  return Object.fromEntries(run(g, feeds));
}

/** A small seeded PRNG (mulberry32): reproducible test data. */
export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export function randomTensor(r: () => number, dtype: DType, shape: number[], lo = -1, hi = 1): Tensor {
  const n = shape.reduce((a, b) => a * b, 1);
  const vals = Array.from({ length: n }, () => {
    const x = lo + (hi - lo) * r();
    return dtype === 'float32' || dtype === 'float64' ? x : dtype === 'bool' ? (x > (lo + hi) / 2 ? 1 : 0) : Math.round(x);
  });
  return tensor(dtype, shape, vals);
}

/** Distance in float32 units in the last place (0 when bit-identical, NaN equal to NaN). */
export function ulpDistance32(a: number, b: number): number {
  if (Number.isNaN(a) && Number.isNaN(b)) return 0;
  if (a === b) return 0;
  const buf = new DataView(new ArrayBuffer(8));
  buf.setFloat32(0, a);
  buf.setFloat32(4, b);
  const ia = buf.getInt32(0), ib = buf.getInt32(4);
  const oa = ia < 0 ? 0x80000000 - ia : ia + 0x80000000;
  const ob = ib < 0 ? 0x80000000 - ib : ib + 0x80000000;
  return Math.abs(oa - ob);
}

/**
 * Asserts same dtype and shape, then every element within `ulps` float32 ULPs (0: bit-exact), or, for
 * results that are sums of many terms, within `absTol` where the ULP bound is not meaningful near zero.
 */
export function expectTensorClose(actual: Tensor, expected: Tensor, opts: { ulps?: number; absTol?: number; label?: string } = {}): void {
  const label = opts.label ?? '';
  expect(actual.dtype, `${label} dtype`).toBe(expected.dtype);
  expect([...actual.shape], `${label} shape`).toEqual([...expected.shape]);
  const ulps = opts.ulps ?? 0;
  let worst = 0, worstAt = -1;
  for (let i = 0; i < expected.data.length; i++) {
    const a = actual.data[i], e = expected.data[i];
    if (opts.absTol !== undefined && Math.abs(a - e) <= opts.absTol) continue;
    // with no tolerance, bit-exact: −0 and +0 differ (Object.is), NaN equals NaN
    const d = ulps === 0 && opts.absTol === undefined ? (Object.is(a, e) ? 0 : Infinity)
      : actual.dtype === 'float32' ? ulpDistance32(a, e) : a === e || (Number.isNaN(a) && Number.isNaN(e)) ? 0 : Infinity;
    if (d > worst) { worst = d; worstAt = i; }
  }
  expect(worst, `${label} worst ULP distance at ${worstAt}: got ${actual.data[worstAt]}, onnxruntime ${expected.data[worstAt]}`).toBeLessThanOrEqual(ulps);
}

/** Runs one model in both, compares every output. */
export async function compareWithOrt(m: ModelIn, feeds: Record<string, Tensor>, opts: { ulps?: number; absTol?: number } = {}): Promise<void> {
  const bytes = buildModel(m);
  const expected = await runOrt(bytes, feeds);
  const actual = runBnnc(bytes, feeds);
  for (const o of m.outputs) expectTensorClose(actual[o.name], expected[o.name], { ...opts, label: o.name });
}
