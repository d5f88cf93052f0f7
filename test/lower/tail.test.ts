// check/compile parity (issue #13 item 4): a node reading a layer's sum before its sign (XNOR-Net's Abs for
// its K scaling, a Pad) used to end the binary layers silently, so every later layer stayed in float: check
// reported full agreement with a model compile refused. The lowering refuses it itself (BNNC_E160, naming
// the node and the layers that would stay in float; K itself is BNNC_E164); check, compile and inspect all
// meet that one error.
import { describe, expect, it } from 'vitest';
import { compile, lowerModel } from '../../src/compile.js';
import { CompileError } from '../../src/errors.js';
import { formatInspect, inspectGraph } from '../../src/inspect.js';
import { check, inspect } from '../../src/library.js';
import { lowerAndCheck, loweredOps, Net, Q256 } from './net.js';

function errorOf(f: () => unknown): CompileError {
  try {
    f();
  } catch (e) {
    if (e instanceof CompileError) return e;
    throw e;
  }
  throw new Error('no CompileError');
}

/**
 * XNOR-Net's input scaling around a binary conv: y = (sign(I) ⊛ W) · K, K = box_k×k(mean_c |I|), where I
 * is the first layer's batch-normalized sum; then batch norm, sign, a dense classifier.
 */
function xnorK(seed = 901): { net: Net; abs: string } {
  const net = new Net(seed, { dtype: 'float32', shape: [1, 2, 8, 8] }).conv(8, { pads: [1, 1, 1, 1] }).bn();
  const I = net.x;
  net.sign().conv(8, { pads: [1, 1, 1, 1] });
  const B = net.x;
  const abs = net.node('Abs', [I], undefined, { name: 'k_abs' })[0];
  net.node('ReduceMean', [abs], { axes: [1], keepdims: 1 });
  net.node('Conv', [net.x, net.f32('box', [1, 1, 3, 3], new Array<number>(9).fill(1 / 9))], { kernel_shape: [3, 3], pads: [1, 1, 1, 1] });
  net.node('Mul', [B, net.x]);
  net.bn().sign().flatten().dense(3).output();
  return { net, abs: 'k_abs' };
}

describe('a node that reads a layer sum before its sign: BNNC_E160 from the lowering itself', () => {
  it('XNOR-Net K: refused at the Abs as K (BNNC_E164), naming its four nodes and what bnnc would need', () => {
    const { net, abs } = xnorK();
    const float = net.float();
    const e = errorOf(() => lowerModel(float, { inputQuant: Q256 }));
    expect([e.code, e.where.node]).toEqual(['BNNC_E164', abs]);
    expect(e.detail).toMatch(/'k_abs' \(Abs\) → mean over channels 'ReduceMean_\d+' → box filter 'Conv_\d+' → 'Mul_\d+'/);
    expect(e.detail).toMatch(/per-pixel integer scales/);
  });

  it('an Abs of a layer sum that is not K (then a dense layer): BNNC_E160, naming the layers that would stay in float', () => {
    const net = new Net(906, { dtype: 'float32', shape: [1, 2, 6, 6] }).conv(8).bn().unary('Abs').flatten().dense(4);
    const dense = net.nodes.at(-1)!.name!;
    net.output();
    const e = errorOf(() => lowerModel(net.float(), { inputQuant: Q256 }));
    expect(e.code).toBe('BNNC_E160');
    expect(e.detail).toContain(`binary layer '${dense}' after it would stay in float`);
  });

  it('check refuses K with the same error as compile (once it reported 100 % with no binary layer)', () => {
    const bytes = xnorK().net.bytes();
    const viaCheck = errorOf(() => check(bytes, { inputQuant: Q256, random: 5 }));
    const viaCompile = errorOf(() => compile(bytes, 'host', { inputQuant: Q256 }));
    expect([viaCheck.code, viaCheck.where.node]).toEqual(['BNNC_E164', 'k_abs']);
    expect([viaCompile.code, viaCompile.where.node, viaCompile.detail]).toEqual([viaCheck.code, viaCheck.where.node, viaCheck.detail]);
  });

  it('inspect marks the Abs with the code and says the lowering refused, naming the node', () => {
    const r = inspect(xnorK().net.bytes(), { inputQuant: Q256 });
    expect(r.lowering?.ok).toBe(false);
    const marked = r.nodes.filter((n) => n.refused);
    expect(marked.map((n) => [n.name, n.refused!.code])).toEqual([['k_abs', 'BNNC_E164']]);
    const text = formatInspect(r);
    expect(text).toMatch(/k_abs .*<- BNNC_E164/);
    expect(text).toMatch(/lowering refused: BNNC_E164.*node 'k_abs' \(Abs\)/);
  });

  it('inspect of a model the lowering takes says so (with the scale it assumed for a float input)', () => {
    const net = new Net(905, { dtype: 'float32', shape: [1, 2, 6, 6] }).conv(8).bn().sign().flatten().dense(3).output();
    const r = inspect(net.bytes());
    expect(r.lowering).toEqual({ ok: true, inputQuant: 'assumed 1/255' });
    expect(r.nodes.some((n) => n.refused)).toBe(false);
    expect(formatInspect(r)).toMatch(/lowering: every node taken \(input scale assumed 1\/255; give --input-scale\)/);
    expect(inspect(net.bytes(), { inputQuant: Q256 }).lowering).toEqual({ ok: true, inputQuant: 'declared' });
    // without the lowering's verdict (the report page, which has the lowered graph already) nothing is said
    expect(formatInspect(inspectGraph(net.float()))).not.toMatch(/lowering/);
  });

  it('a non-zero Pad on a layer sum before the sign', () => {
    const net = new Net(902, { dtype: 'float32', shape: [1, 2, 6, 6] }).conv(8).bn();
    net.pad([1, 1, 1, 1], 0);
    const pad = net.nodes.at(-1)!.name!;
    net.sign().conv(4).bn().sign().flatten().dense(3).output();
    const e = errorOf(() => lowerModel(net.float(), { inputQuant: Q256 }));
    expect([e.code, e.where.node]).toEqual(['BNNC_E160', pad]);
    expect(e.detail).toMatch(/binary layers '.*', '.*' after it would stay in float/);
  });

  it('a binary layer after the last layer\'s Softmax: that layer named as staying in float', () => {
    const net = new Net(903, { dtype: 'float32', shape: [1, 2, 6, 6] }).conv(8).bn().sign().flatten().dense(6);
    net.node('Softmax', [net.x], { axis: 1 }, { name: 'sm' });
    net.dense(3);
    const last = net.nodes.at(-1)!.name!;
    net.output();
    const e = errorOf(() => lowerModel(net.float(), { inputQuant: Q256 }));
    expect([e.code, e.where.node]).toEqual(['BNNC_E160', last]);
    expect(e.detail).toMatch(new RegExp(`binary layer '${last}' would stay in float: the binary layers end at 'sm' \\(Softmax\\)`));
  });

  it('what the back ends run after the last layer still lowers (ArgMax)', () => {
    const net = new Net(904, { dtype: 'float32', shape: [1, 2, 6, 6] }).conv(8).bn().sign().flatten().dense(5, { bias: true });
    net.node('ArgMax', [net.x], { axis: 1, keepdims: 0 });
    net.output('int64');
    const { lowered } = lowerAndCheck(net, Q256);
    expect(loweredOps(lowered)).toEqual(['IntConv', 'Threshold', 'XnorConv', 'Epilogue', 'ArgMax']);
  });
});
