// The three real BNN exports in ../shared/models load, show their binary layers in `inspect`; over all
// 10,000 MNIST test images the float interpreter reproduces their published accuracy (independent figures
// from ../shared/models/README.md), and the lowered integer-only network (`bnnc check`) reaches it within
// 0.1 percentage point, agreeing with the float model on at least 99.9 % of the images, every
// disagreement explained.
import { describe, expect, it } from 'vitest';
import { loadModel } from '../src/compile.js';
import { readIdx } from '../src/data/datasets.js';
import { inspectGraph } from '../src/inspect.js';
import { run } from '../src/interp/run.js';
import { tensor } from '../src/ir/tensor.js';
import type { Graph, Tensor } from '../src/ir/types.js';
import { readNpy } from '../src/data/datasets.js';
import { lowerModel } from '../src/compile.js';
import { checkModel, type CheckSample, sampleFromRaw } from '../src/check.js';
import type { InputQuant } from '../src/lower/lower.js';
import { hasShared, sharedFile } from './helpers/resources.js';

const MODELS = 'models/tfc_w1a1.qonnx.onnx';
const HAVE = hasShared(MODELS) && hasShared('data/mnist/t10k-images-idx3-ubyte.gz');

function argmax(d: ArrayLike<number>, off: number, n: number): number {
  let best = 0;
  for (let i = 1; i < n; i++) if (d[off + i] > d[off + best]) best = i;
  return best;
}

/** Top-1 accuracy of a float graph on MNIST, feeding `batch` images at a time through `toInput`. */
function accuracy(g: Graph, images: Tensor, labels: Tensor, batch: number, toInput: (pixels: ArrayLike<number>) => Tensor, classOf: (out: Tensor, k: number) => number): number {
  const n = labels.shape[0];
  let correct = 0;
  for (let s = 0; s < n; s += batch) {
    const px = images.data.subarray(s * 784, (s + batch) * 784);
    const out = run(g, { [g.inputs[0].name]: toInput(px) }).get(g.outputs[0])!;
    for (let k = 0; k < batch; k++) if (classOf(out, k) === labels.data[s + k]) correct++;
  }
  return correct / n;
}

function* mnistSamples(g: Graph, lowered: Graph, images: Tensor, labels: Tensor, q: InputQuant): Generator<CheckSample> {
  for (let i = 0; i < labels.shape[0]; i++) {
    yield sampleFromRaw(g.inputs[0].type, images.data.subarray(i * 784, (i + 1) * 784), q, lowered.inputs[0].type.shape, labels.data[i]);
  }
}

/** Lowers with the stated input quantization and checks the published accuracy on all 10,000 images. */
function expectLoweredMatches(g: Graph, images: Tensor, labels: Tensor, q: InputQuant, published: number): void {
  const lowered = lowerModel(g, { inputQuant: q });
  const r = checkModel(g, lowered, mnistSamples(g, lowered, images, labels, q));
  expect(r.samples).toBe(10000);
  expect(r.float_accuracy).toBeCloseTo(published, 4);
  expect(Math.abs(r.lowered_accuracy! - r.float_accuracy!)).toBeLessThanOrEqual(0.001);
  expect(r.agreement).toBeGreaterThanOrEqual(0.999);
  for (const d of r.disagreements) expect(d.cause).toMatch(/threshold|rounding/);
}

describe.skipIf(!HAVE)('real models from ../shared/models', () => {
  const images = HAVE ? readIdx(sharedFile('data/mnist/t10k-images-idx3-ubyte.gz')) : tensor('uint8', [0]);
  const labels = HAVE ? readIdx(sharedFile('data/mnist/t10k-labels-idx1-ubyte.gz')) : tensor('uint8', [0]);
  const scores = (out: Tensor, k: number) => argmax(out.data, k * out.shape[1], out.shape[1]);

  it('tfc_w1a1.qonnx.onnx (Brevitas → QONNX): loads, shows 4 binary layers, 92.96 % on MNIST', () => {
    const g = loadModel(sharedFile('models/tfc_w1a1.qonnx.onnx'));
    const report = inspectGraph(g);
    expect(report.nodes.filter((r) => r.binaryWeights === 'bipolar').map((r) => r.op)).toEqual(['MatMul', 'MatMul', 'MatMul', 'MatMul']);
    expect(report.nodes.filter((r) => r.binaryActivation).length).toBe(4);
    // the float input is pixel / 255: raw bytes with --input-scale 1/255
    expectLoweredMatches(g, images, labels, { dtype: 'uint8', scale: 1, divisor: 255, zeroPoint: 0 }, 0.9296);
  });

  it('tfc_w1a1.finn.onnx (FINN): loads, shows MultiThreshold signs, 92.96 % and the golden vectors', () => {
    const g = loadModel(sharedFile('models/tfc_w1a1.finn.onnx'));
    const report = inspectGraph(g);
    expect(report.nodes.filter((r) => r.binaryWeights === 'bipolar').length).toBe(4);
    expect(report.nodes.filter((r) => r.binaryActivation === 'MultiThreshold(bipolar)').length).toBe(4);
    const golden = readNpy(sharedFile('data/tfc_golden/input.npy'));
    const expected = readNpy(sharedFile('data/tfc_golden/expected_output.npy'));
    const got: number[] = [];
    for (let k = 0; k < 4; k++) {
      const x = tensor('float32', [1, 1, 28, 28], golden.data.subarray(k * 784, (k + 1) * 784));
      got.push(run(g, { [g.inputs[0].name]: x }).get(g.outputs[0])!.data[0]);
    }
    expect(got).toEqual(Array.from(expected.data));
    expectLoweredMatches(g, images, labels, { dtype: 'uint8', scale: 1, divisor: 1, zeroPoint: 0 }, 0.9296);
  });

  it('mnist_cnn_bnn.fastinference.onnx: loads with a symbolic batch, shows its binary layers, 90.31 % on MNIST', () => {
    const batch = 100;
    const g = loadModel(sharedFile('models/mnist_cnn_bnn.fastinference.onnx'), { inputShapes: new Map([['input', [batch, 784]]]) });
    const g1 = loadModel(sharedFile('models/mnist_cnn_bnn.fastinference.onnx'));
    const report = inspectGraph(g);
    expect(report.nodes.filter((r) => r.binaryWeights === 'bipolar').map((r) => r.op)).toEqual(['Conv', 'Conv', 'Gemm', 'Gemm']);
    expect(report.nodes.filter((r) => r.binaryActivation === 'Where(±1)').length).toBe(3);
    // the exporter's pipeline fed pixel × 255 (see ../shared/models/README.md)
    const acc = accuracy(g, images, labels, batch, (px) => tensor('float32', [batch, 784], Array.from(px, (p) => p * 255)), scores);
    expect(acc).toBeCloseTo(0.9031, 4);
    expectLoweredMatches(g1, images, labels, { dtype: 'uint8', scale: 255, divisor: 1, zeroPoint: 0 }, 0.9031);
  }, 600_000);
});
