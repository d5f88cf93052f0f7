// tfc_w1a1.qonnx.onnx (Brevitas → QONNX, IR 6, opset 9): BipolarQuant on ±1 weights and activations,
// initializers listed as inputs, a Shape/Gather/Concat flatten; published 92.96 % on MNIST.
import { describe, expect, it } from 'vitest';
import { loadModel } from '../../src/compile.js';
import { inspectGraph } from '../../src/inspect.js';
import { expectLoweredMatches, haveMnist } from '../helpers/mnist.js';
import { sharedFile } from '../helpers/resources.js';

const MODEL = 'tfc_w1a1.qonnx.onnx';

describe.skipIf(!haveMnist(MODEL))(MODEL, () => {
  it('loads, shows 4 binary layers, and reaches 92.96 % float and lowered on MNIST', () => {
    const g = loadModel(sharedFile(`models/${MODEL}`));
    const report = inspectGraph(g);
    expect(report.nodes.filter((r) => r.binaryWeights === 'bipolar').map((r) => r.op)).toEqual(['MatMul', 'MatMul', 'MatMul', 'MatMul']);
    expect(report.nodes.filter((r) => r.binaryActivation === 'BipolarQuant').length).toBe(4);
    // the float input is pixel / 255: raw bytes with --input-scale 1/255
    expectLoweredMatches(g, { dtype: 'uint8', scale: 1, divisor: 255, zeroPoint: 0 }, 0.9296);
  });
});
