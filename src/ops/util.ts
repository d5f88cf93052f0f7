// Shared building blocks for op definitions: typed attribute access, input checks that raise diagnostics
// naming the node, and the broadcasting elementwise templates most arithmetic ops are made of.
import { fail } from '../errors.js';
import { broadcastIndex, broadcastShapes, rounderFor, shapeText, sizeOf, tensor } from '../ir/tensor.js';
import type { DType, Tensor, TensorType } from '../ir/types.js';
import type { AttrSpec, OpContext, OpDef } from './types.js';

export function where(ctx: OpContext, tensorName?: string) {
  return { node: ctx.node.name, op: ctx.node.op, tensor: tensorName };
}

export function attrInt(ctx: OpContext, name: string): number {
  return ctx.attrs[name] as number;
}
export function attrFloat(ctx: OpContext, name: string): number {
  return ctx.attrs[name] as number;
}
export function attrInts(ctx: OpContext, name: string): readonly number[] | undefined {
  return ctx.attrs[name] as readonly number[] | undefined;
}
export function attrString(ctx: OpContext, name: string): string {
  return ctx.attrs[name] as string;
}

/** The i-th input, which must be present (the registry checks counts; this checks '' placeholders). */
export function need<T>(ctx: OpContext, inputs: readonly (T | undefined)[], i: number): T {
  const v = inputs[i];
  if (v === undefined) fail('BNNC_E007', `input ${i} is required`, where(ctx, ctx.node.inputs[i]));
  return v;
}

/** The value of a constant input (shape operands), or a diagnostic saying it must be constant. */
export function needConst(ctx: OpContext, consts: readonly (Tensor | undefined)[], i: number): Tensor {
  const v = consts[i];
  if (v === undefined) {
    fail('BNNC_E021', `input ${i} must be a constant (computed from initializers only) so that shapes are static`,
      where(ctx, ctx.node.inputs[i]));
  }
  return v;
}

export function expectDType(ctx: OpContext, t: TensorType, i: number, allowed: readonly DType[]): void {
  if (!allowed.includes(t.dtype)) {
    fail('BNNC_E010', `input ${i} has element type ${t.dtype}; expected one of ${allowed.join(', ')}`,
      where(ctx, ctx.node.inputs[i]));
  }
}

export function expectRank(ctx: OpContext, t: TensorType, i: number, rank: number | readonly number[]): void {
  const ok = typeof rank === 'number' ? t.shape.length === rank : rank.includes(t.shape.length);
  if (!ok) {
    fail('BNNC_E009', `input ${i} has shape ${shapeText(t.shape)}; expected rank ${rank}`,
      where(ctx, ctx.node.inputs[i]));
  }
}

export function broadcastOrFail(ctx: OpContext, types: readonly TensorType[]): number[] {
  let shape: number[] = [...types[0].shape];
  for (let i = 1; i < types.length; i++) {
    const s = broadcastShapes(shape, types[i].shape);
    if (!s) {
      fail('BNNC_E009', `shapes ${types.map((t) => shapeText(t.shape)).join(' and ')} do not broadcast`,
        where(ctx, ctx.node.inputs[i]));
    }
    shape = s;
  }
  return shape;
}

export const FLOATS: readonly DType[] = ['float32', 'float64'];
export const NUMERIC: readonly DType[] = ['float32', 'float64', 'int8', 'uint8', 'int16', 'uint16', 'int32', 'int64'];

/**
 * A broadcasting elementwise binary op. `fn` computes the exact double result of one element; it is then
 * rounded to the element type (Math.fround for float32), which is exactly one IEEE single operation for
 * +, -, *, / and sqrt.
 */
export function binaryOp(
  op: string,
  fn: (a: number, b: number, dtype: DType) => number,
  opts: { dtypes?: readonly DType[]; outDType?: DType; attrs?: Record<string, AttrSpec> } = {},
): OpDef {
  const dtypes = opts.dtypes ?? NUMERIC;
  return {
    op,
    domain: '',
    inputs: { min: 2, max: 2 },
    outputs: { min: 1, max: 1 },
    attrs: opts.attrs ?? {},
    infer(ctx, inputs) {
      const a = need(ctx, inputs, 0);
      const b = need(ctx, inputs, 1);
      expectDType(ctx, a, 0, dtypes);
      if (a.dtype !== b.dtype) {
        fail('BNNC_E010', `inputs have element types ${a.dtype} and ${b.dtype}; expected the same`, where(ctx, ctx.node.inputs[1]));
      }
      return [{ dtype: opts.outDType ?? a.dtype, shape: broadcastOrFail(ctx, [a, b]) }];
    },
    eval(ctx, inputs) {
      const a = need(ctx, inputs, 0);
      const b = need(ctx, inputs, 1);
      const shape = broadcastOrFail(ctx, [a, b]);
      const outDType = opts.outDType ?? a.dtype;
      const out = tensor(outDType, shape);
      const round = rounderFor(outDType);
      const ia = broadcastIndex(a.shape, shape);
      const ib = broadcastIndex(b.shape, shape);
      const ad = a.data, bd = b.data, od = out.data;
      for (let k = 0; k < od.length; k++) od[k] = round(fn(ad[ia[k]], bd[ib[k]], a.dtype));
      return [out];
    },
  };
}

/** An elementwise unary op; `fn` gives the exact result, rounded to the output type. */
export function unaryOp(
  op: string,
  fn: (x: number, dtype: DType) => number,
  opts: { dtypes?: readonly DType[]; outDType?: DType; attrs?: Record<string, AttrSpec>; fnCtx?: (ctx: OpContext) => (x: number, dtype: DType) => number } = {},
): OpDef {
  const dtypes = opts.dtypes ?? NUMERIC;
  return {
    op,
    domain: '',
    inputs: { min: 1, max: 1 },
    outputs: { min: 1, max: 1 },
    attrs: opts.attrs ?? {},
    infer(ctx, inputs) {
      const x = need(ctx, inputs, 0);
      expectDType(ctx, x, 0, dtypes);
      return [{ dtype: opts.outDType ?? x.dtype, shape: x.shape }];
    },
    eval(ctx, inputs) {
      const x = need(ctx, inputs, 0);
      const outDType = opts.outDType ?? x.dtype;
      const out = tensor(outDType, x.shape);
      const round = rounderFor(outDType);
      const f = opts.fnCtx ? opts.fnCtx(ctx) : fn;
      const xd = x.data, od = out.data;
      for (let k = 0; k < od.length; k++) od[k] = round(f(xd[k], x.dtype));
      return [out];
    },
  };
}

export function numel(t: TensorType): number {
  return sizeOf(t.shape);
}
