// compareWithOrt asserts dtype, shape and every element (test/helpers/onnx-build.ts); hasAssertions makes
// sure it did.
import { describe, expect, it } from 'vitest';
import { compareWithOrt, randomTensor, rng } from '../helpers/onnx-build.js';

describe('Add against onnxruntime', () => {
  it('broadcasts [2,3,4] + [3,1] bit-exactly in float32', async () => {
    expect.hasAssertions();
    const r = rng(1);
    await compareWithOrt({
      inputs: [{ name: 'a', dtype: 'float32', shape: [2, 3, 4] }, { name: 'b', dtype: 'float32', shape: [3, 1] }],
      outputs: [{ name: 'y', dtype: 'float32' }],
      nodes: [{ op: 'Add', inputs: ['a', 'b'], outputs: ['y'] }],
    }, { a: randomTensor(r, 'float32', [2, 3, 4]), b: randomTensor(r, 'float32', [3, 1]) });
  });
  it('adds int32 with wrap-free values exactly', async () => {
    expect.hasAssertions();
    const r = rng(2);
    await compareWithOrt({
      inputs: [{ name: 'a', dtype: 'int32', shape: [5] }, { name: 'b', dtype: 'int32', shape: [1] }],
      outputs: [{ name: 'y', dtype: 'int32' }],
      nodes: [{ op: 'Add', inputs: ['a', 'b'], outputs: ['y'] }],
    }, { a: randomTensor(r, 'int32', [5], -1000, 1000), b: randomTensor(r, 'int32', [1], -1000, 1000) });
  });
});
