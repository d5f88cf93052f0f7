// Shared by the op tests: single-node models, bit-exact comparison with onnxruntime that also tells +0
// from -0 (the shared ULP helper counts them equal), worst-ULP measurement, and edge-value seeding.
import { expect } from 'vitest';
import { CompileError } from '../../src/errors.js';
import { tensor } from '../../src/ir/tensor.js';
import type { AttrValue, DType, Tensor } from '../../src/ir/types.js';
import { BNNC_OPS } from '../../src/ops/bnnc/index.js';
import type { OpContext, OpDef } from '../../src/ops/types.js';
import { type AttrIn, buildModel, expectTensorClose, type ModelIn, runBnnc, runOrt, ulpDistance32 } from '../helpers/onnx-build.js';

export interface SingleOpts {
  /** Node inputs in order ('' for an omitted optional one); default: feeds then initializers. */
  inputs?: string[];
  attrs?: Record<string, AttrIn>;
  opset?: number;
  initializers?: Record<string, Tensor>;
}

/** A model of one node whose graph inputs are `feeds` and whose outputs are named with their types. */
export function single(op: string, feeds: Record<string, Tensor>, outputs: Record<string, DType>, o: SingleOpts = {}): ModelIn {
  return {
    inputs: Object.entries(feeds).map(([name, t]) => ({ name, dtype: t.dtype, shape: [...t.shape] })),
    outputs: Object.entries(outputs).map(([name, dtype]) => ({ name, dtype })),
    nodes: [{ op, inputs: o.inputs ?? [...Object.keys(feeds), ...Object.keys(o.initializers ?? {})], outputs: Object.keys(outputs), attrs: o.attrs }],
    initializers: o.initializers,
    opset: o.opset ?? 13,
  };
}

export async function both(m: ModelIn, feeds: Record<string, Tensor>): Promise<{ ort: Record<string, Tensor>; bnnc: Record<string, Tensor> }> {
  const bytes = buildModel(m);
  return { ort: await runOrt(bytes, feeds), bnnc: runBnnc(bytes, feeds) };
}

/** Every output bit-identical to onnxruntime's (NaN payloads aside), signed zeros included. */
export async function expectExact(m: ModelIn, feeds: Record<string, Tensor>): Promise<Record<string, Tensor>> {
  const { ort, bnnc } = await both(m, feeds);
  for (const o of m.outputs) {
    expectTensorClose(bnnc[o.name], ort[o.name], { label: o.name });
    const negZeros = (t: Tensor) => Array.from(t.data, (v, i) => (Object.is(v, -0) ? i : -1)).filter((i) => i >= 0);
    expect(negZeros(bnnc[o.name]), `${o.name}: positions of -0`).toEqual(negZeros(ort[o.name]));
  }
  return bnnc;
}

/** Largest float32 ULP distance between the two outputs (for stating bounds). */
export function worstUlps(a: Tensor, b: Tensor): number {
  let w = 0;
  for (let i = 0; i < a.data.length; i++) w = Math.max(w, ulpDistance32(a.data[i], b.data[i]));
  return w;
}

/** Largest float64 ULP distance (ordered bit patterns; NaN equal to NaN). */
export function worstUlps64(a: Tensor, b: Tensor): number {
  const ordered = (v: number) => {
    const bits = new BigInt64Array(new Float64Array([v]).buffer)[0];
    return bits < 0n ? -(bits & 0x7fffffffffffffffn) : bits;
  };
  let w = 0n;
  for (let i = 0; i < a.data.length; i++) {
    const x = a.data[i], y = b.data[i];
    if (Number.isNaN(x) && Number.isNaN(y)) continue;
    if (Number.isNaN(x) || Number.isNaN(y)) return Infinity;
    const d = ordered(x) - ordered(y);
    if ((d < 0n ? -d : d) > w) w = d < 0n ? -d : d;
  }
  return Number(w);
}

/** A copy of `t` with `edges` written at evenly spread positions (so each lands in a different row). */
export function withEdges(t: Tensor, edges: readonly number[]): Tensor {
  const out = tensor(t.dtype, t.shape, t.data);
  const step = Math.max(1, Math.floor(t.data.length / edges.length));
  edges.forEach((v, i) => { out.data[(i * step) % out.data.length] = v; });
  return out;
}

export const FLOAT_EDGES = [0, -0, NaN, Infinity, -Infinity, 1e-45, -3e-39, 3.4e38, -1, 1] as const;

/** A lowered (domain 'bnnc') op by name. */
export const bnncOp = (name: string): OpDef => BNNC_OPS.find((d) => d.op === name)!;

/** The context of a one-node graph of bnnc op `name` reading in0 … in<nIn−1>. */
export function bnncCtx(name: string, attrs: Record<string, AttrValue>, nIn: number): OpContext {
  const node = { name: `${name}_test`, op: name, domain: 'bnnc', inputs: Array.from({ length: nIn }, (_, i) => `in${i}`), outputs: ['out'], attrs };
  return { node, attrs, opset: 13 };
}

/** Runs a bnnc op's infer (with all inputs constant) and eval; checks they agree on the output type. */
export function runBnncOp(name: string, attrs: Record<string, AttrValue>, inputs: Tensor[]): Tensor {
  const def = bnncOp(name), ctx = bnncCtx(name, attrs, inputs.length);
  const [t] = def.infer(ctx, inputs, inputs);
  const [y] = def.eval(ctx, inputs);
  expect(y.dtype).toBe(t.dtype);
  expect([...y.shape]).toEqual([...t.shape]);
  return y;
}

/** The code of the CompileError `f` throws, or what happened instead. */
export function errorCode(f: () => unknown): string {
  try { f(); } catch (e) { return e instanceof CompileError ? e.code : `not a CompileError: ${e}`; }
  return 'no error';
}
