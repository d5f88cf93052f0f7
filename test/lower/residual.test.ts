// Residual and pooled BNNs (#13) built in code, lowered and compared with the float model on seeded inputs:
// average pools over the pre-sign sums (SumPool, 1/k in the thresholds), over binary activations
// (BitSumPool → an IntTensor read by a sign), over an IntTensor stream; Bi-Real blocks x + BN(conv(sign x))
// with an 8-bit Quant on the stream (AddRequant), RSign's per-channel shift; and the coded refusals.
import { describe, expect, it } from 'vitest';
import { lowerModel } from '../../src/compile.js';
import { CompileError } from '../../src/errors.js';
import { lowerAndCheck, loweredOps, Net, Q256 } from './net.js';
import { avgPool, biReal, bitPools, concatNet, P1, presignPools } from './residual-nets.js';

function code(f: () => unknown): string {
  try { f(); } catch (e) { return e instanceof CompileError ? e.code : String(e); }
  return 'no error';
}

describe('average pools', () => {
  it('over the pre-sign sums: BN → AvgPool → Sign and BN → GlobalAveragePool → Sign (SumPool)', () => {
    const net = presignPools(1);
    const { lowered } = lowerAndCheck(net, Q256, { n: 40, minBits: 0.9995, minAgree: 1 });
    expect(loweredOps(lowered)).toEqual(['IntConv', 'SumPool', 'Threshold', 'XnorConv', 'SumPool', 'Threshold', 'XnorConv', 'Epilogue']);
  });

  it('over binary activations: Sign → AvgPool → BN → Sign (BitSumPool → thresholds on the counts)', () => {
    const net = bitPools(2);
    const { lowered } = lowerAndCheck(net, Q256, { n: 40, minBits: 0.9995, minAgree: 1 });
    expect(loweredOps(lowered)).toEqual(['IntConv', 'Threshold', 'BitSumPool', 'Threshold', 'XnorConv', 'Threshold', 'BitSumPool', 'Threshold', 'XnorConv', 'Epilogue']);
  });

  it('refuses windows that divide by different counts (BNNC_E141) and non-affine sums (BNNC_E144)', () => {
    const padded = new Net(3, { dtype: 'float32', shape: [1, 1, 6, 6] });
    padded.conv(8, { pads: P1 }).bn();
    avgPool(padded, 3, 1, P1, 0).sign().flatten().dense(3).output();
    expect(code(() => lowerModel(padded.float(), { inputQuant: Q256 }))).toBe('BNNC_E141');
    const relu = new Net(4, { dtype: 'float32', shape: [1, 1, 6, 6] });
    relu.conv(8, { pads: P1 }).bn().unary('Relu').center();
    avgPool(relu, 2).sign().flatten().dense(3).output();
    expect(code(() => lowerModel(relu.float(), { inputQuant: Q256 }))).toBe('BNNC_E144');
  });
});

describe('Bi-Real blocks: x + BN(binconv(sign(x))) on an 8-bit stream', () => {
  it('two blocks: the first joins two sums, the second the int8 stream and a sum (AddRequant)', () => {
    const { lowered } = lowerAndCheck(biReal(11, [{}, {}]), Q256, { n: 60, minBits: 0.9995, minAgree: 1 });
    expect(loweredOps(lowered)).toEqual(['IntConv', 'Threshold', 'XnorConv', 'AddRequant', 'Threshold', 'XnorConv', 'AddRequant', 'Threshold', 'XnorConv', 'Epilogue']);
    const joins = lowered.nodes.filter((n) => n.op === 'AddRequant');
    expect(joins.map((n) => lowered.types.get(n.outputs[0])!.dtype)).toEqual(['int8', 'int8']);
    // the second join reads the first's int8 stream
    expect(joins[1].inputs).toContain(joins[0].outputs[0]);
  });

  it('ReActNet RSign: a per-channel shift before each sign of the stream (per-channel thresholds on int8)', () => {
    const { lowered } = lowerAndCheck(biReal(12, [{ rsign: true }, { rsign: true }, { rsign: true }]), Q256, { n: 60, minBits: 0.9995, minAgree: 1 });
    const th = lowered.nodes.filter((n) => n.op === 'Threshold').slice(1);
    expect(th.map((n) => lowered.types.get(n.inputs[0])!.dtype)).toEqual(['int8', 'int8', 'int8']);
  });

  it('a stream quantized from the stem on (bnnc.MultiThreshold levels joined with a sum)', () => {
    const { lowered } = lowerAndCheck(biReal(15, [{}, { rsign: true }], 16, false, true), Q256, { n: 60, minBits: 0.9995, minAgree: 1 });
    const ops = loweredOps(lowered);
    expect(ops.filter((o) => o === 'MultiThreshold').length).toBe(1);
    expect(ops.filter((o) => o === 'AddRequant').length).toBe(2);
  });

  it('downsampling blocks: an AveragePool 2×2 shortcut (int16 sums) joined with a stride-2 conv', () => {
    const { lowered } = lowerAndCheck(biReal(16, [{ down: true }, {}, { down: true, rsign: true }], 16, false, true), Q256, { n: 60, minBits: 0.9995, minAgree: 1 });
    const joins = lowered.nodes.filter((n) => n.op === 'AddRequant');
    expect(joins.map((n) => n.inputs.slice(0, 2).map((s) => lowered.types.get(s)!.dtype).sort().join('+'))).toEqual(['int16+int32', 'int32+int8', 'int16+int32']);
  });

  it('ReActNet RPReLU on the stream (shift, PRelu, shift, Quant: level thresholds on int8)', () => {
    const { lowered } = lowerAndCheck(biReal(17, [{ rsign: true, rprelu: true }, { rsign: true, rprelu: true }], 16, false, true), Q256, { n: 60, minBits: 0.9995, minAgree: 1 });
    const mt = lowered.nodes.filter((n) => n.op === 'MultiThreshold');
    // the stem's Quant and the first RPReLU's (the last one's levels only reach the head's sign: thresholds)
    expect(mt.map((n) => lowered.types.get(n.inputs[0])!.dtype)).toEqual(['int32', 'int8']);
  });

  it('a channel Concat of two int8 streams (ChannelConcat) and of two branches\' bits (BitConcat, 13 + 20 channels)', () => {
    const ints = lowerAndCheck(concatNet(19, false), Q256, { n: 40, minBits: 0.9995, minAgree: 1 }).lowered;
    expect(loweredOps(ints)).toContain('ChannelConcat');
    const bits = lowerAndCheck(concatNet(20, true), Q256, { n: 40, minBits: 0.9995, minAgree: 1 }).lowered;
    const cat = bits.nodes.find((n) => n.op === 'BitConcat')!;
    expect(cat.attrs.channels).toEqual([13, 20]);
  });

  it('the stream on a plain-ONNX fake quantizer (Div, Round, Clip, Mul), as PyTorch exports one', () => {
    const { lowered } = lowerAndCheck(biReal(21, [{ plain: true }, { plain: true, down: true }, { plain: true, rsign: true }], 16, false), Q256, { n: 60, minBits: 0.9995, minAgree: 1 });
    expect(loweredOps(lowered).filter((o) => o === 'AddRequant').length).toBe(3);
    expect(loweredOps(lowered)).not.toContain('Round');
  });

  it('an average pool over the stream before the head (SumPool int16 → thresholds)', () => {
    const { lowered } = lowerAndCheck(biReal(13, [{}, {}], 16, true), Q256, { n: 60, minBits: 0.9995, minAgree: 1 });
    const pool = lowered.nodes.find((n) => n.op === 'SumPool')!;
    expect(lowered.types.get(pool.outputs[0])!.dtype).toBe('int16');
  });

  it('refuses a PRelu with a negative slope before a sign (not monotone: no thresholds)', () => {
    const net = new Net(18, { dtype: 'float32', shape: [1, 2, 6, 6] });
    net.conv(4, { pads: P1 }).bn();
    net.node('PRelu', [net.x, net.f32('slope', [4, 1, 1], [0.5, 0.25, -0.5, 1])]);
    net.sign().flatten().dense(3).output();
    let detail = '';
    try { lowerModel(net.float(), { inputQuant: Q256 }); } catch (e) { detail = e instanceof CompileError ? `${e.code} ${e.detail}` : String(e); }
    expect(detail).toMatch(/^BNNC_E031 PRelu slope -0.5 makes the activation non-monotone/);
  });

  it('refuses a join without a quantizer after it (BNNC_E142)', () => {
    const net = new Net(14, { dtype: 'float32', shape: [1, 2, 6, 6] });
    net.conv(8, { pads: P1 }).bn();
    const x = net.x;
    net.sign().conv(8, { pads: P1 }).bn();
    net.node('Add', [x, net.x]);
    net.sign().flatten().dense(3).output();
    expect(code(() => lowerModel(net.float(), { inputQuant: Q256 }))).toBe('BNNC_E142');
  });
});

