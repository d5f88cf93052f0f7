// mnist_cnn_bnn.fastinference.onnx (opset 11): ±1 Conv/Gemm weights with ±1 biases, BatchNormalization,
// Where(Greater(x, 0), 1, −1) signs, MaxPool, LogSoftmax, a symbolic batch; published 90.31 % on MNIST.
import { describe, expect, it } from 'vitest';
import { loadModel } from '../../src/compile.js';
import { inspectGraph } from '../../src/inspect.js';
import { expectLoweredMatches, haveMnist } from '../helpers/mnist.js';
import { sharedFile } from '../helpers/resources.js';

const MODEL = 'mnist_cnn_bnn.fastinference.onnx';

describe.skipIf(!haveMnist(MODEL))(MODEL, () => {
  it('loads with a symbolic batch, shows its binary layers, and reaches 90.31 % float and lowered', () => {
    // a symbolic batch dimension defaults to 1 and takes --input-shape
    const batched = loadModel(sharedFile(`models/${MODEL}`), { inputShapes: new Map([['input', [100, 784]]]) });
    expect(batched.types.get('output')!.shape).toEqual([100, 10]);
    const g = loadModel(sharedFile(`models/${MODEL}`));
    expect(g.types.get('output')!.shape).toEqual([1, 10]);
    const report = inspectGraph(g);
    expect(report.nodes.filter((r) => r.binaryWeights === 'bipolar').map((r) => r.op)).toEqual(['Conv', 'Conv', 'Gemm', 'Gemm']);
    expect(report.nodes.filter((r) => r.binaryActivation === 'Where(±1)').length).toBe(3);
    // the exporter's pipeline fed pixel × 255 (../shared/models/README.md): raw bytes with --input-scale 255
    expectLoweredMatches(g, { dtype: 'uint8', scale: 255, divisor: 1, zeroPoint: 0 }, 0.9031);
  });
});
