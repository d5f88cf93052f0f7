// conv1d-as-2d: Conv / MaxPool / AveragePool over [N, C, L] become the 2-D ops over [N, C, 1, L] between
// an Unsqueeze and a Squeeze. Checked: the 1-D model against onnxruntime, the rewritten graph against the
// original (bit-exact: the [1, k] kernel keeps the tap order), the Squeeze → Unsqueeze pairs between two
// windowed ops left out, and a binary Conv1d sensor network that lowers and runs bit-exact as C on the host.
import { describe, expect, it } from 'vitest';
import { tensor } from '../../src/ir/tensor.js';
import type { Tensor } from '../../src/ir/types.js';
import { conv1dAs2d } from '../../src/passes/conv1d-as-2d.js';
import { IMPORT_PIPELINE, runPipeline } from '../../src/passes/index.js';
import { inferAndFold } from '../../src/passes/infer-and-fold.js';
import { importModelBytes } from '../../src/onnx/import.js';
import { buildModel, type ModelIn, type NodeIn, randomTensor, rng } from '../helpers/onnx-build.js';
import { lowerAndCheck, loweredOps, Q256 } from '../lower/net.js';
import { expectSameOutputs, imported, ops, seededFeeds } from './equivalence.js';
import { expectHostBitExact, expectMatchesOrt, HAS_GCC } from './forms.js';

/** Conv1d (groups 2, stride 2, dilation 2, asymmetric pads, bias) → MaxPool1d (ceil_mode) → Relu → AvgPool1d → Conv1d. */
function chain(opset: number): ModelIn {
  const r = rng(61);
  return {
    opset,
    inputs: [{ name: 'x', dtype: 'float32', shape: [2, 4, 23] }],
    outputs: [{ name: 'y', dtype: 'float32' }, { name: 'b', dtype: 'float32' }],
    nodes: [
      { op: 'Conv', inputs: ['x', 'w1', 'b1'], outputs: ['a'], attrs: { kernel_shape: [3], strides: [2], dilations: [2], pads: [1, 2], group: 2 } },
      { op: 'MaxPool', inputs: ['a'], outputs: ['b'], attrs: { kernel_shape: [3], strides: [2], pads: [1, 0], ceil_mode: 1 } },
      { op: 'Relu', inputs: ['b'], outputs: ['c'] },
      { op: 'AveragePool', inputs: ['c'], outputs: ['d'], attrs: { kernel_shape: [3], pads: [1, 1], count_include_pad: 1 } },
      { op: 'Conv', inputs: ['d', 'w2'], outputs: ['y'], attrs: { kernel_shape: [2], auto_pad: 'SAME_UPPER' } },
    ],
    initializers: { w1: randomTensor(r, 'float32', [6, 2, 3]), b1: randomTensor(r, 'float32', [6]), w2: randomTensor(r, 'float32', [5, 6, 2]) },
  };
}

describe('conv1d-as-2d', () => {
  for (const opset of [11, 13]) {
    it(`opset ${opset}: the 1-D chain as 2-D ops, bit-exact, pairs between windowed ops left out`, async () => {
      const m = chain(opset);
      const before = inferAndFold(imported(m));
      const after = conv1dAs2d(before);
      expect(ops(after)).toEqual(['Unsqueeze', 'Conv', 'MaxPool', 'Squeeze', 'Relu', 'Unsqueeze', 'AveragePool', 'Conv', 'Squeeze']);
      const conv = after.nodes[1];
      expect(conv.attrs).toMatchObject({ kernel_shape: [1, 3], strides: [1, 2], dilations: [1, 2], pads: [0, 1, 0, 2], group: 2 });
      expect([...after.initializers.get(conv.inputs[1])!.shape]).toEqual([6, 2, 1, 3]);
      expect([...after.types.get(conv.outputs[0])!.shape]).toEqual([2, 6, 1, 11]);
      // axes as an attribute before opset 13, as an input from 13
      expect(after.nodes[0].inputs.length).toBe(opset >= 13 ? 2 : 1);
      expect(after.nodes[0].attrs.axes).toEqual(opset >= 13 ? undefined : [2]);
      expect(conv1dAs2d(after)).toBe(after);
      expect(after.initializers.has('w1')).toBe(false);
      const feeds = seededFeeds(before, 3, 62);
      await expectMatchesOrt(m, before, feeds, { ulps: 8, absTol: 1e-5 });
      expectSameOutputs(before, after, feeds);
      // the shape inference of the next pipeline step agrees with the types the pass wrote
      const again = inferAndFold(after, { fold: false });
      for (const [k, t] of after.types) expect([...again.types.get(k)!.shape], k).toEqual([...t.shape]);
    });
  }

  it('leaves 2-D ops alone', () => {
    const g = inferAndFold(imported({
      opset: 13, inputs: [{ name: 'x', dtype: 'float32', shape: [1, 2, 4, 4] }], outputs: [{ name: 'y', dtype: 'float32' }],
      nodes: [{ op: 'MaxPool', inputs: ['x'], outputs: ['y'], attrs: { kernel_shape: [2, 2] } }],
    }));
    expect(conv1dAs2d(g)).toBe(g);
  });

  it('a binary Conv1d sensor network [1, 3, 32] lowers, and runs bit-exact as C on the host', () => {
    const model = sensorNet(71);
    const float = runPipeline(importModelBytes(buildModel(model)), IMPORT_PIPELINE);
    expect(IMPORT_PIPELINE.map((p) => p.name)).toContain('conv1d-as-2d');
    const { lowered } = lowerAndCheck(float, Q256, { n: 30 });
    expect(loweredOps(lowered)).toEqual(['Reshape', 'IntConv', 'Threshold', 'BinaryMaxPool', 'XnorConv', 'Threshold', 'XnorConv', 'Epilogue']);
    if (!HAS_GCC) return void console.log('skipped the host run: gcc not found');
    expectHostBitExact(lowered, 72);
  });
});

/**
 * x [1, 3, 32] (q/256) → Conv1d 3→16 k5 pads 2 → BN → Sign → MaxPool1d 2 → Conv1d 16→33 k3 s2 pads 1 → BN →
 * Sign → Flatten → Gemm → 4 logits. ±1 weights; each batch norm centred on its filter's expected sum.
 */
function sensorNet(seed: number): ModelIn {
  const r = rng(seed);
  const pm1 = (n: number) => Array.from({ length: n }, () => (r() < 0.5 ? -1 : 1));
  const inits: Record<string, Tensor> = {};
  const nodes: NodeIn[] = [];
  const bn = (name: string, x: string, M: number, mean: number[], sd: number[]) => {
    inits[`${name}_g`] = tensor('float32', [M], Array.from({ length: M }, (_, m) => (m % 5 === 1 ? -1 : 1) * (0.5 + r())));
    inits[`${name}_b`] = tensor('float32', [M], Array.from({ length: M }, () => r() - 0.5));
    inits[`${name}_m`] = tensor('float32', [M], mean.map((mu, m) => mu + (r() - 0.5) * sd[m]));
    inits[`${name}_v`] = tensor('float32', [M], sd.map((s) => s * s));
    nodes.push({ op: 'BatchNormalization', inputs: [x, `${name}_g`, `${name}_b`, `${name}_m`, `${name}_v`], outputs: [`${name}_y`], attrs: { epsilon: { float: 1e-5 } } });
    nodes.push({ op: 'Sign', inputs: [`${name}_y`], outputs: [`${name}_s`] });
    return `${name}_s`;
  };
  const w1 = pm1(16 * 3 * 5), w2 = pm1(33 * 16 * 3);
  inits.w1 = tensor('float32', [16, 3, 5], w1);
  inits.w2 = tensor('float32', [33, 16, 3], w2);
  nodes.push({ op: 'Conv', inputs: ['x', 'w1'], outputs: ['c1'], attrs: { kernel_shape: [5], pads: [2, 2] } });
  // inputs uniform in [0, 1): mean 1/2, variance 1/12 per term
  const mean1 = Array.from({ length: 16 }, (_, m) => 0.5 * w1.slice(m * 15, (m + 1) * 15).reduce((a, b) => a + b, 0));
  const s1 = bn('bn1', 'c1', 16, mean1, new Array<number>(16).fill(Math.sqrt(15 / 12)));
  nodes.push({ op: 'MaxPool', inputs: [s1], outputs: ['p1'], attrs: { kernel_shape: [2], strides: [2] } });
  nodes.push({ op: 'Conv', inputs: ['p1', 'w2'], outputs: ['c2'], attrs: { kernel_shape: [3], strides: [2], pads: [1, 1] } });
  const s2 = bn('bn2', 'c2', 33, new Array<number>(33).fill(0), new Array<number>(33).fill(Math.sqrt(48)));
  nodes.push({ op: 'Flatten', inputs: [s2], outputs: ['f'], attrs: { axis: 1 } });
  inits.wd = tensor('float32', [4, 33 * 8], pm1(4 * 33 * 8));
  inits.bd = tensor('float32', [4], [0.5, -1.5, 2.5, -3.5]);
  nodes.push({ op: 'Gemm', inputs: ['f', 'wd', 'bd'], outputs: ['logits'], attrs: { transB: 1 } });
  return { opset: 13, inputs: [{ name: 'x', dtype: 'float32', shape: [1, 3, 32] }], outputs: [{ name: 'logits', dtype: 'float32' }], nodes, initializers: inits };
}
