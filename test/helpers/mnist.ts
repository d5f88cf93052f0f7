// MNIST from ../shared/data and the acceptance check shared by the real-model tests: over all 10,000 test
// images the float interpreter reproduces the published accuracy, and the lowered network reaches it
// within 0.1 percentage point, agreeing on at least 99.9 % of the images, every disagreement explained.
import { expect } from 'vitest';
import { checkModel, type CheckSample, sampleFromRaw } from '../../src/check.js';
import { lowerModel } from '../../src/compile.js';
import { readIdx } from '../../src/data/datasets.js';
import type { Graph, Tensor } from '../../src/ir/types.js';
import type { InputQuant } from '../../src/lower/lower.js';
import { hasShared, sharedFile } from './resources.js';

export function haveMnist(model: string): boolean {
  return hasShared(`models/${model}`) && hasShared('data/mnist/t10k-images-idx3-ubyte.gz');
}

export function mnist(): { images: Tensor; labels: Tensor } {
  return {
    images: readIdx(sharedFile('data/mnist/t10k-images-idx3-ubyte.gz')),
    labels: readIdx(sharedFile('data/mnist/t10k-labels-idx1-ubyte.gz')),
  };
}

function* samples(g: Graph, lowered: Graph, images: Tensor, labels: Tensor, q: InputQuant): Generator<CheckSample> {
  for (let i = 0; i < labels.shape[0]; i++) {
    yield sampleFromRaw(g.inputs[0].type, images.data.subarray(i * 784, (i + 1) * 784), q, lowered.inputs[0].type.shape, labels.data[i]);
  }
}

/** Lowers with the stated input quantization and checks the published accuracy on all 10,000 images. */
export function expectLoweredMatches(g: Graph, q: InputQuant, published: number): void {
  const { images, labels } = mnist();
  const lowered = lowerModel(g, { inputQuant: q });
  const r = checkModel(g, lowered, samples(g, lowered, images, labels, q));
  expect(r.samples).toBe(10000);
  expect(r.float_accuracy).toBeCloseTo(published, 4);
  expect(Math.abs(r.lowered_accuracy! - r.float_accuracy!)).toBeLessThanOrEqual(0.001);
  expect(r.agreement).toBeGreaterThanOrEqual(0.999);
  for (const d of r.disagreements) expect(d.cause).toMatch(/threshold|rounding/);
}
