// The lowering's state: the float graph it reads, the value each float tensor has become (values.ts), and
// the lowered graph it builds (nodes, initializers, fresh names). Rules (input.ts, accumulator.ts,
// bits.ts, layer.ts) read and extend it; lower.ts drives it over the nodes.
import { bug, fail } from '../errors.js';
import { DEFAULT_MAX_TENSOR_BYTES } from '../ir/limits.js';
import type { Graph, InputQuant, Node, Tensor, TensorType } from '../ir/types.js';
import { inferNode } from '../ops/infer.js';
import { checkTailOp } from './tail.js';
import type { Value } from './values.js';

export class Lowering {
  readonly vals = new Map<string, Value>();
  readonly nodes: Node[] = [];
  readonly inits = new Map<string, Tensor>();
  readonly consumers = new Map<string, Node[]>();
  /** The lowered graph's input: the raw integers. */
  inputType!: TensorType;
  /** How raw input maps to the float input: declared, or from the model's own 8-bit input Quant. */
  quant?: InputQuant;
  /** The model's own input Quant node, which the raw integer input replaces. */
  inputQuantNode?: Node;

  constructor(readonly g: Graph) {
    for (const n of g.nodes) for (const s of n.inputs) this.consumers.set(s, [...(this.consumers.get(s) ?? []), n]);
  }

  where(n: Node, tensorName?: string) {
    return { node: n.name, op: n.op, tensor: tensorName };
  }

  konst(name: string): Tensor | undefined {
    return this.g.initializers.get(name);
  }

  /** The float graph's static type of a value (every value is typed after shape inference). */
  shape(name: string): readonly number[] {
    return this.g.types.get(name)!.shape;
  }

  addInit(base: string, t: Tensor): string {
    let name = base;
    for (let i = 1; this.inits.has(name) || this.g.types.has(name); i++) name = `${base}_${i}`;
    this.inits.set(name, t);
    return name;
  }

  fresh(base: string): string {
    let name = base;
    for (let i = 1; this.g.types.has(name) || this.nodes.some((n) => n.outputs.includes(name)) || this.inits.has(name); i++) name = `${base}_${i}`;
    return name;
  }

  emit(n: Node): void {
    this.nodes.push(n);
  }

  set(name: string, v: Value): void {
    this.vals.set(name, v);
  }

  /** The raw input's quantization, or the identity one for an integer graph input. */
  rawQuant(): InputQuant {
    return this.quant ?? { dtype: this.inputType.dtype as 'uint8' | 'int8', scale: 1, divisor: 1, zeroPoint: 0 };
  }

  /**
   * A float node after the last binary layer: copied with the constants it reads, if the back ends run it
   * (tail.ts); its outputs remember where the float tail began.
   */
  copyFloat(n: Node): void {
    const dyn = n.inputs.filter((s) => s !== '' && !this.g.initializers.has(s)).map((s) => this.vals.get(s));
    const from = dyn.map((v) => (v?.kind === 'float' ? v.tailFrom : undefined)).find((f) => f !== undefined);
    if (dyn.length) checkTailOp(this, n, from);
    const tailFrom = from ?? { node: n.name, op: n.op };
    this.emit(n);
    for (const s of n.inputs) {
      if (s !== '' && this.g.initializers.has(s) && !this.inits.has(s)) this.inits.set(s, this.g.initializers.get(s)!);
    }
    for (const o of n.outputs) if (o !== '') this.vals.set(o, { kind: 'float', name: o, ...(dyn.length ? { tailFrom } : {}) });
  }

  /** A graph output the lowering cannot produce. */
  refuseOutput(name: string, what: string): never {
    return fail('BNNC_E031', `graph output is ${what}; bnnc lowers models whose outputs follow a last binary layer`, { tensor: name });
  }

  /** MaxPool's attributes with defaults, refusing what the pools do not take. */
  poolAttrs(n: Node) {
    const ap = (n.attrs.auto_pad as string | undefined) ?? 'NOTSET';
    if (ap !== 'NOTSET' && ap !== 'VALID') fail('BNNC_E031', `MaxPool auto_pad ${ap} is not supported here; export with explicit pads`, this.where(n));
    if (n.outputs.length > 1 && n.outputs[1] !== '') fail('BNNC_E031', 'MaxPool indices output is not supported', this.where(n));
    const k = n.attrs.kernel_shape as number[];
    if (k.length !== 2) fail('BNNC_E031', 'bnnc lowers 2-D max-pooling', this.where(n));
    return {
      kernel_shape: [...k], strides: [...((n.attrs.strides as number[] | undefined) ?? [1, 1])], pads: [...((n.attrs.pads as number[] | undefined) ?? [0, 0, 0, 0])],
      dilations: [...((n.attrs.dilations as number[] | undefined) ?? [1, 1])], ceil_mode: (n.attrs.ceil_mode as number) ?? 0,
    };
  }

  /**
   * The lowered graph, typed by each op's shape rule (ops/infer.ts), without the initializers nothing
   * reads; `inputQuant` travels on it to the back ends.
   */
  finish(input: string, inputQuant: InputQuant | undefined): Graph {
    const g = this.g;
    const types = new Map<string, TensorType>([[input, this.inputType], ...[...this.inits].map(([k, t]) => [k, { dtype: t.dtype, shape: t.shape }] as const)]);
    for (const n of this.nodes) {
      const { types: out } = inferNode(n, (s) => types.get(s), (s) => this.inits.get(s), g.opset, DEFAULT_MAX_TENSOR_BYTES);
      n.outputs.forEach((o, k) => { if (o !== '') types.set(o, out[k]!); });
    }
    for (const o of g.outputs) bug(types.has(o), `output '${o}' has no type`);
    const used = new Set<string>([...this.nodes.flatMap((n) => n.inputs), ...g.outputs]);
    const initializers = new Map([...this.inits].filter(([k]) => used.has(k)));
    const produced = new Set(this.nodes.flatMap((n) => n.outputs));
    for (const k of [...types.keys()]) if (!used.has(k) && !produced.has(k) && k !== input) types.delete(k);
    return {
      name: g.name, inputs: [{ name: input, type: this.inputType }], outputs: g.outputs, nodes: this.nodes, initializers, types, opset: g.opset,
      ...(inputQuant ? { inputQuant } : {}),
    };
  }
}
