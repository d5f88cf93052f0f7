// What the generated file embeds beside the network (issue #14): golden input/output pairs for the on-device
// self-test (`--selftest N`: `<prefix>_selftest()` runs the network on each embedded input and counts the
// vectors whose output bytes differ from the reference interpreter's), and the TypeScript definition of
// `<prefix>_quantize_input`, the float → raw conversion the C helper computes bit for bit.
import { fail } from '../errors.js';
import { run } from '../interp/run.js';
import type { Graph, InputQuant, Tensor } from '../ir/types.js';
import { roundHalfEven } from '../ops/qonnx/rounding.js';
import { constArray, type ConstArray } from '../ops/c-layer.js';
import { tensorBytes } from './verify.js';

/** Golden vectors at most: each costs flash (its input and output bytes). */
export const MAX_SELFTEST = 1000;

export interface SelftestData {
  count: number;
  /** The inputs, one after the other, in the input's C type. */
  inputs: ConstArray;
  /** The expected output bytes of each vector (every output in order, little-endian as the targets store them). */
  outputs: ConstArray;
  /** Output bytes per vector. */
  vectorBytes: number;
}

/** The reference interpreter's outputs for `inputs` on `lowered`, as the constant arrays of the self-test. */
export function selftestData(lowered: Graph, prefix: string, inputCtype: string, inputs: readonly Tensor[]): SelftestData {
  if (inputs.length < 1 || inputs.length > MAX_SELFTEST) fail('BNNC_E100', `--selftest ${inputs.length}: expected 1 to ${MAX_SELFTEST} vectors`);
  const name = lowered.inputs[0].name;
  const ins: number[] = [], outs: number[] = [];
  for (const x of inputs) {
    for (const v of x.data) ins.push(Number(v));
    const values = run(lowered, { [name]: x });
    for (const o of lowered.outputs) for (const b of tensorBytes(values.get(o)!)) outs.push(b);
  }
  if (!['uint8_t', 'int8_t', 'int32_t', 'float'].includes(inputCtype)) fail('BNNC_E101', `--selftest: inputs of C type ${inputCtype} cannot be embedded`);
  return {
    count: inputs.length,
    inputs: constArray(`${prefix}_selftest_in`, inputCtype as ConstArray['ctype'], ins, 16),
    outputs: constArray(`${prefix}_selftest_out`, 'uint8_t', outs, 16),
    vectorBytes: outs.length / inputs.length,
  };
}

/**
 * `<prefix>_quantize_input` in TypeScript, as the lowering's input Quant defines it (QONNX Quant, float32):
 * q = clip(round_half_even(x / scale + zero_point), lo, hi), with scale = fround(scale / divisor) as the
 * header states it; NaN maps to the zero point.
 */
export function quantizeInput(x: ArrayLike<number>, q: InputQuant): number[] {
  const s = Math.fround(q.scale / q.divisor);
  const [lo, hi] = q.dtype === 'uint8' ? [0, 255] : [-128, 127];
  return Array.from(x, (v) => {
    const t = Math.fround(Math.fround(Math.fround(v) / s) + q.zeroPoint);
    if (Number.isNaN(t)) return q.zeroPoint;
    return Math.min(hi, Math.max(lo, roundHalfEven(t))) + 0;
  });
}
