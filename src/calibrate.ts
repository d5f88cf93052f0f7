// `--calibrate FILE`: a float graph whose binary layers read float activations (a BinaryConnect network)
// gets an 8-bit quantizer per such tensor, its scale chosen from the float model's values on the
// calibration samples (docs/calibration.md). The reference interpreter runs the float model on each sample;
// a histogram per tensor (numeric/calibrate.ts) collects |x|; the method turns it into a clipping bound.
import { type CalibrationPoint, calibrationPoints } from './analyze/calibration.js';
import { MAX_SAMPLES, sampleSource } from './data/samples.js';
import { positiveInt } from './data/numbers.js';
import { fail } from './errors.js';
import type { Graph, InputQuant, Tensor } from './ir/types.js';
import { run } from './interp/run.js';
import { modelInputQuant } from './lower/input.js';
import { CALIBRATION_METHODS, type CalibrationMethod, clipBound, Histogram } from './numeric/calibrate.js';
import { insertQuant } from './passes/insert-quant.js';

/** The default method, chosen by measured accuracy (docs/calibration.md). */
export const DEFAULT_CALIBRATION_METHOD: CalibrationMethod = 'mse';
export const DEFAULT_CALIBRATION_LIMIT = 1000;

export interface CalibrateOptions {
  /** Raw integer inputs (idx, .npy or .pb), as `check --data` takes them. */
  readonly calibrate?: string;
  /** Use the first N samples only (default 1000). */
  readonly calibrateLimit?: number | string;
  /** How a scale is chosen from the values: 'mse' (default), 'percentile' or 'minmax'. */
  readonly calibrateMethod?: CalibrationMethod | string;
  /** How raw integer input maps to a float model input (as for the lowering). */
  readonly inputQuant?: InputQuant;
}

/** One calibrated tensor: where it is, what the data showed, the grid chosen. */
export interface TensorCalibration extends CalibrationPoint {
  readonly signed: boolean;
  readonly min: number;
  readonly max: number;
  /** Clipping bound: values beyond ±bound saturate. */
  readonly bound: number;
  /** float32 step of the 8-bit grid: q = round(x / scale). */
  readonly scale: number;
}

export interface Calibration {
  readonly method: CalibrationMethod;
  readonly samples: number;
  readonly tensors: readonly TensorCalibration[];
}

/**
 * The float graph with its calibrated quantizers (the very same graph when it needs none), and what the
 * calibration found. Without calibration data where the graph needs it: BNNC_E120.
 */
export function calibrateModel(float: Graph, opts: CalibrateOptions): { graph: Graph; calibration?: Calibration } {
  const method = calibrationMethod(opts.calibrateMethod);
  const limit = positiveInt('--calibrate-limit', opts.calibrateLimit === undefined ? undefined : String(opts.calibrateLimit), MAX_SAMPLES) ?? DEFAULT_CALIBRATION_LIMIT;
  const points = calibrationPoints(float);
  if (points.length === 0) return { graph: float };
  if (opts.calibrate === undefined) {
    const p = points[0];
    const more = points.length > 1 ? ` (and ${points.length - 1} more such tensor${points.length > 2 ? 's' : ''}: ${points.slice(1, 4).map((q) => `'${q.tensor}'`).join(', ')}${points.length > 4 ? ', …' : ''})` : '';
    fail('BNNC_E120', `${p.readerOp} '${p.reader}' reads '${p.tensor}' (computed by '${p.producer}'), a float activation with no quantizer in between${more}; give calibration data (raw inputs as for check --data) with --calibrate FILE, and bnnc quantizes each such tensor to 8 bits with a scale from the data`, { node: p.reader, tensor: p.tensor });
  }
  // a float input without a declared mapping: the lowering refuses it with its own message
  const input = float.inputs[0];
  const q = opts.inputQuant ?? modelInputQuant(float)?.quant;
  if (float.inputs.length !== 1 || (input.type.dtype !== 'uint8' && input.type.dtype !== 'int8' && !q)) return { graph: float };
  const samples = sampleSource(float, float, q, { data: opts.calibrate, limit: String(limit) });
  const calibration = calibrate(float, points, samples, method);
  const graph = insertQuant(float, calibration.tensors.map((t) => ({ tensor: t.tensor, scale: t.scale, signed: t.signed })));
  return { graph, calibration };
}

/** Runs the float model on every sample and chooses each point's grid by `method`. */
export function calibrate(float: Graph, points: readonly CalibrationPoint[], samples: Iterable<{ readonly x: Tensor }>, method: CalibrationMethod): Calibration {
  const hists = points.map(() => new Histogram());
  const input = float.inputs[0].name;
  let n = 0;
  for (const s of samples) {
    const values = run(float, { [input]: s.x }, { keepAll: true });
    points.forEach((p, i) => hists[i].add(values.get(p.tensor)!.data));
    n++;
  }
  const tensors = points.map((p, i) => grid(p, hists[i], method));
  return { method, samples: n, tensors };
}

/** The 8-bit grid of one tensor: unsigned where no value was negative, else signed; zero point 0. */
export function grid(p: CalibrationPoint, h: Histogram, method: CalibrationMethod): TensorCalibration {
  const signed = h.min < 0;
  const qmax = signed ? 127 : 255;
  const bound = clipBound(h, method, qmax);
  // every value 0: any step represents it; 1 keeps the grid a normal float32
  let scale = bound > 0 ? Math.fround(bound / qmax) : 1;
  if (!(scale >= 2 ** -126)) scale = 2 ** -126;
  return { ...p, signed, min: h.min, max: h.max, bound, scale };
}

function calibrationMethod(m: string | undefined): CalibrationMethod {
  if (m === undefined) return DEFAULT_CALIBRATION_METHOD;
  if (!(CALIBRATION_METHODS as readonly string[]).includes(m)) fail('BNNC_E019', `--calibrate-method '${m}': expected ${CALIBRATION_METHODS.join(', ')}`);
  return m as CalibrationMethod;
}
