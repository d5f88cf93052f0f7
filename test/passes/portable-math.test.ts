// portable-math: which Softmax / LogSoftmax nodes become bnnc.Softmax32 / LogSoftmax32 (opset semantics), which
// are refused, and the graph run before and after the pass (within the exp32/log32 error, same top-1).
import { describe, expect, it } from 'vitest';
import { buildCModel } from '../../src/backend/c-data.js';
import { loadTarget } from '../../src/backend/target.js';
import { run } from '../../src/interp/run.js';
import { tensor } from '../../src/ir/tensor.js';
import type { DType, Graph } from '../../src/ir/types.js';
import { portableMath } from '../../src/passes/portable-math.js';
import { rng, ulpDistance32 } from '../helpers/onnx-build.js';
import { compileError as refusal } from '../robustness/expect-error.js';

function graph(op: string, shape: number[], opset: number, axis?: number, dtype: DType = 'float32'): Graph {
  return {
    name: 'g', opset,
    inputs: [{ name: 'x', type: { dtype, shape } }], outputs: ['y'],
    nodes: [{ name: 'last', op, domain: '', inputs: ['x'], outputs: ['y'], attrs: axis === undefined ? {} : { axis } }],
    initializers: new Map(), types: new Map([['x', { dtype, shape }], ['y', { dtype, shape }]]),
  };
}

describe('portable-math', () => {
  it.each([
    // [op, shape, opset, axis given, axis of the bnnc op]
    ['Softmax', [1, 10], 11, undefined, 1], ['Softmax', [1, 10], 11, -1, 1], ['LogSoftmax', [1, 10], 12, 1, 1],
    ['Softmax', [1, 10], 13, undefined, 1], ['LogSoftmax', [2, 5], 13, 0, 0],
    ['Softmax', [1, 6, 1, 1], 11, 1, 1], // legacy 2-D coercion over [6·1·1] = along axis 1
    ['LogSoftmax', [1, 6, 4, 4], 13, 1, 1], // from 13: one axis, any position
  ] as const)('%s %j opset %d axis %s → bnnc op along axis %d', (op, shape, opset, axis, want) => {
    const g = portableMath(graph(op, [...shape], opset, axis));
    expect(g.nodes[0]).toMatchObject({ domain: 'bnnc', op: `${op}32`, attrs: { axis: want }, name: 'last' });
  });

  it('refuses the legacy coercion over several dimensions, naming the node', () => {
    const e = refusal(() => portableMath(graph('Softmax', [1, 3, 2, 2], 11, 1)));
    expect(e.code).toBe('BNNC_E031');
    expect(e.where.node).toBe('last');
    expect(e.message).toMatch(/several dimensions/);
    expect(refusal(() => portableMath(graph('LogSoftmax', [1, 10], 13, -1, 'float64'))).code).toBe('BNNC_E031');
  });

  it('returns the very same graph when there is nothing to replace', () => {
    const g = graph('Relu', [1, 10], 13);
    expect(portableMath(g)).toBe(g);
    const once = portableMath(graph('Softmax', [1, 10], 13));
    expect(portableMath(once)).toBe(once);
  });

  it('a plain Softmax reaching the C back end is still refused (BNNC_E031, naming the node and the pass)', () => {
    const e = refusal(() => buildCModel(graph('Softmax', [1, 10], 13), loadTarget('host'), 'm'));
    expect(e.code).toBe('BNNC_E031');
    expect(e.where.node).toBe('last');
    expect(e.message).toMatch(/portable-math/);
    expect(() => buildCModel(portableMath(graph('Softmax', [1, 10], 13)), loadTarget('host'), 'm')).not.toThrow();
  });

  it.each([['Softmax', 13], ['LogSoftmax', 11]] as const)('%s before and after: same top-1, within the exp32/log32 error', (op, opset) => {
    const before = graph(op, [1, 10], opset), after = portableMath(before);
    const r = rng(7);
    let worstUlp = 0, worstAbs = 0;
    for (let v = 0; v < 2000; v++) {
      const scale = [1, 4, 30][v % 3];
      const x = tensor('float32', [1, 10], Array.from({ length: 10 }, () => (2 * r() - 1) * scale));
      const a = run(before, { x }).get('y')!.data, b = run(after, { x }).get('y')!.data;
      const top = (d: ArrayLike<number>) => Array.from(d).indexOf(Math.max(...Array.from(d)));
      expect(top(b)).toBe(top(a));
      for (let i = 0; i < 10; i++) {
        worstUlp = Math.max(worstUlp, ulpDistance32(a[i], b[i]));
        worstAbs = Math.max(worstAbs, Math.abs(a[i] - b[i]));
      }
    }
    console.log(`${op}: Math.exp/log vs exp32/log32 over 2000 rows of 10: max ${worstUlp} ULP, max |Δ| ${worstAbs.toExponential(2)}`);
    // Softmax: each e within 1 ULP of the other's, the sum of 10 within a few, one division: ≤ 14 ULP (n + 4, as
    // against onnxruntime). LogSoftmax: log s with s ∈ [1, 10] moves by ≤ (n + 4)·2^-21 (absolute: ULP counts
    // blow up by cancellation near y = 0), which may tip the last rounding of a large |y| (≤ 60 here) by one ULP.
    if (op === 'Softmax') expect(worstUlp).toBeLessThanOrEqual(14);
    else expect(worstAbs).toBeLessThanOrEqual(14 * 2 ** -21);
  });
});
