// Per-element and per-channel thresholds on the raw input (issue #13 item 3): tabular or sensor features
// binarized each by its own batch norm (or offset) before a dense layer, and an image input binarized per
// channel before a conv. Float models checked against onnxruntime, every bit and top-1 against the float
// model, the tabular network as C on the host and the emulated Cortex-M4; per-position thresholds in front
// of a conv are refused (BNNC_E162).
import { describe, expect, it } from 'vitest';
import { loadTarget } from '../../src/backend/target.js';
import { verifyOnTarget } from '../../src/backend/verify.js';
import { lowerModel } from '../../src/compile.js';
import { CompileError } from '../../src/errors.js';
import { tensor } from '../../src/ir/tensor.js';
import { rng } from '../helpers/onnx-build.js';
import { hasTool } from '../helpers/resources.js';
import { expectMatchesOrt } from '../passes/forms.js';
import { lowerAndCheck, loweredOps, Net, Q256 } from './net.js';

/** 12 features, each with its own batch norm then Sign, two binary dense layers. */
function tabular(seed: number, F = 12): Net {
  const net = new Net(seed, { dtype: 'float32', shape: [1, F] });
  // per-feature batch norms with means spread over the feature range, so thresholds differ per element
  net.stat = { mean: Array.from({ length: F }, () => 0.2 + 0.6 * net.r()), std: new Array<number>(F).fill(0.3) };
  return net.bn().sign().dense(32).bn().sign().dense(4, { bias: true }).output();
}

const feedsFor = (shape: number[], n: number, seed: number) => {
  const r = rng(seed);
  const size = shape.reduce((a, b) => a * b, 1);
  return Array.from({ length: n }, () => ({ x: tensor('float32', shape, Array.from({ length: size }, () => Math.floor(r() * 256) / 256)) }));
};

const modelOf = (net: Net, shape: number[]) => ({ inputs: [{ name: 'x', dtype: 'float32' as const, shape }], outputs: net.outputs, nodes: net.nodes, initializers: net.inits });

describe('thresholds per element of a flattened raw input', () => {
  it('tabular features, one batch norm per feature: one threshold each, every bit matches', async () => {
    const net = tabular(1300);
    await expectMatchesOrt(modelOf(net, [1, 12]), net.float(), feedsFor([1, 12], 5, 1), { ulps: 4, absTol: 1e-5 });
    const { lowered } = lowerAndCheck(net, Q256, { n: 60 });
    expect(loweredOps(lowered)).toEqual(['Reshape', 'Threshold', 'XnorConv', 'Threshold', 'XnorConv', 'Epilogue']);
    const t = lowered.initializers.get(lowered.nodes[1].inputs[1])!;
    expect(t.shape).toEqual([12]);
    expect(new Set(t.data).size, 'distinct thresholds').toBeGreaterThan(6);
  });

  it('an image input flattened, then a per-element offset and Sign, then a dense layer', async () => {
    const net = new Net(1301, { dtype: 'float32', shape: [1, 2, 4, 4] }).flatten();
    const E = 32;
    net.node('Add', [net.x, net.f32('off', [1, E], Array.from({ length: E }, () => -(0.2 + 0.6 * net.r())))]);
    net.stat = { mean: new Array<number>(E).fill(0), std: new Array<number>(E).fill(0.3) };
    net.C = E; net.H = 1; net.W = 1;
    net.sign().dense(16).bn().sign().dense(3).output();
    await expectMatchesOrt(modelOf(net, [1, 2, 4, 4]), net.float(), feedsFor([1, 2, 4, 4], 5, 2), { ulps: 4, absTol: 1e-5 });
    const { lowered } = lowerAndCheck(net, Q256, { n: 60 });
    expect(lowered.initializers.get(lowered.nodes.find((n) => n.op === 'Threshold')!.inputs[1])!.shape).toEqual([E]);
  });
});

describe('thresholds per channel of an image input', () => {
  it('BatchNormalization per channel, Sign, a binary conv', async () => {
    const net = new Net(1302, { dtype: 'float32', shape: [1, 3, 6, 6] });
    net.stat = { mean: [0.3, 0.5, 0.7], std: [0.3, 0.3, 0.3] };
    net.bn().sign().conv(8, { pads: [1, 1, 1, 1] }).bn().sign().flatten().dense(3).output();
    await expectMatchesOrt(modelOf(net, [1, 3, 6, 6]), net.float(), feedsFor([1, 3, 6, 6], 5, 3), { ulps: 4, absTol: 1e-5 });
    const { lowered } = lowerAndCheck(net, Q256, { n: 40 });
    const th = lowered.nodes[0];
    expect([th.op, th.attrs.layout]).toEqual(['Threshold', 'NCHW']);
    expect(new Set(lowered.initializers.get(th.inputs[1])!.data).size).toBe(3);
  });

  it('a per-position offset in front of a conv: BNNC_E162', () => {
    const net = new Net(1303, { dtype: 'float32', shape: [1, 2, 4, 4] });
    net.node('Add', [net.x, net.f32('off', [1, 2, 4, 4], Array.from({ length: 32 }, (_, i) => -0.3 - 0.01 * i))]);
    net.sign().conv(4).bn().sign().flatten().dense(3).output();
    let e: CompileError | undefined;
    try { lowerModel(net.float(), { inputQuant: Q256 }); } catch (x) { e = x as CompileError; }
    expect(e?.code).toBe('BNNC_E162');
    expect(e!.detail).toMatch(/per channel, or per element where it is flattened/);
  });
});

describe('the tabular network as C, bit for bit with the reference interpreter', () => {
  for (const { target, tools } of [{ target: 'host', tools: ['gcc'] }, { target: 'cortex-m4', tools: ['arm-none-eabi-gcc', 'qemu-system-arm'] }]) {
    it.skipIf(!tools.every(hasTool))(`${target} (skipped without ${tools.join(', ')})`, () => {
      const lowered = lowerModel(tabular(1304, 40).float(), { inputQuant: Q256 });
      const r = rng(5);
      const inputs = Array.from({ length: 16 }, () => tensor('uint8', [...lowered.inputs[0].type.shape], Array.from({ length: 40 }, () => Math.floor(r() * 256))));
      const report = verifyOnTarget(lowered, loadTarget(target), inputs);
      expect(report.ran).toBe(true);
      expect(report.firstMismatches).toEqual([]);
      expect(report.mismatchedVectors).toBe(0);
    });
  }
});
