// Binarization: the float graph → an integer-only network of bnnc ops (XnorConv, IntConv, Threshold,
// BinaryMaxPool, AccPool, Epilogue), walking the nodes in order and tracking how each float value is
// represented: an integer input, an int32 accumulator with a pending per-channel float chain, packed
// binary activations, or an ordinary float tensor (after the last binary layer's epilogue).
// Thresholds and epilogue constants come from src/lower/chain.ts, whose header derives them.
import { fail } from '../errors.js';
import { bug } from '../errors.js';
import { shapeText, sizeOf, tensor } from '../ir/tensor.js';
import type { DType, Graph, Node, Tensor, TensorType } from '../ir/types.js';
import { binaryActivationForm, classifyWeight } from '../analyze/binary.js';
import { packWeights } from '../numeric/bits.js';
import { inferAndFold } from '../passes/infer-and-fold.js';
import { type Chain, chainDirection, deriveThresholds, foldAffine, isShapeOnly, type Step } from './chain.js';

/** How the firmware's raw input maps to the model's float input: x = (q − zero_point) · scale / divisor. */
export interface InputQuant {
  readonly dtype: 'uint8' | 'int8';
  readonly scale: number;
  readonly divisor: number;
  readonly zeroPoint: number;
}

export interface LowerOptions {
  /** Required when the graph input is float: how raw integer inputs map to it. */
  readonly inputQuant?: InputQuant;
}

type Val =
  | { kind: 'input'; name: string; steps: Step[]; floatShape: readonly number[] }
  | { kind: 'acc'; name: string; C: number; H: number; W: number; chain: Chain; lo: Int32Array; hi: Int32Array }
  | { kind: 'bits'; name: string; C: number; H: number; W: number; flat: boolean; pad?: { pads: number[]; value: number } }
  | { kind: 'float'; name: string };

const LAYER_OPS = new Set(['Conv', 'Gemm', 'MatMul']);
const CHAIN_OPS = new Set(['Add', 'Sub', 'Mul', 'Div', 'BatchNormalization', 'Relu', 'Clip', 'Sign', 'Greater', 'GreaterOrEqual', 'Less', 'LessOrEqual', 'Where', 'Neg']);
const CHAIN_QONNX = new Set(['BipolarQuant', 'Quant', 'MultiThreshold']);

/**
 * A float model that quantizes its own input with an 8-bit (or narrower) QONNX Quant right after the input
 * (through shape-only ops), with scalar constant scale and integer zero point: the raw input is then the
 * integer q = clip(round(x / scale + zero_point)) inside that Quant, and x' = (q − zero_point) · scale.
 */
export function modelInputQuant(g: Graph): { node: Node; quant: InputQuant } | undefined {
  if (g.inputs.length !== 1 || g.inputs[0].type.dtype !== 'float32') return undefined;
  let name = g.inputs[0].name;
  for (let hops = 0; hops < 16; hops++) {
    const users = g.nodes.filter((n) => n.inputs.includes(name));
    if (users.length !== 1) return undefined;
    const n = users[0];
    if (isShapeOnly(n)) { name = n.outputs[0]; continue; }
    if (n.domain !== 'qonnx' || n.op !== 'Quant' || n.inputs[0] !== name) return undefined;
    const [s, z, b] = [1, 2, 3].map((i) => g.initializers.get(n.inputs[i]));
    if (!s || !z || !b || sizeOf(s.shape) !== 1 || sizeOf(z.shape) !== 1 || sizeOf(b.shape) !== 1) return undefined;
    const bits = b.data[0], zp = z.data[0], scale = s.data[0];
    const signed = n.attrs.signed !== 0;
    if (!Number.isInteger(bits) || bits < 2 || bits > 8 || !Number.isInteger(zp) || !(scale > 0)) return undefined;
    const [lo, hi] = signed ? [-128, 127] : [0, 255];
    if (zp < lo || zp > hi) return undefined;
    return { node: n, quant: { dtype: signed ? 'int8' : 'uint8', scale, divisor: 1, zeroPoint: zp } };
  }
  return undefined;
}

export function lowerGraph(g: Graph, opts: LowerOptions = {}): Graph {
  return new Lowering(g, opts).run();
}

class Lowering {
  private readonly vals = new Map<string, Val>();
  private readonly nodes: Node[] = [];
  private readonly inits = new Map<string, Tensor>();
  private readonly consumers = new Map<string, Node[]>();
  private inputType?: TensorType;
  /** How raw input maps to the float input: declared, or from the model's own 8-bit input Quant. */
  private quant?: InputQuant;
  /** The model's own input Quant node, which the raw integer input replaces. */
  private inputQuantNode?: Node;

  constructor(private readonly g: Graph, private readonly opts: LowerOptions) {
    for (const n of g.nodes) for (const s of n.inputs) this.consumers.set(s, [...(this.consumers.get(s) ?? []), n]);
  }

  run(): Graph {
    const g = this.g;
    if (g.inputs.length !== 1) fail('BNNC_E031', `the model has ${g.inputs.length} inputs; bnnc lowers single-input models`);
    const input = g.inputs[0];
    if (input.type.dtype === 'uint8' || input.type.dtype === 'int8') {
      this.inputType = input.type;
      this.vals.set(input.name, { kind: 'input', name: input.name, steps: [], floatShape: input.type.shape });
    } else {
      const own = modelInputQuant(g);
      const q = this.opts.inputQuant ?? own?.quant;
      if (own && !this.opts.inputQuant) this.inputQuantNode = own.node;
      this.quant = q;
      if (!q) {
        fail('BNNC_E031', `the input is ${input.type.dtype}; declare how raw 8-bit input maps to it with --input-scale (and --input-zero-point), e.g. --input-scale 1/255 for pixel/255`, { tensor: input.name });
      }
      this.inputType = { dtype: q.dtype, shape: input.type.shape };
      this.vals.set(input.name, { kind: 'input', name: input.name, steps: [], floatShape: input.type.shape });
    }
    for (const n of g.nodes) this.visit(n);
    for (const o of g.outputs) {
      const v = this.vals.get(o);
      if (v?.kind === 'acc') this.epilogue(o, v);
      else if (v?.kind !== 'float') fail('BNNC_E031', `graph output is ${v?.kind === 'bits' ? 'a binary activation' : 'not computed by a binary layer'}; bnnc lowers models whose outputs follow a last binary layer`, { tensor: o });
    }
    const lowered: Graph = {
      name: g.name,
      inputs: [{ name: input.name, type: this.inputType }],
      outputs: g.outputs,
      nodes: this.nodes,
      initializers: this.inits,
      types: new Map([[input.name, this.inputType], ...[...this.inits].map(([k, t]) => [k, { dtype: t.dtype, shape: t.shape }] as const)]),
      opset: g.opset,
    };
    return inferAndFold(lowered, { fold: false });
  }

  private where(n: Node, tensorName?: string) {
    return { node: n.name, op: n.op, tensor: tensorName };
  }

  private konst(name: string): Tensor | undefined {
    return this.g.initializers.get(name);
  }

  private addInit(base: string, t: Tensor): string {
    let name = base;
    for (let i = 1; this.inits.has(name) || this.g.types.has(name); i++) name = `${base}_${i}`;
    this.inits.set(name, t);
    return name;
  }

  private fresh(base: string): string {
    let name = base;
    for (let i = 1; this.g.types.has(name) || this.nodes.some((n) => n.outputs.includes(name)) || this.inits.has(name); i++) name = `${base}_${i}`;
    return name;
  }

  private emit(n: Node): void {
    this.nodes.push(n);
  }

  /** The one non-constant input of a node, with its slot; several → not a chain. */
  private dynamicInput(n: Node): { slot: number; val: Val } | undefined {
    const dyn = n.inputs.map((s, i) => ({ s, i })).filter(({ s }) => s !== '' && !this.g.initializers.has(s));
    if (dyn.length !== 1) return undefined;
    const val = this.vals.get(dyn[0].s);
    bug(val, `value '${dyn[0].s}' not lowered before '${n.name}'`);
    return { slot: dyn[0].i, val };
  }

  private visit(n: Node): void {
    const dyn = this.dynamicInput(n);
    const out = n.outputs[0];
    if (!dyn) {
      // several dynamic inputs: only float tails (after the last binary layer) can be copied
      const ins = n.inputs.filter((s) => s !== '' && !this.g.initializers.has(s)).map((s) => this.vals.get(s));
      if (ins.every((v) => v?.kind === 'float')) return this.copyFloat(n);
      fail('BNNC_E031', 'this node combines several computed tensors (a branch or residual); bnnc lowers chains of layers', this.where(n));
    }
    const { slot, val } = dyn;
    if (val.kind === 'float') return this.copyFloat(n);

    if (n.domain === '' && LAYER_OPS.has(n.op) && slot === 0) return this.layer(n, val);

    if (val.kind === 'acc' || val.kind === 'input') {
      if (n.domain === '' && n.op === 'MaxPool' && val.kind === 'acc') return this.accPool(n, val);
      if (val.kind === 'input' && isFloatCast(n)) return void this.vals.set(out, val);
      if (val.kind === 'input' && n === this.inputQuantNode) return void this.vals.set(out, val);
      if (isShapeOnly(n) || (n.domain === '' && CHAIN_OPS.has(n.op)) || (n.domain === 'qonnx' && CHAIN_QONNX.has(n.op))) {
        if (!isShapeOnly(n)) this.checkPerChannel(n, slot, val);
        const steps = [...(val.kind === 'acc' ? val.chain.steps : val.steps), { node: n, slot }];
        const next: Val = val.kind === 'acc' ? { ...val, chain: { ...val.chain, steps } } : { ...val, steps, floatShape: this.g.types.get(out)!.shape };
        if (binaryActivationForm(this.g, n) && !this.chainContinues(out)) return this.threshold(n, next);
        this.vals.set(out, next);
        return;
      }
      if (val.kind === 'acc') {
        this.epilogue(n.inputs[slot], val);
        return this.copyFloat(n);
      }
      fail('BNNC_E031', `${n.op} on the raw input before any binary layer is not supported; the input may be reshaped, scaled and binarized`, this.where(n));
    }

    // packed binary activations
    if (n.domain === '' && n.op === 'MaxPool') return this.binaryPool(n, val);
    if (n.domain === '' && (n.op === 'Flatten' || n.op === 'Reshape')) {
      const shape = this.g.types.get(out)!.shape;
      if (shape.length === 2 && shape[1] === val.C * val.H * val.W) return void this.vals.set(out, { ...val, flat: true });
      if (sizeOf(shape) === val.C * val.H * val.W && val.H === 1 && val.W === 1) return void this.vals.set(out, val);
      fail('BNNC_E031', `reshaping binary activations [C=${val.C},H=${val.H},W=${val.W}] to ${shapeText(shape)} is not supported (only flattening before a dense layer)`, this.where(n));
    }
    if (isShapeOnly(n)) return void this.vals.set(out, val);
    if (n.domain === '' && n.op === 'Pad') return this.binaryPad(n, val);
    fail('BNNC_E031', `${n.op} on binary activations is not supported`, this.where(n));
  }

  /** True when a sign's only consumer continues elementwise (Larq's Sign(Sign(x) + c)). */
  private chainContinues(out: string): boolean {
    const users = this.consumers.get(out) ?? [];
    return users.length === 1 && !this.g.outputs.includes(out) && users[0].domain === '' && ['Add', 'Sub', 'Mul', 'Sign'].includes(users[0].op)
      && users[0].inputs.filter((s) => !this.g.initializers.has(s)).length === 1;
  }

  /** Chain operands must be constant per channel (axis 1) or scalars; for the raw input, scalars only. */
  private checkPerChannel(n: Node, slot: number, val: Val): void {
    const shape = this.g.types.get(n.inputs[slot])!.shape;
    n.inputs.forEach((s, i) => {
      if (i === slot || s === '') return;
      const t = this.konst(s);
      if (!t) fail('BNNC_E031', `operand '${s}' is not a constant`, this.where(n, s));
      if (n.op === 'BatchNormalization' || n.op === 'MultiThreshold' || val.kind === 'input') return; // checked by the replay
      const r = shape.length;
      const ok = t.shape.every((d, k) => d === 1 || r - t.shape.length + k === 1);
      if (!ok) fail('BNNC_E031', `operand '${s}' of shape ${shapeText(t.shape)} varies along more than the channel axis of ${shapeText(shape)}`, this.where(n, s));
    });
  }

  private copyFloat(n: Node): void {
    this.emit(n);
    for (const s of n.inputs) {
      if (s !== '' && this.g.initializers.has(s) && !this.inits.has(s)) this.inits.set(s, this.g.initializers.get(s)!);
    }
    for (const o of n.outputs) if (o !== '') this.vals.set(o, { kind: 'float', name: o });
  }

  private layer(n: Node, val: Val): void {
    const w = this.konst(n.inputs[1]);
    if (!w) fail('BNNC_E031', 'the weights are not constant', this.where(n, n.inputs[1]));
    if (val.kind === 'acc') {
      const act = val.chain.steps.map((s) => s.node).find((s) => s.domain === 'qonnx' && CHAIN_QONNX.has(s.op));
      if (act) fail('BNNC_E031', `this layer reads '${act.name}' (${act.op}), a multi-level activation${levelsOf(this.g, act)}; bnnc lowers binary activations (two levels, −1 and +1) only`, this.where(n));
      fail('BNNC_E031', 'this layer reads another layer\'s output without a sign in between; bnnc needs binary activations (or the raw input) in front of each binary layer', this.where(n));
    }
    // weights as [M, Cg, KH, KW] in ONNX Conv layout, with the float input as NCHW
    let wm: Tensor;
    let attrs: { group: number; kernel: number[]; strides: number[]; pads: number[]; dilations: number[] };
    let alpha = 1, biasName: string | undefined, beta = 1;
    const inShape = this.g.types.get(n.inputs[0])!.shape;
    const geom = this.geometry(val, inShape, n);
    if (n.op === 'Conv') {
      if (inShape.length !== 4) fail('BNNC_E031', `bnnc lowers 2-D convolutions; the input is ${shapeText(inShape)}`, this.where(n));
      const ap = (n.attrs.auto_pad as string | undefined) ?? 'NOTSET';
      if (ap !== 'NOTSET' && ap !== 'VALID') fail('BNNC_E031', `auto_pad ${ap} is not supported in binary layers; export with explicit pads`, this.where(n));
      const k = [w.shape[2], w.shape[3]];
      const p = (n.attrs.pads as number[] | undefined) ?? [0, 0, 0, 0];
      wm = w;
      attrs = { group: (n.attrs.group as number) ?? 1, kernel: k, strides: [...((n.attrs.strides as number[] | undefined) ?? [1, 1])], pads: [p[0], p[1], p[2], p[3]], dilations: [...((n.attrs.dilations as number[] | undefined) ?? [1, 1])] };
      biasName = n.inputs[2] || undefined;
    } else {
      if (n.op === 'Gemm' && n.attrs.transA) fail('BNNC_E031', 'Gemm with transA is not supported in a binary layer', this.where(n));
      const transposed = n.op === 'Gemm' ? !!n.attrs.transB : false;
      if (w.shape.length !== 2) fail('BNNC_E031', `dense weights of shape ${shapeText(w.shape)}; expected 2-D`, this.where(n, n.inputs[1]));
      const [M, K] = transposed ? [w.shape[0], w.shape[1]] : [w.shape[1], w.shape[0]];
      if (K !== geom.C * geom.H * geom.W) fail('BNNC_E009', `dense layer of ${K} inputs reads ${geom.C * geom.H * geom.W} values`, this.where(n));
      const data = new Float64Array(M * K);
      for (let m = 0; m < M; m++) for (let k = 0; k < K; k++) data[m * K + k] = transposed ? w.data[m * K + k] : w.data[k * M + m];
      wm = { dtype: 'float64', shape: [M, geom.C, geom.H, geom.W], data };
      attrs = { group: 1, kernel: [geom.H, geom.W], strides: [1, 1], pads: [0, 0, 0, 0], dilations: [1, 1] };
      if (n.op === 'Gemm') {
        alpha = n.attrs.alpha as number;
        beta = n.attrs.beta as number;
        biasName = n.inputs[2] || undefined;
      }
    }
    const M = wm.shape[0];
    const kind = classifyWeight(wm, 0);
    if (kind.kind === 'other') {
      fail('BNNC_E030', `the weights '${n.inputs[1]}' are not binary: expected ±1 or ±α per output filter (${describeWeights(wm)}); mark latent float weights with --binarize-weights to binarize them`, this.where(n, n.inputs[1]));
    }
    const alphas = kind.kind === 'bipolar' ? new Float64Array(M).fill(1) : kind.alpha;
    let bias: Float32Array | undefined;
    if (biasName) {
      const b = this.konst(biasName);
      if (!b) fail('BNNC_E031', 'the bias is not constant', this.where(n, biasName));
      if (sizeOf(b.shape) !== M && sizeOf(b.shape) !== 1) fail('BNNC_E031', `bias of shape ${shapeText(b.shape)} is not per output channel`, this.where(n, biasName));
      bias = Float32Array.from({ length: M }, (_, m) => Math.fround(beta * b.data[sizeOf(b.shape) === 1 ? 0 : m]));
    }
    const signs = Int8Array.from(wm.data, (v) => (v < 0 ? -1 : 1));
    const accName = this.fresh(`${n.outputs[0]}__acc`);
    const [Cg, KH, KW] = [wm.shape[1], wm.shape[2], wm.shape[3]];
    const common = { group: attrs.group, kernel_shape: attrs.kernel, strides: attrs.strides, dilations: attrs.dilations };
    const lo = new Int32Array(M), hi = new Int32Array(M);
    let scale = alphas.map((a) => a * alpha);
    let chainDivisor = 1;
    if (val.kind === 'bits') {
      const wPacked = packWeights(signs, M, Cg, KH, KW);
      const pads = val.pad ? val.pad.pads : attrs.pads;
      if (val.pad && attrs.pads.some((p) => p !== 0)) fail('BNNC_E031', 'an explicit Pad followed by a padded Conv is not supported', this.where(n));
      this.emit({ name: n.name, op: 'XnorConv', domain: 'bnnc', inputs: [val.name, this.addInit(`${n.inputs[1]}__packed`, wPacked)], outputs: [accName],
        attrs: { ...common, channels: geom.C, pads, pad_value: val.pad?.value ?? 0 } });
      const K = Cg * KH * KW;
      lo.fill(-K); hi.fill(K);
    } else {
      if (val.kind !== 'input') return fail('BNNC_E031', 'unexpected layer input', this.where(n));
      if (val.steps.some((s) => !isShapeOnly(s.node))) fail('BNNC_E031', 'arithmetic on the raw input before the first binary layer is not supported; fold it into the input quantization', this.where(n));
      const q = this.quant ?? { dtype: this.inputType!.dtype as 'uint8' | 'int8', scale: 1, divisor: 1, zeroPoint: 0 };
      const inName = this.reshapeInput(val, [this.inputType!.shape[0], geom.C, geom.H, geom.W], n);
      this.emit({ name: n.name, op: 'IntConv', domain: 'bnnc', inputs: [inName, this.addInit(`${n.inputs[1]}__int8`, tensor('int8', wm.shape, signs))], outputs: [accName],
        attrs: { ...common, pads: attrs.pads, zero_point: q.zeroPoint, layout: 'NCHW' } });
      const [qmin, qmax] = q.dtype === 'uint8' ? [0, 255] : [-128, 127];
      const span = Math.max(Math.abs(qmin - q.zeroPoint), Math.abs(qmax - q.zeroPoint));
      for (let m = 0; m < M; m++) {
        let l = 0, h = 0;
        for (let i = 0; i < Cg * KH * KW; i++) {
          const s = signs[m * Cg * KH * KW + i];
          l += Math.min(s * (qmin - q.zeroPoint), s * (qmax - q.zeroPoint));
          h += Math.max(s * (qmin - q.zeroPoint), s * (qmax - q.zeroPoint));
        }
        lo[m] = l; hi[m] = h;
      }
      void span;
      scale = scale.map((s) => s * q.scale);
      chainDivisor = q.divisor;
    }
    const outShape = this.g.types.get(n.outputs[0])!.shape;
    const [H, W] = outShape.length === 4 ? [outShape[2], outShape[3]] : [1, 1];
    const chain: Chain = { scale, divisor: chainDivisor === 1 ? undefined : chainDivisor, bias, steps: [], channels: M };
    this.vals.set(n.outputs[0], { kind: 'acc', name: accName, C: M, H, W, chain, lo, hi });
  }

  /** Channels and spatial size that a layer reads from a value. */
  private geometry(val: Val, inShape: readonly number[], n: Node): { C: number; H: number; W: number } {
    if (val.kind === 'bits') return { C: val.C, H: val.flat ? val.H : 1, W: val.flat ? val.W : 1 };
    if (val.kind === 'input') {
      const s = this.inputType!.shape;
      if (inShape.length === 4) return { C: inShape[1], H: inShape[2], W: inShape[3] };
      // a dense first layer on a flattened input: read the input in its own (NCHW) layout
      if (s.length === 4 && sizeOf(s) / s[0] === inShape[1]) return { C: s[1], H: s[2], W: s[3] };
      return { C: inShape[1], H: 1, W: 1 };
    }
    return fail('BNNC_E031', 'unexpected input', this.where(n));
  }

  private reshapeInput(val: Val & { kind: 'input' }, shape: number[], n: Node): string {
    const s = this.inputType!.shape;
    if (s.length === shape.length && s.every((d, i) => d === shape[i])) return val.name;
    const out = this.fresh(`${val.name}__${shape.join('x')}`);
    this.emit({ name: `${n.name}/reshape_input`, op: 'Reshape', domain: '', inputs: [val.name, this.addInit(`${out}__shape`, tensor('int64', [shape.length], shape))], outputs: [out], attrs: { allowzero: 0 } });
    return out;
  }

  private threshold(n: Node, val: Val): void {
    const out = n.outputs[0];
    const shape = this.g.types.get(out)!.shape;
    const where = { node: n.name };
    if (val.kind === 'acc') {
      const th = deriveThresholds(this.g, val.chain, val.lo, val.hi, where);
      const bits = this.fresh(`${out}__bits`);
      this.emit({ name: n.name, op: 'Threshold', domain: 'bnnc', inputs: [val.name, this.addInit(`${out}__t`, tensor('int32', [val.C], th.t)), this.addInit(`${out}__k`, tensor('int8', [val.C], th.kind))], outputs: [bits], attrs: { layout: 'NHWC' } });
      this.vals.set(out, { kind: 'bits', name: bits, C: val.C, H: val.H, W: val.W, flat: false });
      return;
    }
    bug(val.kind === 'input', 'threshold on an unexpected value');
    // a binarized raw input: thresholds on the integers q, per element (all channels alike)
    const q = this.quant ?? { dtype: this.inputType!.dtype as 'uint8' | 'int8', scale: 1, divisor: 1, zeroPoint: 0 };
    const [qmin, qmax] = q.dtype === 'uint8' ? [0, 255] : [-128, 127];
    const chain: Chain = { scale: Float64Array.of(q.scale), divisor: q.divisor === 1 ? undefined : q.divisor, steps: val.steps, channels: 1, wholeTensor: this.g.inputs[0].type.shape };
    const th = deriveThresholds(this.g, chain, [qmin - q.zeroPoint], [qmax - q.zeroPoint], where);
    const C = shape.length >= 2 ? shape[1] : 1;
    const [H, W] = shape.length === 4 ? [shape[2], shape[3]] : [1, 1];
    const layoutShape = shape.length === 4 ? [shape[0], C, H, W] : [shape[0], 1, 1, C];
    const inName = this.reshapeInput(val, layoutShape, n);
    const t = new Int32Array(C).fill(th.t[0] + q.zeroPoint);
    const k = new Int8Array(C).fill(th.kind[0]);
    const bits = this.fresh(`${out}__bits`);
    this.emit({ name: n.name, op: 'Threshold', domain: 'bnnc', inputs: [inName, this.addInit(`${out}__t`, tensor('int32', [C], t)), this.addInit(`${out}__k`, tensor('int8', [C], k))], outputs: [bits], attrs: { layout: shape.length === 4 ? 'NCHW' : 'NHWC' } });
    this.vals.set(out, { kind: 'bits', name: bits, C, H, W, flat: false });
  }

  private poolAttrs(n: Node) {
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

  private binaryPool(n: Node, val: Val & { kind: 'bits' }): void {
    if (val.flat || val.pad) fail('BNNC_E031', 'max-pooling after flatten or pad is not supported', this.where(n));
    const out = n.outputs[0];
    const s = this.g.types.get(out)!.shape;
    const name = this.fresh(`${out}__bits`);
    this.emit({ name: n.name, op: 'BinaryMaxPool', domain: 'bnnc', inputs: [val.name], outputs: [name], attrs: { ...this.poolAttrs(n), channels: val.C } });
    this.vals.set(out, { ...val, name, H: s[2], W: s[3] });
  }

  private accPool(n: Node, val: Val & { kind: 'acc' }): void {
    const out = n.outputs[0];
    const s = this.g.types.get(out)!.shape;
    const dir = chainDirection(this.g, val.chain, val.lo, val.hi);
    const name = this.fresh(`${out}__acc`);
    this.emit({ name: n.name, op: 'AccPool', domain: 'bnnc', inputs: [val.name, this.addInit(`${out}__dir`, tensor('int8', [val.C], dir))], outputs: [name], attrs: this.poolAttrs(n) });
    this.vals.set(out, { ...val, name, H: s[2], W: s[3] });
  }

  private binaryPad(n: Node, val: Val & { kind: 'bits' }): void {
    const mode = (n.attrs.mode as string | undefined) ?? 'constant';
    let pads: readonly number[] | undefined = n.attrs.pads as number[] | undefined;
    let value = (n.attrs.value as number | undefined) ?? 0;
    if (n.inputs[1]) pads = Array.from(this.konst(n.inputs[1])?.data ?? []);
    if (n.inputs[2]) value = this.konst(n.inputs[2])?.data[0] ?? 0;
    if (mode !== 'constant' || !pads || pads.length !== 8 || pads[0] || pads[1] || pads[4] || pads[5] || ![0, 1, -1].includes(value)) {
      fail('BNNC_E031', 'only a constant Pad of 0 or ±1 over the spatial axes of binary activations is supported', this.where(n));
    }
    const out = n.outputs[0];
    this.vals.set(out, { ...val, pad: { pads: [pads[2], pads[3], pads[6], pads[7]], value } });
  }

  /**
   * Turns an accumulator into the float32 tensor `from` of the float graph, y = acc·scale + bias (the
   * affine chain folded); later float ops read it under its own name.
   */
  private epilogue(from: string, val: Val & { kind: 'acc' }): void {
    const { scale, bias } = foldAffine(this.g, val.chain, { node: from });
    const rank = this.g.types.get(from)!.shape.length;
    this.emit({
      name: `${from}/epilogue`, op: 'Epilogue', domain: 'bnnc',
      inputs: [val.name, this.addInit(`${from}__scale`, tensor('float32', [val.C], scale)), this.addInit(`${from}__bias`, tensor('float32', [val.C], bias))],
      outputs: [from], attrs: { layout: 'NCHW', rank },
    });
    this.vals.set(from, { kind: 'float', name: from });
  }
}

/** ", N levels" for a quantizer whose level count is known from its constants, else "". */
function levelsOf(g: Graph, n: Node): string {
  if (n.op === 'MultiThreshold') {
    const th = g.initializers.get(n.inputs[1]);
    return th ? ` (${th.shape[th.shape.length - 1]} thresholds: ${th.shape[th.shape.length - 1] + 1} levels)` : '';
  }
  const bits = n.op === 'Quant' ? g.initializers.get(n.inputs[3])?.data[0] : undefined;
  return bits !== undefined ? ` (${bits}-bit: ${2 ** bits} levels)` : '';
}

/** Cast to float32: exact on the raw 8-bit input (an int8/uint8 graph input read by float ops), so a no-op. */
function isFloatCast(n: Node): boolean {
  return n.domain === '' && n.op === 'Cast' && n.attrs.to === 1;
}

function describeWeights(w: Tensor): string {
  const mags = new Set<number>();
  for (let i = 0; i < w.data.length && mags.size < 6; i++) mags.add(Math.abs(w.data[i]));
  return `found magnitudes ${[...mags].slice(0, 5).map((m) => m.toPrecision(4)).join(', ')}${mags.size > 5 ? ', …' : ''}${[...mags].includes(0) ? ' including 0' : ''}`;
}

export type { DType };
