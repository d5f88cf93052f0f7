// The commands as library calls (what `bnnc inspect|check|verify|bench` run), each a model in and a typed
// report out: load and lower through compile.ts, then the stage's own function. No argv, no files written,
// no exit codes: errors are CompileErrors (bad input) or ToolchainErrors (a build or emulator step failed).
import { measureStack } from './backend/footprint.js';
import { loadTarget, type Target, type VerifyReport, verifyOnTarget } from './backend/index.js';
import { expectation, type ExpectReport } from './backend/expect.js';
import { bench as benchLowered, type BenchReport } from './bench/bench.js';
import type { Reserve } from './bench/estimate.js';
import { type CheckReport, checkModel, checkModelThreaded, type ReferenceModel } from './check.js';
import { type CompileOptions, type LoadOptions, loadModel, lowerModel, type LowerOptions, type ModelSource, type Prepared, prepare, runsPortableMath } from './compile.js';
import { readData } from './data/datasets.js';
import { rawInputs, type SampleFlags, sampleSource } from './data/samples.js';
import { inspectGraph, type InspectReport, loweringVerdict } from './inspect.js';
import { calibrateModel } from './calibrate.js';

/**
 * The inputs of `check` and `verify` (src/data/samples.ts): raw integers from a data file, else seeded
 * random ones. Numbers may be given as the CLI's text; each is checked as the CLI checks its flag.
 */
export interface SampleOptions {
  /** Raw integer inputs (idx, .npy or ONNX TensorProto .pb), as the firmware takes them. */
  readonly data?: string;
  /** Labels for `data`, one per sample (idx or .npy), for accuracies. */
  readonly labels?: string;
  /** This many seeded random raw inputs when `data` is not given (default 100 for check, 20 for verify). */
  readonly random?: number | string;
  readonly seed?: number | string;
  /** Use the first N samples only. */
  readonly limit?: number | string;
}

export interface CheckOptions extends LoadOptions, LowerOptions, SampleOptions {
  /** Called after each sample (progress). */
  readonly onProgress?: (done: number) => void;
}

export interface VerifyOptions extends CompileOptions, SampleOptions {
  /** Time limit in ms of every build and run step (default: a limit per step, derived from its work). */
  readonly timeoutMs?: number;
  /** Golden float outputs of the float model on `data`, [N, …output]: the report gains `expected` (docs/ci.md). */
  readonly expect?: string;
  /** With `expect`: thresholds whose breaking the report's `expected.failures` name. */
  readonly thresholds?: { readonly minTop1?: number | string; readonly maxAbsDiff?: number | string };
  /** The user's own compile flags, after the target's in every build (`verify --cflags`). */
  readonly cflags?: readonly string[];
}

export interface BenchOptions extends CompileOptions {
  /** Time limit in ms of every build and run step (default: a limit per step, derived from its work). */
  readonly timeoutMs?: number;
  /** With a chip target: the flash and RAM the application keeps (the report's fit). */
  readonly reserve?: Reserve;
}

/**
 * The nodes of the float graph with shapes, parameter counts and which weights and activations are binary,
 * and the first node the lowering refuses (if any).
 */
export function inspect(model: ModelSource, opts: LoadOptions & LowerOptions = {}): InspectReport {
  const g = loadModel(model, opts);
  // the verdict of what compile would do: calibration first (BNNC_E120 without --calibrate where needed)
  return inspectGraph(g, loweringVerdict(g, (inputQuant) => lowerModel(calibrateModel(g, { ...opts, inputQuant }).graph, { ...opts, inputQuant }), opts.inputQuant));
}

/** The float and the lowered model on the same inputs: agreement, accuracies, identical bits per layer. */
export function check(model: ModelSource, opts: CheckOptions = {}): CheckReport {
  const p = prepare(model, opts);
  return checkModel(p.float, p.lowered, sampleSource(p.float, p.lowered, p.lowered.inputQuant, sampleFlags(opts)), opts.onProgress, references(model, opts, p));
}

/** check on `jobs` worker threads (src/check-worker.ts): the same report, samples in the same order. */
export async function checkOnThreads(model: ModelSource, opts: CheckOptions & { readonly jobs: number }): Promise<CheckReport> {
  const p = prepare(model, opts);
  return checkModelThreaded(p.float, p.lowered, sampleSource(p.float, p.lowered, p.lowered.inputQuant, sampleFlags(opts)), opts.jobs, opts.onProgress, references(model, opts, p));
}

/**
 * What check runs beside the float and the lowered model: with --binarize-weights the model's own float
 * weights (the accuracy binarizing costs), with calibration the float model with its quantizers.
 */
function references(model: ModelSource, opts: CheckOptions, p: Prepared): ReferenceModel[] {
  return [
    ...(opts.binarizeWeights ? [{ name: 'unbinarized', graph: loadModel(model, { ...opts, binarizeWeights: undefined }) }] : []),
    ...(p.calibrated ? [{ name: 'calibrated', graph: p.calibrated }] : []),
  ];
}

/** The model compiled for `target` and run there (emulator or host), every output compared bit for bit. */
export function verify(model: ModelSource, target: string | Target, opts: VerifyOptions = {}): VerifyReport & { expected?: ExpectReport } {
  const t = typeof target === 'string' ? loadTarget(target) : target;
  const { float, lowered } = prepare(model, { ...opts, portableMath: opts.portableMath ?? runsPortableMath(t) });
  // a lazy iterable: verify reads it batch by batch
  const inputs = rawInputs(sampleSource(float, lowered, lowered.inputQuant, sampleFlags(opts, 20)));
  const golden = expectation(lowered, inputs.count, { data: opts.data, expect: opts.expect, ...opts.thresholds }, readData);
  const run = verifyOnTarget(lowered, t, inputs, { prefix: opts.prefix, kernels: opts.kernels, timeoutMs: opts.timeoutMs, cflags: opts.cflags, onOutputs: golden?.add });
  // the stack figure the generated header states, from the same measurement
  const stackBytes = t.language === 'c' ? measureStack(lowered, t, { prefix: opts.prefix, kernels: opts.kernels })?.bytes : undefined;
  const report = stackBytes === undefined ? run : { ...run, stackBytes };
  return golden && report.ran ? { ...report, expected: golden.report() } : report;
}

/** Exact executed instructions, binary MACs, estimated cycles, flash and RAM per layer on `target`'s emulator. */
export function bench(model: ModelSource, target: string | Target, opts: BenchOptions = {}): BenchReport {
  const t = typeof target === 'string' ? loadTarget(target) : target;
  const { lowered } = prepare(model, opts);
  return benchLowered(lowered, t, { prefix: opts.prefix, kernels: opts.kernels, timeoutMs: opts.timeoutMs, reserve: opts.reserve });
}

/** The options as sampleSource reads them (it validates each and names it as the CLI flag). */
function sampleFlags(o: SampleOptions, defaultRandom?: number): SampleFlags {
  const text = (v: number | string | undefined) => (v === undefined ? undefined : String(v));
  return { data: o.data, labels: o.labels, random: text(o.random ?? (o.data === undefined ? defaultRandom : undefined)), seed: text(o.seed), limit: text(o.limit) };
}
