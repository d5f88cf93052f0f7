// The inputs of `check` and `verify`: raw integers from a data file (idx, .npy, .pb) or seeded random bytes.
// Options and the whole data file are checked up front; samples are made one at a time as they are
// consumed, so memory does not grow with --random or --limit (both capped at MAX_SAMPLES).
import { type CheckSample, outputClasses, sampleFromRaw } from '../check.js';
import { fail } from '../errors.js';
import { sizeOf } from '../ir/tensor.js';
import type { Graph, Tensor } from '../ir/types.js';
import { type InputQuant, modelInputQuant } from '../lower/lower.js';
import { readData } from './datasets.js';
import { intOption, positiveInt } from './numbers.js';

/** The most samples one `check` or `verify` run takes (--random, --limit). */
export const MAX_SAMPLES = 1_000_000;

export interface SampleFlags {
  /** A data file of raw integer inputs; else `random` seeded random inputs. */
  readonly data?: string;
  /** Labels for `data`, one per sample: integers from 0 to the model's class count − 1. */
  readonly labels?: string;
  readonly random?: string;
  readonly seed?: string;
  readonly limit?: string;
}

/** Samples, made as they are iterated (every iteration makes them afresh); `count` says how many. */
export interface SampleSource extends Iterable<CheckSample> {
  readonly count: number;
}

/**
 * The samples for `check` and `verify`. The raw input maps to the float one as `declared` says, else as the
 * model's own 8-bit input Quant does, else one to one (an 8-bit integer input). A data file holds N samples of
 * the model's input shape: its shape is [N, …input] (dimensions of 1 aside), or exactly the input shape
 * (one sample); a model with a flat input ([1, 784]) takes any sample shape of as many values ([N, 28, 28]).
 */
export function sampleSource(float: Graph, lowered: Graph, declared: InputQuant | undefined, o: SampleFlags): SampleSource {
  const q: InputQuant = declared ?? modelInputQuant(float)?.quant
    ?? { dtype: lowered.inputs[0].type.dtype === 'int8' ? 'int8' : 'uint8', scale: 1, divisor: 1, zeroPoint: 0 };
  const input = float.inputs[0].type;
  const per = sizeOf(input.shape);
  const lShape = lowered.inputs[0].type.shape;
  const limit = positiveInt('--limit', o.limit, MAX_SAMPLES) ?? MAX_SAMPLES;
  const [lo, hi] = q.dtype === 'uint8' ? [0, 255] : [-128, 127];
  if (o.data === undefined) {
    if (o.labels !== undefined) fail('BNNC_E019', '--labels needs --data');
    const n = Math.min(positiveInt('--random', o.random ?? '100', MAX_SAMPLES)!, limit);
    const seed = intOption('--seed', o.seed ?? '1', 0, 2 ** 32 - 1);
    return {
      count: n,
      *[Symbol.iterator]() {
        let s = seed;
        const next = () => { s = (Math.imul(s, 1664525) + 1013904223) >>> 0; return s >>> 24; };
        for (let i = 0; i < n; i++) yield sampleFromRaw(input, Array.from({ length: per }, () => lo + (next() % 256)), q, lShape);
      },
    };
  }
  if (o.random !== undefined) fail('BNNC_E019', 'give --data or --random, not both');
  const data = readData(o.data);
  const total = samplesIn(o.data, data.shape, input.shape);
  if (total === 0) fail('BNNC_E051', `'${o.data}' (shape [${data.shape}]) holds no samples`);
  const n = Math.min(total, limit);
  for (let i = 0; i < n * per; i++) {
    const v = data.data[i];
    if (!Number.isInteger(v) || v < lo || v > hi) {
      fail('BNNC_E050', `sample ${Math.floor(i / per)} of '${o.data}' holds ${v}, not a raw ${q.dtype} value; give raw integers, with --input-scale saying how they map to the model input`);
    }
  }
  const labels = o.labels === undefined ? undefined : checkLabels(o.labels, readData(o.labels), total, n, outputClasses(float));
  return {
    count: n,
    *[Symbol.iterator]() {
      for (let i = 0; i < n; i++) yield sampleFromRaw(input, data.data.subarray(i * per, (i + 1) * per), q, lShape, labels?.data[i]);
    },
  };
}

/** The raw integer inputs alone (what `verify` feeds the C), made as they are iterated. */
export function rawInputs(source: SampleSource): Iterable<Tensor> & { readonly count: number } {
  return {
    count: source.count,
    *[Symbol.iterator]() {
      for (const s of source) yield s.q;
    },
  };
}

const significant = (shape: readonly number[]) => shape.filter((d) => d !== 1);
const sameDims = (a: readonly number[], b: readonly number[]) => a.length === b.length && a.every((d, i) => d === b[i]);

/** How many samples of `input`'s shape a data array of `shape` holds, or BNNC_E050 when it is not a stack of them. */
function samplesIn(path: string, shape: readonly number[], input: readonly number[]): number {
  const want = significant(input);
  const flat = want.length <= 1;
  if (shape.length >= 1) {
    const rest = shape.slice(1);
    if (sameDims(significant(rest), want) || (flat && sizeOf(rest) === sizeOf(input))) return shape[0];
  }
  if (sameDims(significant(shape), want)) return 1;
  fail('BNNC_E050', `'${path}' has shape [${shape}]; the model input [${input}] needs [N, ${input.join(', ')}] (dimensions of 1 may be left out${flat ? `, and a sample may be any shape of ${sizeOf(input)} values` : ''})`);
}

/** Labels: one integer per sample of the data file, each a class the model's output can name. */
function checkLabels(path: string, t: Tensor, samples: number, used: number, classes: number | undefined): Tensor {
  if (sizeOf(t.shape) === 0) fail('BNNC_E051', `'${path}' (shape [${t.shape}]) holds no labels`);
  if (significant(t.shape).length > 1 || sizeOf(t.shape) !== samples) {
    fail('BNNC_E050', `'${path}' has shape [${t.shape}]: ${sizeOf(t.shape)} labels for ${samples} samples; expected one label per sample`);
  }
  for (let i = 0; i < used; i++) {
    const v = t.data[i];
    if (!Number.isInteger(v) || v < 0 || (classes !== undefined && v >= classes)) {
      fail('BNNC_E050', `label ${i} of '${path}' is ${v}; expected an integer from 0 to ${classes === undefined ? 'the last class' : classes - 1}${classes === undefined ? '' : ` (the model's output names ${classes} classes)`}`);
    }
  }
  return t;
}
