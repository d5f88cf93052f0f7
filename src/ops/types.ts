// The contract of one op: attribute schema with defaults, shape rule, reference evaluation.
// `eval` is the definition of the op's semantics: plain loops, integers exact, float32 emulated with
// Math.fround at every float32 operation in the order the operator defines.
import type { AttrValue, Attrs, Node, Tensor, TensorType } from '../ir/types.js';

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
}
