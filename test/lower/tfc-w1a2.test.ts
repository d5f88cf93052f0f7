// A trained network with 2-bit activations: ../shared's tfc_w1a1 QONNX model (a Brevitas export, ±1
// weights) with each batch norm's BipolarQuant replaced by a signed 2-bit QONNX Quant (scale 0.5, levels
// −1, −0.5, 0, 0.5): the form of Brevitas' TFC-W1A2. Its weights were trained for 1-bit activations, so
// its accuracy is its own; what is checked is the exactness claim on real data: on the 10,000 MNIST test
// images the lowered network's top-1 agrees with the float model's on ≥ 99.9 % and the two accuracies
// are within 0.1 point.
import { describe, expect, it } from 'vitest';
import { checkModel, type CheckSample, sampleFromRaw } from '../../src/check.js';
import { lowerModel } from '../../src/compile.js';
import { readIdx } from '../../src/data/datasets.js';
import type { Graph } from '../../src/ir/types.js';
import type { InputQuant } from '../../src/lower/lower.js';
import { available, hasShared, sharedFile } from '../helpers/resources.js';
import { TFC_W1A1, tfcW1A2 } from './int-nets.js';

const IMAGES = 'data/mnist/t10k-images-idx3-ubyte.gz';
const LABELS = 'data/mnist/t10k-labels-idx1-ubyte.gz';
const HAVE = available('../shared (tfc_w1a1.qonnx.onnx and the MNIST test set)', hasShared(TFC_W1A1) && hasShared(IMAGES) && hasShared(LABELS));
const Q: InputQuant = { dtype: 'uint8', scale: 1, divisor: 255, zeroPoint: 0 };

function* samples(g: Graph, lowered: Graph, n: number): Generator<CheckSample> {
  const images = readIdx(sharedFile(IMAGES)), labels = readIdx(sharedFile(LABELS));
  for (let i = 0; i < n; i++) yield sampleFromRaw(g.inputs[0].type, images.data.subarray(i * 784, (i + 1) * 784), Q, lowered.inputs[0].type.shape, labels.data[i]);
}

describe.skipIf(!HAVE)('tfc_w1a1 made W1A2 (2-bit QONNX Quant activations)', () => {
  it('10,000 MNIST test images: top-1 agreement ≥ 99.9 %, accuracies within 0.1 point', () => {
    const g = tfcW1A2();
    const lowered = lowerModel(g, { inputQuant: Q });
    expect(lowered.nodes.filter((n) => n.op === 'MultiThreshold')).toHaveLength(3);
    expect(g.nodes.filter((n) => n.op === 'Quant')).toHaveLength(3);
    const r = checkModel(g, lowered, samples(g, lowered, 10000));
    console.log(`tfc W1A2: float accuracy ${r.float_accuracy}, lowered ${r.lowered_accuracy}, agreement ${r.agreement}`);
    expect(r.samples).toBe(10000);
    expect(r.float_accuracy!).toBeGreaterThan(0.5); // not a broken network
    expect(r.agreement).toBeGreaterThanOrEqual(0.999);
    expect(Math.abs(r.lowered_accuracy! - r.float_accuracy!)).toBeLessThanOrEqual(0.001);
  });
});
