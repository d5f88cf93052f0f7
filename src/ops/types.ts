// The contract of one op: attribute schema with defaults, shape rule, reference evaluation.
// `eval` is the definition of the op's semantics: plain loops, integers exact, float32 emulated with
// Math.fround at every float32 operation in the order the operator defines.
import type { AttrValue, Attrs, Node, Tensor, TensorType } from '../ir/types.js';
import type { CDataContext, CLayer } from './c-layer.js';

export type AttrKind = 'int' | 'float' | 'string' | 'ints' | 'floats' | 'strings' | 'tensor';

export interface AttrSpec {
  readonly kind: AttrKind;
  /** Absent and not required: the attribute is simply missing from the resolved attributes. */
  readonly default?: AttrValue;
  readonly required?: boolean;
}

/** What an op's shape rule and evaluation see besides their inputs. */
export interface OpContext {
  readonly node: Node;
  /** Attributes resolved against the schema (defaults filled in). */
  readonly attrs: Attrs;
  /** The default-domain opset of the model (several ops moved attributes to inputs over the versions). */
  readonly opset: number;
}

export interface OpDef {
  readonly op: string;
  /** 'qonnx' for the QONNX/FINN/Brevitas custom ops, 'bnnc' for lowered ops, '' for standard ONNX. */
  readonly domain: '' | 'qonnx' | 'bnnc';
  readonly inputs: { readonly min: number; readonly max: number };
  readonly outputs: { readonly min: number; readonly max: number };
  readonly attrs: Readonly<Record<string, AttrSpec>>;
  /**
   * Shape rule. `inputs[i]` is undefined for an omitted optional input; `consts[i]` holds the value of
   * inputs that are constants (shape operands such as Reshape's `shape` need them). Throws CompileError
   * (naming the node) on a mismatch.
   */
  infer(ctx: OpContext, inputs: readonly (TensorType | undefined)[], consts: readonly (Tensor | undefined)[]): TensorType[];
  /** Reference evaluation. `inputs[i]` is undefined for an omitted optional input. */
  eval(ctx: OpContext, inputs: readonly (Tensor | undefined)[]): Tensor[];
  /**
   * The `ts` target's code for a node (src/backend/ts-target.ts): the kernel of src/numeric/kernels.ts
   * that `eval` calls, with its arguments (`kernelCall`). Same arguments as `infer`. Absent: the ts target
   * does not run the op.
   */
  ts?(ctx: OpContext, inputs: readonly (TensorType | undefined)[], consts: readonly (Tensor | undefined)[]): KernelCall;
  /**
   * The typed record the op's C template lays out (c-layer.ts), for ops the C back ends implement; its
   * constant arrays are added through the context as numbers. Absent: the C back ends refuse the op.
   */
  cData?(c: CDataContext): CLayer;
  /**
   * Its outputs hold packed ±1 bits (numeric/bits.ts): int32 words in the IR, uint32_t words in C. The C back
   * ends type the buffers from this, so a new op on bits declares it here instead of being named in them.
   */
  readonly packedBits?: boolean;
}

/**
 * A call of a reference kernel: the function and its arguments, where a string names a tensor of the graph
 * (a value or a constant) and anything else is a literal. Built with `kernelCall`, which checks the
 * arguments against the kernel's parameters. A kernel returns its outputs: one typed array, or a tuple.
 */
export interface KernelCall {
  readonly kernel: (...args: never[]) => unknown;
  readonly args: readonly KernelArg[];
}

export type KernelArg = string | number | boolean | Readonly<Record<string, number>>;

/** A typed-array parameter takes a tensor's name; numbers, booleans and records of numbers stay literals. */
type CallArgs<P extends readonly unknown[]> = { [K in keyof P]: P[K] extends ArrayLike<number> ? string : P[K] };

export function kernelCall<F extends (...args: never[]) => unknown>(kernel: F, ...args: CallArgs<Parameters<F>>): KernelCall {
  return { kernel, args: args as readonly KernelArg[] };
}
