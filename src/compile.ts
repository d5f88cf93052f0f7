// The compiler's driver, one screen: load (decode → import → passes) → lower (normalize → binarize) →
// emit (a back end's files). Pure functions of their inputs apart from reading the model file; only
// src/cli.ts touches argv, writes files and sets exit codes. The library entry is src/index.ts.
import { createHash } from 'node:crypto';
import { readFileSync, statSync } from 'node:fs';
import { basename, dirname, resolve } from 'node:path';
import { emitC } from './backend/emit.js';
import { loadTarget, type Target } from './backend/target.js';
import type { KernelVariant } from './backend/kernels.js';
import type { Package } from './backend/target.js';
import { fail } from './errors.js';
import type { Graph, InputQuant } from './ir/types.js';
import { lowerGraph } from './lower/lower.js';
import { importModelBytes, type ImportOptions } from './onnx/import.js';
import { binarizeWeights } from './passes/binarize-weights.js';
import { IMPORT_PIPELINE, NORMALIZE_PIPELINE, runPipeline, type PipelineOptions } from './passes/index.js';
import { portableMath } from './passes/portable-math.js';
import { rawInputs, sampleSource } from './data/samples.js';
import { labelsFromMetadata, parseLabelsText, type Labels } from './backend/labels.js';
import { measureStack } from './backend/footprint.js';
import { modelMetadata } from './onnx/metadata.js';
import { type Calibration, calibrateModel, type CalibrateOptions } from './calibrate.js';

export { parseInputQuant } from './input-quant.js';

/** ONNX's protobuf format caps a model file at 2 GiB. */
export const MAX_MODEL_BYTES = 2 ** 31;

/** A model: the path of an .onnx file (external data resolves beside it), or its bytes. */
export type ModelSource = string | Uint8Array;

export interface LoadOptions extends Omit<ImportOptions, 'modelDir'>, PipelineOptions {
  /** Latent float weights to binarize XNOR-Net style: 'all' or node names. */
  readonly binarizeWeights?: 'all' | readonly string[];
}

export interface LowerOptions extends PipelineOptions, CalibrateOptions {
  /** How raw integer input maps to a float model input; default: the model's own 8-bit input Quant. */
  readonly inputQuant?: InputQuant;
  /** false keeps the engine's Math.exp/Math.log for Softmax (the `ts` target runs in the same engine). */
  readonly portableMath?: boolean;
}

export interface CompileOptions extends LoadOptions, LowerOptions {
  /** Names the files and the C symbols: <prefix>.c, <prefix>.h, <prefix>_run. Default 'bnn_model' (the CLI's
   * default is `defaultPrefix` of the model file's name). */
  readonly prefix?: string;
  /** Class names of the first output (`<prefix>_labels[]`): a labels file's path (one name a line); default:
   * the model's metadata_props (labels.ts LABEL_KEYS), else none. */
  readonly labels?: string;
  /** false: no stack measurement (the header states the bound); default: measured with the target's compiler when installed. */
  readonly measureStack?: boolean;
  /** Binary conv kernels: 'optimized' (default, from the target's features) or the portable 'reference'. */
  readonly kernels?: KernelVariant;
  /** The build files beside the C (docs/integration.md); default: the target's declared package. */
  readonly package?: Package;
  /** Golden vectors for `<prefix>_selftest()`: raw inputs from `data`, else `count` seeded random ones. */
  readonly selftest?: { readonly count: number; readonly data?: string; readonly seed?: number | string };
  /** The options as the header states them (`<PREFIX>_OPTIONS`); default: target, prefix, kernels. */
  readonly optionsText?: string;
}

/** The model compiled for `target`: file name → content (C sources and header, build files, README). */
export function compile(model: ModelSource, target: string | Target, opts: CompileOptions = {}): Map<string, string> {
  return build(model, target, opts).files;
}

/** compile() with the graphs it went through (a chip's fit check measures the lowered one). */
export function build(model: ModelSource, target: string | Target, opts: CompileOptions = {}): { float: Graph; lowered: Graph; files: Map<string, string>; prefix: string } {
  const t = typeof target === 'string' ? loadTarget(target) : target;
  if (opts.prefix !== undefined && !/^[A-Za-z_][A-Za-z0-9_]{0,40}$/.test(opts.prefix)) fail('BNNC_E019', `--prefix '${opts.prefix}': expected a C identifier`);
  const prefix = opts.prefix ?? 'bnn_model';
  // the header states the SHA-256 of the very bytes compiled; class names may come from their metadata_props
  let modelSha256 = '';
  let meta: Labels | undefined;
  const { float, lowered } = prepare(model, { ...opts, portableMath: opts.portableMath ?? runsPortableMath(t) }, (b) => {
    modelSha256 = createHash('sha256').update(b).digest('hex');
    if (opts.labels === undefined) meta = labelsFromMetadata(modelMetadata(b));
  });
  const labels = opts.labels !== undefined ? readLabelsFile(opts.labels) : meta;
  const st = opts.selftest;
  const selftest = st ? [...rawInputs(sampleSource(float, lowered, lowered.inputQuant, { data: st.data, random: st.data ? undefined : String(st.count), seed: st.seed === undefined ? undefined : String(st.seed), limit: String(st.count) }))] : undefined;
  const stack = t.language === 'c' && opts.measureStack !== false ? measureStack(lowered, t, { prefix, kernels: opts.kernels }) : undefined;
  const files = emitC(lowered, t, { prefix, kernels: opts.kernels, package: opts.package, identity: { modelSha256, options: opts.optionsText }, selftest, labels, stack });
  return { float, lowered, files, prefix };
}

/**
 * The default C prefix of a model file: its name without the `.onnx` extension, lower-cased, every run of
 * characters other than a-z, 0-9 and _ turned into one _, leading and trailing _ removed, `m_` put before a
 * leading digit, at most 40 characters; `bnn_model` when nothing is left. `models/KWS-v2.onnx` → `kws_v2`.
 */
export function defaultPrefix(path: string): string {
  const id = basename(path).replace(/\.onnx$/i, '').toLowerCase().replace(/[^a-z0-9_]+/g, '_').replace(/^_+|_+$/g, '');
  const p = (/^[0-9]/.test(id) ? `m_${id}` : id).slice(0, 40).replace(/_+$/, '');
  return p === '' ? 'bnn_model' : p;
}

/** `--labels FILE`: one class name a line (BNNC_E151 when unreadable). */
function readLabelsFile(path: string): Labels {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    fail('BNNC_E151', `--labels '${path}': ${(e as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (e as Error).message}`);
  }
  return parseLabelsText(text, `--labels ${basename(path)}`);
}

/**
 * The float graph (what the model computes) and the lowered one (what every back end compiles); between
 * them, where the float graph's layers read unquantized float activations, the calibrated quantizers
 * (`--calibrate`): `calibrated` is the float graph with them, and `calibration` what the data gave.
 */
export function prepare(model: ModelSource, opts: LoadOptions & LowerOptions = {}, read?: (bytes: Uint8Array) => void): Prepared {
  const float = loadModel(model, opts, read);
  const { graph, calibration } = calibrateModel(float, opts);
  if (calibration) opts.after?.('calibrate', graph);
  return { float, lowered: lowerModel(graph, opts), ...(calibration ? { calibrated: graph, calibration } : {}) };
}

export interface Prepared {
  readonly float: Graph;
  readonly lowered: Graph;
  readonly calibrated?: Graph;
  readonly calibration?: Calibration;
}

/** Softmax as bnnc's portable float32 code in C; a `ts` module runs in this engine, with its Math.exp. */
export function runsPortableMath(target: Target): boolean {
  return target.language === 'c';
}

/** Reads a model into the float IR: imported, shapes inferred, constants folded. */
export function loadModel(model: ModelSource, opts: LoadOptions = {}, read?: (bytes: Uint8Array) => void): Graph {
  const bytes = typeof model === 'string' ? readModelFile(model) : model;
  read?.(bytes);
  const modelDir = typeof model === 'string' ? dirname(resolve(model)) : undefined;
  const g = runPipeline(importModelBytes(bytes, { ...opts, modelDir }), IMPORT_PIPELINE, opts);
  return opts.binarizeWeights ? binarizeWeights(g, opts.binarizeWeights) : g;
}

/**
 * The float graph → the integer-only binary network (normalization, then binarization), with the input
 * quantization on it. Softmax and LogSoftmax after the last layer become bnnc's portable float32 versions,
 * which C computes bit for bit, unless `portableMath: false`.
 */
export function lowerModel(float: Graph, opts: LowerOptions = {}): Graph {
  const plain = lowerGraph(runPipeline(float, NORMALIZE_PIPELINE, opts), { inputQuant: opts.inputQuant });
  const lowered = opts.portableMath === false ? plain : portableMath(plain);
  opts.after?.('lower', lowered);
  return lowered;
}

export function readModelFile(path: string): Uint8Array {
  let size: number;
  try {
    const st = statSync(path);
    if (!st.isFile()) fail('BNNC_E001', `'${path}' is not a regular file`);
    size = st.size;
  } catch (e) {
    if ((e as { code?: string }).code?.startsWith('BNNC_')) throw e;
    fail('BNNC_E001', `'${path}': ${(e as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (e as Error).message}`);
  }
  if (size > MAX_MODEL_BYTES) fail('BNNC_E001', `'${path}' is ${size} bytes; an ONNX model file is at most 2 GiB`);
  return readFileSync(path);
}
