// tfc_w1a1.finn.onnx (FINN, opset 12): MultiThreshold signs, ±1 MatMul weights, Div 255 pre-processing,
// TopK output; published 92.96 % on MNIST, and FINN's golden vectors in ../shared/data/tfc_golden.
import { describe, expect, it } from 'vitest';
import { loadModel } from '../../src/compile.js';
import { readNpy } from '../../src/data/datasets.js';
import { inspectGraph } from '../../src/inspect.js';
import { run } from '../../src/interp/run.js';
import { tensor } from '../../src/ir/tensor.js';
import { expectLoweredMatches, haveMnist } from '../helpers/mnist.js';
import { sharedFile } from '../helpers/resources.js';

const MODEL = 'tfc_w1a1.finn.onnx';

describe.skipIf(!haveMnist(MODEL))(MODEL, () => {
  it('loads, shows MultiThreshold signs, reproduces the golden vectors and 92.96 % float and lowered', () => {
    const g = loadModel(sharedFile(`models/${MODEL}`));
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
    // the float input is the raw 0..255 pixel: --input-scale 1
    expectLoweredMatches(g, { dtype: 'uint8', scale: 1, divisor: 1, zeroPoint: 0 }, 0.9296);
  });
});
