// normalize-arithmetic: Sub by a constant becomes Add of its negation, Div by a power of two Mul by the
// reciprocal; both exact, so before/after is bit-exact (signed zeros, subnormals, infinities included).
// Div by any other constant stays Div: x · fl(1/c) can differ from fl(x / c) by one ULP (shown below), and
// the lowering replays these ops in float32 to place its thresholds.
import { describe, expect, it } from 'vitest';
import { tensor } from '../../src/ir/tensor.js';
import type { Tensor } from '../../src/ir/types.js';
import { lookupOp } from '../../src/ops/index.js';
import { inferAndFold } from '../../src/passes/infer-and-fold.js';
import { normalizeArithmetic } from '../../src/passes/normalize-arithmetic.js';
import { type ModelIn, ulpDistance32 } from '../helpers/onnx-build.js';
import { expectSameOutputs, imported, ops, seededFeeds } from './equivalence.js';

/** Seeded feeds plus one holding the awkward values: ±0, ±∞, NaN, subnormals, the largest floats. */
function feeds(g: ReturnType<typeof imported>, seed: number): Record<string, Tensor>[] {
  const shape = g.inputs[0].type.shape;
  const n = shape.reduce((a, b) => a * b, 1);
  const special = [0, -0, Infinity, -Infinity, NaN, 1e-45, -1e-45, 1.1754942e-38, 3.4028235e38, -3.4028235e38, 0.75, -3];
  return [...seededFeeds(g, 8, seed, -100, 100), { [g.inputs[0].name]: tensor('float32', shape, Array.from({ length: n }, (_, i) => special[i % special.length])) }];
}

const model = (nodes: ModelIn['nodes'], initializers: Record<string, Tensor>, outputs = ['y']): ModelIn => ({
  inputs: [{ name: 'x', dtype: 'float32', shape: [2, 3, 4] }],
  outputs: outputs.map((name) => ({ name, dtype: 'float32' as const })),
  nodes,
  initializers,
});

describe('normalize-arithmetic', () => {
  it('Sub(x, c) → Add(x, −c), scalar and broadcast per channel: bit-exact', () => {
    const m = model([
      { op: 'Sub', inputs: ['x', 'c'], outputs: ['a'] },
      { op: 'Sub', inputs: ['a', 'cc'], outputs: ['y'] },
    ], { c: tensor('float32', [], [0.1]), cc: tensor('float32', [3, 1], [-2.5, 0, 1e-40]) });
    const before = inferAndFold(imported(m));
    const after = normalizeArithmetic(before);
    expect(ops(after)).toEqual(['Add', 'Add']);
    const neg = after.initializers.get(after.nodes[1].inputs[1])!;
    expect([...neg.shape]).toEqual([3, 1]);
    expect(Object.is(neg.data[1], -0)).toBe(true);
    expect(neg.data[2]).toBe(Math.fround(-1e-40));
    expect(after.types.get(after.nodes[0].inputs[1])).toEqual({ dtype: 'float32', shape: [] });
    expectSameOutputs(before, after, feeds(before, 920));
  });

  it('Div by powers of two (scalar, per channel, negative, 2⁻¹²⁷ and 2¹²⁶) → Mul by the exact reciprocal: bit-exact', () => {
    const m = model([
      { op: 'Div', inputs: ['x', 'four'], outputs: ['a'] },
      { op: 'Div', inputs: ['a', 'per'], outputs: ['b'] },
      { op: 'Div', inputs: ['b', 'tiny'], outputs: ['c'] },
      { op: 'Div', inputs: ['c', 'huge'], outputs: ['y'] },
    ], {
      four: tensor('float32', [], [4]),
      per: tensor('float32', [3, 1], [-0.125, 1, 2 ** 20]),
      tiny: tensor('float32', [], [2 ** -127]),
      huge: tensor('float32', [], [2 ** 126]),
    });
    const before = inferAndFold(imported(m));
    const after = normalizeArithmetic(before);
    expect(ops(after)).toEqual(['Mul', 'Mul', 'Mul', 'Mul']);
    expect([...after.initializers.get(after.nodes[1].inputs[1])!.data]).toEqual([-8, 1, 2 ** -20]);
    expect([...after.initializers.get(after.nodes[2].inputs[1])!.data]).toEqual([2 ** 127]);
    expectSameOutputs(before, after, feeds(before, 921));
  });

  it('Div by 3, by a subnormal power of two, or by a tensor holding one non-power: left alone', () => {
    const m = model([
      { op: 'Div', inputs: ['x', 'three'], outputs: ['a'] },
      { op: 'Div', inputs: ['a', 'mixed'], outputs: ['b'] },
      { op: 'Div', inputs: ['b', 'sub'], outputs: ['y'] },
    ], { three: tensor('float32', [], [3]), mixed: tensor('float32', [3, 1], [2, 4, 6]), sub: tensor('float32', [], [2 ** -130]) });
    const before = inferAndFold(imported(m));
    expect(normalizeArithmetic(before)).toBe(before);
  });

  it('why: x · fl(1/3) is one ULP away from fl(x / 3) for some x (5, 7, 10, …)', () => {
    const [mul, div] = [lookupOp('', 'Mul')!, lookupOp('', 'Div')!];
    const xs = tensor('float32', [256], Array.from({ length: 256 }, (_, i) => i));
    const ctx = (op: string) => ({ node: { name: op, op, domain: '', inputs: ['a', 'b'], outputs: ['y'], attrs: {} }, attrs: {}, opset: 13 });
    const q = div.eval(ctx('Div'), [xs, tensor('float32', [], [3])])[0];
    const p = mul.eval(ctx('Mul'), [xs, tensor('float32', [], [Math.fround(1 / 3)])])[0];
    const d = Array.from(q.data, (v, i) => ulpDistance32(v, p.data[i]));
    expect(Math.max(...d)).toBe(1);
    expect(d[5]).toBe(1);
    expect(d.filter((x) => x > 0).length).toBeGreaterThan(50);
  });

  it('leaves c − x, a Sub or Div of two computed tensors and integer arithmetic; returns the same graph', () => {
    const m: ModelIn = {
      inputs: [{ name: 'x', dtype: 'float32', shape: [4] }, { name: 'n', dtype: 'int32', shape: [4] }],
      outputs: [{ name: 'y', dtype: 'float32' }, { name: 'k', dtype: 'int32' }],
      nodes: [
        { op: 'Sub', inputs: ['c', 'x'], outputs: ['a'] },
        { op: 'Sub', inputs: ['a', 'x'], outputs: ['b'] },
        { op: 'Div', inputs: ['b', 'x'], outputs: ['y'] },
        { op: 'Sub', inputs: ['n', 'i'], outputs: ['j'] },
        { op: 'Div', inputs: ['j', 'two'], outputs: ['k'] },
      ],
      initializers: { c: tensor('float32', [], [1]), i: tensor('int32', [], [3]), two: tensor('int32', [], [2]) },
    };
    const g = inferAndFold(imported(m));
    expect(normalizeArithmetic(g)).toBe(g);
  });

  it('float64: Sub and Div by 0.5 rewritten, bit-exact', () => {
    const m: ModelIn = {
      inputs: [{ name: 'x', dtype: 'float64', shape: [5] }],
      outputs: [{ name: 'y', dtype: 'float64' }],
      nodes: [{ op: 'Sub', inputs: ['x', 'c'], outputs: ['a'] }, { op: 'Div', inputs: ['a', 'h'], outputs: ['y'] }],
      initializers: { c: tensor('float64', [], [0.1]), h: tensor('float64', [], [0.5]) },
    };
    const before = inferAndFold(imported(m));
    const after = normalizeArithmetic(before);
    expect(ops(after)).toEqual(['Add', 'Mul']);
    expect([...after.initializers.get(after.nodes[1].inputs[1])!.data]).toEqual([2]);
    expectSameOutputs(before, after, seededFeeds(before, 5, 922));
  });
});
