// Sigmoid after the last layer (a one-logit binary classifier, issue #13 item 3): ONNX Sigmoid in the
// interpreter against onnxruntime; the portable-math pass makes it bnnc.Sigmoid32 (exp32), within a few ULPs
// of the exact logistic function over a dense grid; a binary network ending in Dense(1) → Sigmoid lowered
// and compared with the float model; Sigmoid32 alone on wide inputs (saturation, subnormals, ±∞) and that
// network as C, bit for bit with the interpreter on the host and the emulated Cortex-M4.
import { describe, expect, it } from 'vitest';
import { loadTarget } from '../../src/backend/target.js';
import { verifyOnTarget } from '../../src/backend/verify.js';
import { lowerModel } from '../../src/compile.js';
import { tensor } from '../../src/ir/tensor.js';
import type { Graph, Tensor } from '../../src/ir/types.js';
import { sigmoid32 } from '../../src/numeric/kernels.js';
import { compareWithOrt, rng, ulpDistance32 } from '../helpers/onnx-build.js';
import { hasTool } from '../helpers/resources.js';
import { lowerAndCheck, loweredOps, Net, Q256 } from '../lower/net.js';

const RUNS = [
  { target: 'host', tools: ['gcc'] },
  { target: 'cortex-m4', tools: ['arm-none-eabi-gcc', 'qemu-system-arm'] },
];

function expectBitExact(g: Graph, target: string, inputs: Tensor[]): void {
  const report = verifyOnTarget(g, loadTarget(target), inputs);
  expect(report.ran).toBe(true);
  expect(report.vectors).toBe(inputs.length);
  expect(report.firstMismatches).toEqual([]);
  expect(report.mismatchedVectors).toBe(0);
}

/** Wide float32 values: every scale up to overflow of exp, the saturation edges, subnormals, zeros, ±∞. */
function wide(n: number, seed: number): number[] {
  const r = rng(seed);
  const special = [0, -0, Infinity, -Infinity, 2 ** -149, -(2 ** -149), 88.72, -88.72, 103.9, -103.9, 104.1, -104.1, 16.6, -16.6, 87.3, -87.4];
  return [...special, ...Array.from({ length: n - special.length }, (_, i) => Math.fround((2 * r() - 1) * [1, 8, 20, 90, 120, 1e30][i % 6]))];
}

describe('ONNX Sigmoid in the interpreter', () => {
  it('agrees with onnxruntime (float32, wide inputs)', async () => {
    // onnxruntime's logistic approximates, and below about −18 it flushes to 0: within 4 ULPs or 1e-7
    const x = tensor('float32', [4, 64], wide(256, 1).map((v) => (Number.isFinite(v) ? v : 0)));
    await compareWithOrt({ inputs: [{ name: 'x', dtype: 'float32', shape: [4, 64] }], outputs: [{ name: 'y', dtype: 'float32' }], nodes: [{ op: 'Sigmoid', inputs: ['x'], outputs: ['y'] }] },
      { x }, { ulps: 4, absTol: 1e-7 });
  });
});

describe('Sigmoid32', () => {
  it('is within 3 ULPs of the exact logistic function over a dense grid of [−110, 110] (subnormal results included), and saturates like it', () => {
    const xs: number[] = [];
    for (let v = -110; v <= 110; v += 1 / 64) xs.push(Math.fround(v + 1 / 4096));
    const y = sigmoid32(xs);
    let worst = 0;
    xs.forEach((x, i) => { worst = Math.max(worst, ulpDistance32(y[i], Math.fround(1 / (1 + Math.exp(-x))))); });
    console.log(`Sigmoid32: worst ${worst} ULP over ${xs.length} points`);
    expect(worst).toBeLessThanOrEqual(3);
    expect(Array.from(sigmoid32([Infinity, -Infinity, 0, 200, -200]))).toEqual([1, 0, 0.5, 1, 0]);
    expect(Number.isNaN(sigmoid32([NaN])[0])).toBe(true);
  });
});

/** A one-logit binary classifier: conv, BN, sign, conv, BN, sign, Dense(1) with a large alpha, Sigmoid. */
function classifier(seed: number): Net {
  const net = new Net(seed, { dtype: 'float32', shape: [1, 2, 8, 8] }).conv(16, { pads: [1, 1, 1, 1] }).bn().sign().maxPool();
  net.conv(16, { pads: [1, 1, 1, 1] }).bn().sign().flatten().dense(1, { bias: true, alpha: 0.5 });
  net.node('Sigmoid', [net.x]);
  return net.output();
}

describe('Sigmoid after the last layer', () => {
  it('lowers to Epilogue then Sigmoid32; every bit and the score within the output bound', () => {
    const { lowered } = lowerAndCheck(classifier(1500), Q256, { n: 40 });
    expect(loweredOps(lowered).slice(-2)).toEqual(['Epilogue', 'Sigmoid32']);
  });

  it('the ts target keeps ONNX Sigmoid (the engine\'s exp) and runs it bit for bit', () => {
    const lowered = lowerModel(classifier(1502).float(), { inputQuant: Q256, portableMath: false });
    expect(loweredOps(lowered).at(-1)).toBe('Sigmoid');
    const r = rng(4);
    expectBitExact(lowered, 'ts', Array.from({ length: 8 }, () => tensor('uint8', lowered.inputs[0].type.shape, Array.from({ length: 128 }, () => Math.floor(r() * 256)))));
  });

  for (const { target, tools } of RUNS) {
    it.skipIf(!tools.every(hasTool))(`as C on ${target}: the classifier and Sigmoid32 alone on wide inputs, bit for bit (skipped without ${tools.join(', ')})`, () => {
      const lowered = lowerModel(classifier(1501).float(), { inputQuant: Q256 });
      const r = rng(3);
      const t = lowered.inputs[0].type;
      expectBitExact(lowered, target, Array.from({ length: 16 }, () => tensor('uint8', t.shape, Array.from({ length: 128 }, () => Math.floor(r() * 256)))));
      const ft = { dtype: 'float32' as const, shape: [1, 512] };
      const alone: Graph = {
        name: 'sigmoid32_alone', opset: 13, inputs: [{ name: 'x', type: ft }], outputs: ['y'], initializers: new Map(),
        nodes: [{ name: 'sg', op: 'Sigmoid32', domain: 'bnnc', inputs: ['x'], outputs: ['y'], attrs: {} }], types: new Map([['x', ft], ['y', ft]]),
      };
      expectBitExact(alone, target, [0, 1, 2].map((s) => tensor('float32', ft.shape, wide(512, 10 + s))));
    });
  }
});
