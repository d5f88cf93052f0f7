// The commands as library calls (what `bnnc inspect|check|verify|bench` run), each a model in and a typed
// report out: load and lower through compile.ts, then the stage's own function. No argv, no files written,
// no exit codes: errors are CompileErrors (bad input) or plain Errors (a toolchain or emulator problem).
import { loadTarget, type Target, type VerifyReport, verifyOnTarget } from './backend/index.js';
import { bench as benchLowered, type BenchReport } from './bench/bench.js';
import { type CheckReport, type CheckSample, checkModel, sampleFromRaw } from './check.js';
import { type CompileOptions, type LoadOptions, loadModel, type LowerOptions, type ModelSource, prepare, runsPortableMath } from './compile.js';
import { readData } from './data/datasets.js';
import { fail } from './errors.js';
import { inspectGraph, type InspectReport } from './inspect.js';
import { sizeOf } from './ir/tensor.js';
import type { Graph, InputQuant } from './ir/types.js';

/** The inputs of `check` and `verify`: raw integers from a data file, else seeded random ones. */
export interface SampleOptions {
  /** Raw integer inputs (idx, .npy or ONNX TensorProto .pb), as the firmware takes them. */
  readonly data?: string;
  /** Labels for `data`, one per sample (idx or .npy), for accuracies. */
  readonly labels?: string;
  /** This many seeded random raw inputs when `data` is not given (default 100 for check, 20 for verify). */
  readonly random?: number;
  readonly seed?: number;
  /** Use the first N samples only. */
  readonly limit?: number;
}

export interface CheckOptions extends LoadOptions, LowerOptions, SampleOptions {
  /** Called after each sample (progress). */
  readonly onProgress?: (done: number) => void;
}

export interface VerifyOptions extends CompileOptions, SampleOptions {
  /** Time limit of one emulator run, in ms (default 120 000). */
  readonly timeoutMs?: number;
}

export interface BenchOptions extends CompileOptions {
  /** Time limit of the emulator run, in ms (default 120 000). */
  readonly timeoutMs?: number;
}

/** The nodes of the float graph with shapes, parameter counts and which weights and activations are binary. */
export function inspect(model: ModelSource, opts: LoadOptions = {}): InspectReport {
  return inspectGraph(loadModel(model, opts));
}

/** The float and the lowered model on the same inputs: agreement, accuracies, identical bits per layer. */
export function check(model: ModelSource, opts: CheckOptions = {}): CheckReport {
  const { float, lowered } = prepare(model, opts);
  return checkModel(float, lowered, samples(float, lowered, opts, 100), opts.onProgress);
}

/** The model compiled for `target` and run there (emulator or host), every output compared bit for bit. */
export function verify(model: ModelSource, target: string | Target, opts: VerifyOptions = {}): VerifyReport {
  const t = typeof target === 'string' ? loadTarget(target) : target;
  const { float, lowered } = prepare(model, { ...opts, portableMath: opts.portableMath ?? runsPortableMath(t) });
  const inputs = [...samples(float, lowered, opts, 20)].map((s) => s.q);
  return verifyOnTarget(lowered, t, inputs, { prefix: opts.prefix, kernels: opts.kernels, timeoutMs: opts.timeoutMs });
}

/** Exact executed instructions, binary MACs, estimated cycles, flash and RAM per layer on `target`'s emulator. */
export function bench(model: ModelSource, target: string | Target, opts: BenchOptions = {}): BenchReport {
  const t = typeof target === 'string' ? loadTarget(target) : target;
  const { lowered } = prepare(model, opts);
  return benchLowered(lowered, t, { prefix: opts.prefix, kernels: opts.kernels, timeoutMs: opts.timeoutMs });
}

/** Raw bytes from `data`, or seeded random bytes, with the float input each maps to. */
function* samples(float: Graph, lowered: Graph, o: SampleOptions, defaultRandom: number): Generator<CheckSample> {
  const q: InputQuant = lowered.inputQuant ?? { dtype: lowered.inputs[0].type.dtype === 'int8' ? 'int8' : 'uint8', scale: 1, divisor: 1, zeroPoint: 0 };
  const per = sizeOf(float.inputs[0].type.shape);
  const lShape = lowered.inputs[0].type.shape;
  const limit = o.limit ?? Infinity;
  const [lo, hi] = q.dtype === 'uint8' ? [0, 255] : [-128, 127];
  if (o.data) {
    const data = readData(o.data);
    const labels = o.labels ? readData(o.labels) : undefined;
    const n = Math.floor(sizeOf(data.shape) / per);
    if (n * per !== sizeOf(data.shape)) fail('BNNC_E020', `'${o.data}' holds ${sizeOf(data.shape)} values, not a whole number of ${per}-value samples`);
    if (labels && sizeOf(labels.shape) !== n) fail('BNNC_E020', `'${o.labels}' holds ${sizeOf(labels.shape)} labels for ${n} samples`);
    for (let i = 0; i < Math.min(n, limit); i++) {
      const raw = data.data.subarray(i * per, (i + 1) * per);
      for (const v of raw) if (!Number.isInteger(v) || v < lo || v > hi) fail('BNNC_E020', `sample ${i} of '${o.data}' holds ${v}, not a raw ${q.dtype} value`);
      yield sampleFromRaw(float.inputs[0].type, raw, q, lShape, labels?.data[i]);
    }
    return;
  }
  let seed = (o.seed ?? 1) >>> 0;
  const next = () => { seed = (Math.imul(seed, 1664525) + 1013904223) >>> 0; return seed >>> 24; };
  for (let i = 0; i < Math.min(o.random ?? defaultRandom, limit); i++) yield sampleFromRaw(float.inputs[0].type, Array.from({ length: per }, () => lo + (next() % 256)), q, lShape);
}
