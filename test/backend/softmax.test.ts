// Softmax and LogSoftmax after the last layer in C: the portable-math pass turns them into bnnc.Softmax32 /
// LogSoftmax32 (exp32/log32, src/numeric/float32-math.ts), and the generated C matches the interpreter bit for
// bit: the fastinference CNN with its LogSoftmax on MNIST (host, Cortex-M4 under QEMU), small random binary
// networks ending in Softmax / LogSoftmax through the user's path, and the ops alone along inner axes on wide
// float inputs (underflow to subnormals and 0, x − max overflowing to −∞), on the host and on every other
// target compiler (run under QEMU where there is an emulator: soft-float Cortex-M0+, FPU cores, RISC-V).
import { describe, expect, it } from 'vitest';
import { listTargets, loadTarget } from '../../src/backend/target.js';
import { verifyOnTarget } from '../../src/backend/verify.js';
import { loadModel, lowerModel } from '../../src/compile.js';
import { run } from '../../src/interp/run.js';
import { tensor } from '../../src/ir/tensor.js';
import type { Graph, Tensor } from '../../src/ir/types.js';
import { importModelBytes } from '../../src/onnx/import.js';
import { IMPORT_PIPELINE, runPipeline } from '../../src/passes/index.js';
import { portableMath } from '../../src/passes/portable-math.js';
import { buildModel, rng, ulpDistance32, type NodeIn } from '../helpers/onnx-build.js';
import { hasShared, hasTool, ROOT, sharedFile } from '../helpers/resources.js';
import { MNIST, MODELS, mnistInputs } from './helpers.js';

const FI = MODELS.find((m) => m.file.includes('fastinference'))!;
const RUNS = [
  { target: 'host', tools: ['gcc'] },
  { target: 'cortex-m4', tools: ['arm-none-eabi-gcc', 'qemu-system-arm'] },
];

function expectBitExact(g: Graph, target: string, inputs: Tensor[], label: string, mayNotRun = false): void {
  const report = verifyOnTarget(g, loadTarget(target), inputs);
  console.log(`${label} on ${target}: ${report.vectors} vectors, ${report.mismatchedVectors} mismatched; ${report.note}`);
  expect(report.ran).toBe(!mayNotRun || loadTarget(target).runner !== 'none');
  expect(report.vectors).toBe(inputs.length);
  expect(report.firstMismatches).toEqual([]);
  expect(report.mismatchedVectors).toBe(0);
}

describe('the fastinference CNN with its LogSoftmax', () => {
  const material = hasShared(FI.file) && hasShared(MNIST);
  /** Lowered as the CLI does (lowerModel), then portable-math (a no-op once lowerModel runs it). */
  const lower = () => lowerModel(loadModel(sharedFile(FI.file)), { inputQuant: FI.quant });

  it.skipIf(!material)('portable-math moves the scores by a few ULP at most and keeps every top-1', () => {
    const plain = lower();
    const g = portableMath(plain);
    const last = g.nodes[g.nodes.length - 1];
    expect(`${last.domain}.${last.op}`).toBe('bnnc.LogSoftmax32');
    expect(last.attrs.axis).toBe(1);
    const inputs = mnistInputs(g, 200);
    let worstAbs = 0, worstUlp = 0;
    for (const x of inputs) {
      const a = run(plain, { [g.inputs[0].name]: x }).get(g.outputs[0])!.data;
      const b = run(g, { [g.inputs[0].name]: x }).get(g.outputs[0])!.data;
      const top = (d: ArrayLike<number>) => Array.from(d).indexOf(Math.max(...Array.from(d)));
      expect(top(b)).toBe(top(a));
      for (let i = 0; i < a.length; i++) {
        worstAbs = Math.max(worstAbs, Math.abs(a[i] - b[i]));
        worstUlp = Math.max(worstUlp, ulpDistance32(a[i], b[i]));
      }
    }
    console.log(`fastinference LogSoftmax, Math.exp/log vs exp32/log32 over 200 images: max |Δ| ${worstAbs.toExponential(2)}, max ${worstUlp} ULP`);
    // y = d − log(s) with s ∈ [1, 10]: log s moves by ≤ 1 ULP (2^−22) plus what the sum moves
    expect(worstAbs).toBeLessThanOrEqual(2 ** -20);
  });

  describe.each(RUNS)('on $target', ({ target, tools }) => {
    it.skipIf(!material || !tools.every(hasTool))('30 MNIST images: bit-exact', () => {
      const g = portableMath(lower());
      expectBitExact(g, target, mnistInputs(g, 30), 'fastinference CNN + LogSoftmax32');
    });
  });
});

interface NetCase { seed: number; opset: number; op: 'Softmax' | 'LogSoftmax'; axis?: number; alpha: number }

/**
 * Conv 3x3 (±1 weights) → BatchNormalization → Sign → Flatten → Gemm (±1, scaled by alpha) → op. A large alpha
 * spreads the logits over hundreds, so exp32(x − max) underflows to subnormals and to 0.
 */
function softmaxNet(c: NetCase): Graph {
  const r = rng(c.seed);
  const pm1 = () => (r() < 0.5 ? -1 : 1);
  const f = (shape: number[], g: () => number) => tensor('float32', shape, Array.from({ length: shape.reduce((a, b) => a * b, 1) }, g));
  const c0 = 2, h = 6, m = 24, classes = 10, span = 255 * c0 * 9;
  const inits: Record<string, Tensor> = {
    w0: f([m, c0, 3, 3], pm1), g0: f([m], () => pm1() * (0.25 + 2 * r())), b0: f([m], () => r() * 4 - 2),
    mu0: f([m], () => (r() - 0.5) * span * 0.3 + span / 2), var0: f([m], () => 0.5 + 3 * r()),
    wd: f([classes, m * h * h], pm1), bd: f([classes], () => r() * 10 - 5),
  };
  const nodes: NodeIn[] = [
    { op: 'Conv', inputs: ['x', 'w0'], outputs: ['conv'], attrs: { kernel_shape: [3, 3], pads: [1, 1, 1, 1] } },
    { op: 'BatchNormalization', inputs: ['conv', 'g0', 'b0', 'mu0', 'var0'], outputs: ['bn'], attrs: { epsilon: { float: 1e-5 } } },
    { op: 'Sign', inputs: ['bn'], outputs: ['sign'] },
    { op: 'Flatten', inputs: ['sign'], outputs: ['flat'], attrs: { axis: 1 } },
    { op: 'Gemm', inputs: ['flat', 'wd', 'bd'], outputs: ['logits'], attrs: { transB: 1, alpha: { float: c.alpha } } },
    { op: c.op, inputs: ['logits'], outputs: ['y'], attrs: c.axis === undefined ? {} : { axis: c.axis } },
  ];
  const bytes = buildModel({ inputs: [{ name: 'x', dtype: 'float32', shape: [1, c0, h, h] }], outputs: [{ name: 'y', dtype: 'float32' }], nodes, initializers: inits, opset: c.opset });
  const float = runPipeline(importModelBytes(bytes), IMPORT_PIPELINE);
  return portableMath(lowerModel(float, { inputQuant: { dtype: 'uint8', scale: 1, divisor: 1, zeroPoint: 0 } }));
}

const NETS: NetCase[] = [
  { seed: 1, opset: 13, op: 'Softmax', alpha: 0.125 },
  { seed: 2, opset: 11, op: 'Softmax', axis: 1, alpha: 3 },
  { seed: 3, opset: 11, op: 'Softmax', alpha: 0.5 },
  { seed: 4, opset: 13, op: 'LogSoftmax', axis: -1, alpha: 3 },
];

describe('random binary networks ending in Softmax / LogSoftmax, on the host', () => {
  it.skipIf(!hasTool('gcc')).each(NETS)('seed $seed, opset $opset $op (alpha $alpha): bit-exact', (c) => {
    const g = softmaxNet(c);
    const last = g.nodes[g.nodes.length - 1];
    expect(`${last.domain}.${last.op}`).toBe(`bnnc.${c.op}32`);
    const r = rng(1000 + c.seed);
    const t = g.inputs[0].type;
    const inputs = Array.from({ length: 40 }, () => tensor(t.dtype, t.shape, Array.from({ length: t.shape.reduce((a, b) => a * b, 1) }, () => Math.floor(r() * 256))));
    // the extreme cases do reach the underflow paths
    if (c.alpha > 1) {
      const ys = inputs.flatMap((x) => Array.from(run(g, { [g.inputs[0].name]: x }).get(g.outputs[0])!.data));
      if (c.op === 'Softmax') expect(ys.some((v) => v === 0) && ys.some((v) => v > 0 && v < 2 ** -126)).toBe(true);
      else expect(Math.min(...ys)).toBeLessThan(-104);
    }
    expectBitExact(g, 'host', inputs, `seed ${c.seed} ${c.op}32`);
  });
});

/** bnnc.<op> alone on a float32 input; `both`: Softmax32 along axis 1 and LogSoftmax32 along axis 2, two outputs. */
function alone(op: 'Softmax32' | 'LogSoftmax32' | 'both', shape: number[], axis: number): Graph {
  const t = { dtype: 'float32' as const, shape };
  const nodes = op === 'both'
    ? [{ name: 'sm', op: 'Softmax32', domain: 'bnnc', inputs: ['x'], outputs: ['y'], attrs: { axis: 1 } },
      { name: 'lsm', op: 'LogSoftmax32', domain: 'bnnc', inputs: ['x'], outputs: ['z'], attrs: { axis: 2 } }]
    : [{ name: 'sm', op, domain: 'bnnc', inputs: ['x'], outputs: ['y'], attrs: { axis } }];
  const outs = nodes.map((n) => n.outputs[0]);
  return {
    name: `${op}_alone`, opset: 13, inputs: [{ name: 'x', type: t }], outputs: outs, nodes,
    initializers: new Map(), types: new Map([['x', t], ...outs.map((o): [string, typeof t] => [o, t])]),
  };
}

/** Rows at several scales, the last ones so large that x − max overflows to −∞. */
function wideInputs(shape: number[], seed: number, perScale = 5): Tensor[] {
  const r = rng(seed);
  const n = shape.reduce((a, b) => a * b, 1);
  return [1, 10, 60, 200, 1e30, 3e38].flatMap((s) => Array.from({ length: perScale }, () => tensor('float32', shape, Array.from({ length: n }, () => Math.fround((2 * r() - 1) * s)))));
}

describe('Softmax32 / LogSoftmax32 alone on wide float inputs, on the host', () => {
  const cases: ['Softmax32' | 'LogSoftmax32', number[], number][] = [
    ['Softmax32', [1, 10], 1], ['LogSoftmax32', [1, 10], 1],
    ['Softmax32', [1, 4, 3, 5], 1], ['LogSoftmax32', [1, 4, 3, 5], 2], ['Softmax32', [1, 3, 7], 2], ['LogSoftmax32', [1, 1, 33], 2],
  ];
  it.skipIf(!hasTool('gcc')).each(cases)('%s %j axis %d: bit-exact', (op, shape, axis) => {
    expectBitExact(alone(op, shape, axis), 'host', wideInputs(shape, shape.reduce((a, b) => a * b, axis)), `${op} ${JSON.stringify(shape)} axis ${axis}`);
  });
});

describe('Softmax32 + LogSoftmax32 in one model on every other C target', () => {
  const targets = listTargets().filter((t) => t !== 'host' && loadTarget(t).compiler.cc.endsWith('gcc')).sort();
  it.each(targets)('%s: warning-free, and bit-exact where it runs', (target) => {
    const t = loadTarget(target);
    const tools = [t.compiler.cc, ...(t.emulator ? [t.emulator.command] : [])];
    if (!tools.every(hasTool)) return;
    expectBitExact(alone('both', [1, 6, 4, 5], 0), target, wideInputs([1, 6, 4, 5], 99, 2), 'Softmax32 axis 1 + LogSoftmax32 axis 2', true);
  });
});
