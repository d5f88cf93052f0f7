// The C of residual and pooled BNNs (#13: SumPool, BitSumPool, AddRequant, thresholds on int8/int16
// streams) bit for bit against the reference interpreter, in both kernel variants, on the host and under
// QEMU on a Cortex-M4 (some also on a Cortex-M0+ and an ESP32-C3); the ts target's module too. Networks
// from test/lower/residual-nets.ts, lowered as `bnnc compile` lowers them; inputs seeded, with all-0 and
// all-255 vectors.
import { describe, expect, it } from 'vitest';
import type { KernelVariant } from '../../src/backend/kernels.js';
import { loadTarget } from '../../src/backend/target.js';
import { verifyManyOnTarget, type VerifyCase } from '../../src/backend/verify.js';
import { lowerModel } from '../../src/compile.js';
import { sizeOf, tensor } from '../../src/ir/tensor.js';
import type { Graph, Tensor } from '../../src/ir/types.js';
import { rng } from '../helpers/onnx-build.js';
import { hasTool } from '../helpers/resources.js';
import { Q256 } from '../lower/net.js';
import { biReal, bitPools, concatNet, presignPools } from '../lower/residual-nets.js';

const NETS: [string, () => Graph][] = [
  ['presign', () => lowerModel(presignPools(1).float(), { inputQuant: Q256 })],
  ['bitpool', () => lowerModel(bitPools(2).float(), { inputQuant: Q256 })],
  ['bireal', () => lowerModel(biReal(11, [{}, {}]).float(), { inputQuant: Q256 })],
  ['stemq', () => lowerModel(biReal(15, [{}, { rsign: true }], 16, false, true).float(), { inputQuant: Q256 })],
  ['down', () => lowerModel(biReal(16, [{ down: true }, {}, { down: true, rsign: true }], 16, false, true).float(), { inputQuant: Q256 })],
  ['rprelu', () => lowerModel(biReal(17, [{ rsign: true, rprelu: true }, { rsign: true, rprelu: true }], 16, false, true).float(), { inputQuant: Q256 })],
  ['catint', () => lowerModel(concatNet(19, false).float(), { inputQuant: Q256 })],
  ['catbits', () => lowerModel(concatNet(20, true).float(), { inputQuant: Q256 })],
  ['reactnet', () => lowerModel(biReal(12, [{ rsign: true }, { rsign: true }, { rsign: true }], 40, true).float(), { inputQuant: Q256 })],
];

/**
 * A hand-made graph of one AddRequant on the raw input (uint8 [1, 4, 4, 8]) read twice, with multipliers
 * that put t/2^S exactly half-way for odd inputs on some channels (ties to even), and clamping on others.
 */
function tiesGraph(): Graph {
  const S = 5, C = 8;
  const ma = [16, 16, -16, 48, 1, 33, 0, 31], mb = [0, 32, 0, 0, 7, -40, 16, 1], k = [0, 16, 0, -8, 3, 100, -16, 0];
  const initializers = new Map<string, Tensor>([['ma', tensor('int32', [C], ma)], ['mb', tensor('int32', [C], mb)], ['k', tensor('int32', [C], k)]]);
  const x = { dtype: 'uint8' as const, shape: [1, 4, 4, C] };
  const node = { name: 'join', op: 'AddRequant', domain: 'bnnc', inputs: ['x', 'x', 'ma', 'mb', 'k'], outputs: ['y'], attrs: { shift: S, qmin: -100, qmax: 120 } };
  const types = new Map([['x', x], ['y', { dtype: 'int8' as const, shape: x.shape }], ...[...initializers].map(([n, t]) => [n, { dtype: t.dtype, shape: t.shape }] as const)]);
  return { name: 'ties', inputs: [{ name: 'x', type: x }], outputs: ['y'], nodes: [node], initializers, types, opset: 13 };
}

function inputs(g: Graph, seed: number, n: number): Tensor[] {
  const r = rng(seed), t = g.inputs[0].type, size = sizeOf(t.shape);
  return Array.from({ length: n }, (_, v) => tensor(t.dtype, t.shape, Array.from({ length: size }, () => (v === 0 ? 0 : v === 1 ? 255 : Math.floor(r() * 256)))));
}

function cases(tag: string, kernels?: KernelVariant): VerifyCase[] {
  return [...NETS, ['ties', tiesGraph] as const].map(([name, make], i) => {
    const graph = make();
    return { graph, inputs: inputs(graph, 500 + i, 10), prefix: `${name}_${tag}`, kernels };
  });
}

function expectExact(reports: ReturnType<typeof verifyManyOnTarget>): void {
  for (const r of reports) {
    expect(r.ran, r.prefix).toBe(true);
    expect(r.firstMismatches, r.prefix).toEqual([]);
    expect(r.mismatchedVectors, r.prefix).toBe(0);
  }
}

describe('residual and pooled BNNs in generated code', () => {
  it('lower to the new ops', () => {
    const ops = NETS.map(([, make]) => make().nodes.map((n) => n.op));
    expect(ops[0]).toContain('SumPool');
    expect(ops[1]).toContain('BitSumPool');
    expect(ops[2]).toContain('AddRequant');
    expect(ops[3]).toEqual(expect.arrayContaining(['MultiThreshold', 'AddRequant']));
    expect(ops[4]).toEqual(expect.arrayContaining(['MultiThreshold', 'SumPool', 'AddRequant']));
    expect(ops[5]).toEqual(expect.arrayContaining(['MultiThreshold', 'AddRequant']));
    expect(ops[6]).toContain('ChannelConcat');
    expect(ops[7]).toContain('BitConcat');
    expect(ops[8]).toEqual(expect.arrayContaining(['AddRequant', 'SumPool']));
  });
  it('the ts target equals the interpreter', () => {
    expectExact(verifyManyOnTarget(cases('ts'), loadTarget('ts')));
  });
  it.skipIf(!hasTool('gcc')).each(['reference', 'optimized'] as KernelVariant[])('C on the host, %s kernels', (variant) => {
    expectExact(verifyManyOnTarget(cases(variant.slice(0, 3), variant), loadTarget('host')));
  });
  // small cores: one image per network (Cortex-M0+ has 16 KB of RAM); the int64 join without a 64-bit multiply
  const SMALL = ['bireal', 'stemq', 'catbits', 'ties'];
  it.skipIf(!(hasTool('arm-none-eabi-gcc') && hasTool('qemu-system-arm')))('C on an emulated Cortex-M0+ (Thumb-1)', () => {
    for (const c of cases('m0', 'optimized').filter((k) => SMALL.some((s) => k.prefix.startsWith(`${s}_`)))) expectExact(verifyManyOnTarget([c], loadTarget('cortex-m0plus')));
  });
  it.skipIf(!(hasTool('riscv64-unknown-elf-gcc') && hasTool('qemu-system-riscv32')))('C on an emulated ESP32-C3 (RV32IMC)', () => {
    for (const c of cases('c3', 'optimized').filter((k) => SMALL.some((s) => k.prefix.startsWith(`${s}_`)))) expectExact(verifyManyOnTarget([c], loadTarget('esp32c3')));
  });
  it.skipIf(!(hasTool('arm-none-eabi-gcc') && hasTool('qemu-system-arm')))('C on an emulated Cortex-M4', () => {
    expectExact(verifyManyOnTarget(cases('m4', 'optimized'), loadTarget('cortex-m4')));
  });
});
