// k-bit activations in C (issue #12): binary-weight networks whose activations the model quantizes (every
// form of test/lower/int-nets.ts, 2/4/8 bits, MLP, CNN, a quantized graph output) lower to
// bnnc.MultiThreshold → bnnc.IntConv (NHWC) → … → Epilogue or Dequantize, and ../shared's tfc_w1a1 made
// W1A2 on MNIST images (where ../shared is present); their C runs on the host, the
// emulated Cortex-M4 and the emulated ESP32-C3 (rv32), and the ts target's module, must equal the reference interpreter byte for byte.
import { describe, expect, it } from 'vitest';
import { loadTarget } from '../../src/backend/target.js';
import { verifyManyOnTarget, type VerifyCase } from '../../src/backend/verify.js';
import { lowerModel } from '../../src/compile.js';
import { sizeOf, tensor } from '../../src/ir/tensor.js';
import type { Graph, Tensor } from '../../src/ir/types.js';
import { rng } from '../helpers/onnx-build.js';
import { hasShared, hasTool } from '../helpers/resources.js';
import { MNIST, mnistInputs } from './helpers.js';
import { cnn, FORMS, mlp, quantizedOutput, TFC_W1A1, tfcW1A2 } from '../lower/int-nets.js';
import { Q256 } from '../lower/net.js';

const VECTORS = 10;

function inputsFor(g: Graph, seed: number): Tensor[] {
  const r = rng(seed), t = g.inputs[0].type, n = sizeOf(t.shape);
  return Array.from({ length: VECTORS }, (_, v) => tensor(t.dtype, t.shape, Array.from({ length: n }, () => (v === 0 ? 0 : v === 1 ? 255 : Math.floor(r() * 256)))));
}

/** Every form once as a CNN (bits cycling 2, 4, 8), the MLP and the quantized output for a few. */
function cases(): VerifyCase[] {
  const out: { prefix: string; graph: Graph }[] = [];
  FORMS.forEach((form, i) => {
    const bits = [2, 4, 8][i % 3], signed = i % 2 === 1;
    out.push({ prefix: `icnn${i}`, graph: lowerModel(cnn(form, bits, signed, 'alpha', 40 + i).net.float(), { inputQuant: Q256 }) });
    if (i % 3 === 0) out.push({ prefix: `imlp${i}`, graph: lowerModel(mlp(form, [4, 8, 2][i % 3], !signed, 'alpha', 60 + i).net.float(), { inputQuant: Q256 }) });
    if (i % 4 === 0) out.push({ prefix: `iout${i}`, graph: lowerModel(quantizedOutput(form, 3, signed, 'alpha', 80 + i).net.float(), { inputQuant: Q256 }) });
  });
  const all: VerifyCase[] = out.map((c, i) => ({ ...c, inputs: inputsFor(c.graph, 31 * i) }));
  // a trained network made W1A2 (../shared's tfc_w1a1 with 2-bit Quant activations) on MNIST test images
  if (hasShared(TFC_W1A1) && hasShared(MNIST)) {
    const graph = lowerModel(tfcW1A2(), { inputQuant: { dtype: 'uint8', scale: 1, divisor: 255, zeroPoint: 0 } });
    all.push({ prefix: 'tfcw1a2', graph, inputs: mnistInputs(graph, VECTORS) });
  }
  return all;
}

describe.each(['ts', 'host', 'cortex-m4', 'esp32c3'])('k-bit activation networks on %s', (name) => {
  const target = loadTarget(name);
  const ok = hasTool(target.compiler.cc) && (!target.emulator || hasTool(target.emulator.command));
  it.skipIf(!ok)('every output byte equals the interpreter', () => {
    // the optimized kernels (the default) everywhere; on the host the reference kernels as well
    const opt = cases();
    const all = name === 'host' ? [...opt, ...opt.map((c) => ({ ...c, prefix: `${c.prefix}r`, kernels: 'reference' as const }))] : opt;
    for (const c of all) expect(c.graph.nodes.some((n) => n.op === 'MultiThreshold'), c.prefix).toBe(true);
    // a few networks per image keep each emulated image within the core's memory
    const reports = [];
    for (let i = 0; i < all.length; i += 4) reports.push(...verifyManyOnTarget(all.slice(i, i + 4), target));
    const bad = reports.filter((r) => r.mismatchedVectors > 0 || !r.ran);
    for (const r of bad) console.log(JSON.stringify({ prefix: r.prefix, mismatched: r.mismatchedVectors, first: r.firstMismatches.slice(0, 3), layer: r.firstDifferingLayer }));
    expect(bad.map((r) => r.prefix)).toEqual([]);
    expect(reports.map((r) => r.vectors)).toEqual(all.map(() => VECTORS));
  });
});
