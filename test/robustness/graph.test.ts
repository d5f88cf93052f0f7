// Broken graph structure: dangling names, duplicate producers, cycles, missing inputs, outputs and
// attributes, attributes of the wrong kind, shape mismatches, version ranges, unsupported ops (all listed at
// once), and graphs of 50k nodes or 200k edges, whose sort is held to a constant number of reads per edge
// (counted, not timed). Each error names the node or tensor.
import { describe, expect, it } from 'vitest';
import { tensor } from '../../src/ir/tensor.js';
import type { DType, Node } from '../../src/ir/types.js';
import { importModelBytes, sortTopologically } from '../../src/onnx/import.js';
import { ATTR, encodeModel } from '../../src/onnx/proto.js';
import { buildModel, type ModelIn, type NodeIn } from '../helpers/onnx-build.js';
import { expectError, load } from './expect-error.js';

const f32 = (shape: number[]) => tensor('float32', shape, new Array(shape.reduce((a, b) => a * b, 1)).fill(1));

/** x[1,4] through `nodes` to `out` (float32), with optional initializers. */
function model(nodes: NodeIn[], opts: Partial<ModelIn> & { out?: string[]; outDType?: DType } = {}): Uint8Array {
  return buildModel({
    inputs: [{ name: 'x', dtype: 'float32', shape: [1, 4] }],
    outputs: (opts.out ?? ['y']).map((name) => ({ name, dtype: opts.outDType ?? 'float32' })),
    nodes,
    ...opts,
  });
}

describe('names that do not connect', () => {
  it('an input nothing produces (BNNC_E008)', () => {
    expectError(() => importModelBytes(model([{ name: 'add', op: 'Add', inputs: ['x', 'ghost'], outputs: ['y'] }])), 'BNNC_E008', "node 'add' (Add)", "tensor 'ghost'");
  });

  it('a graph output nothing produces (BNNC_E008)', () => {
    expectError(() => importModelBytes(model([{ op: 'Relu', inputs: ['x'], outputs: ['y'] }], { out: ['y', 'nowhere'] })), 'BNNC_E008', "tensor 'nowhere'");
  });

  it('two nodes writing one tensor (BNNC_E013)', () => {
    const b = model([{ name: 'r1', op: 'Relu', inputs: ['x'], outputs: ['y'] }, { name: 'r2', op: 'Neg', inputs: ['x'], outputs: ['y'] }]);
    expectError(() => importModelBytes(b), 'BNNC_E013', "node 'r2' (Neg)", "tensor 'y'", "node 'r1'");
  });

  it('a node writing a graph input or an initializer (BNNC_E013)', () => {
    expectError(() => importModelBytes(model([{ name: 'r', op: 'Relu', inputs: ['x'], outputs: ['x'] }], { out: ['x'] })), 'BNNC_E013', "node 'r'", "tensor 'x'", 'graph input or initializer');
    const b = model([{ name: 'r', op: 'Relu', inputs: ['x'], outputs: ['w'] }, { op: 'Add', inputs: ['x', 'w'], outputs: ['y'] }], { initializers: { w: f32([4]) } });
    expectError(() => importModelBytes(b), 'BNNC_E013', "tensor 'w'");
  });

  it('a graph output, an initializer or a graph input listed twice (BNNC_E013)', () => {
    expectError(() => importModelBytes(model([{ op: 'Relu', inputs: ['x'], outputs: ['y'] }], { out: ['y', 'y'] })), 'BNNC_E013', "tensor 'y'", 'twice');
    const twoInputs = buildModel({
      inputs: [{ name: 'x', dtype: 'float32', shape: [1] }, { name: 'x', dtype: 'float32', shape: [1] }],
      outputs: [{ name: 'y', dtype: 'float32' }], nodes: [{ op: 'Relu', inputs: ['x'], outputs: ['y'] }],
    });
    expectError(() => importModelBytes(twoInputs), 'BNNC_E013', "tensor 'x'");
    const twoInits = encodeModel({
      irVersion: 7, opsetImport: [{ domain: '', version: 13 }],
      graph: {
        node: [{ opType: 'Relu', input: ['w'], output: ['y'] }], output: [{ name: 'y' }],
        initializer: [{ name: 'w', dims: [1], dataType: 1, floatData: [1] }, { name: 'w', dims: [1], dataType: 1, floatData: [2] }],
      },
    });
    expectError(() => importModelBytes(twoInits), 'BNNC_E013', "tensor 'w'");
  });

  it('missing names: an initializer, a graph input, a graph output, an op_type (BNNC_E002); no outputs at all', () => {
    const g = (graph: object) => encodeModel({ irVersion: 7, opsetImport: [{ domain: '', version: 13 }], graph: { node: [{ opType: 'Relu', input: ['x'], output: ['y'] }], ...graph } });
    const x = { name: 'x', type: { tensorType: { elemType: 1, shape: { dim: [{ dimValue: 1 }] } } } };
    expectError(() => importModelBytes(g({ input: [x], output: [{ name: 'y' }], initializer: [{ dims: [1], dataType: 1, floatData: [1] }] })), 'BNNC_E002', 'initializer #0 has no name');
    expectError(() => importModelBytes(g({ input: [{ type: x.type }], output: [{ name: 'y' }] })), 'BNNC_E002', 'graph input #0 has no name');
    expectError(() => importModelBytes(g({ input: [x], output: [{}] })), 'BNNC_E002', 'graph output #0 has no name');
    expectError(() => importModelBytes(g({ input: [x], output: [] })), 'BNNC_E002', 'no outputs');
    const noOp = encodeModel({ irVersion: 7, opsetImport: [{ domain: '', version: 13 }], graph: { input: [x], output: [{ name: 'y' }], node: [{ name: 'mystery', input: ['x'], output: ['y'] }] } });
    expectError(() => importModelBytes(noOp), 'BNNC_E002', "node 'mystery'", 'no op_type');
  });

  it('a graph input without a tensor type or without a declared rank', () => {
    const g = (input: object) => encodeModel({ irVersion: 7, opsetImport: [{ domain: '', version: 13 }], graph: { input: [input], output: [{ name: 'y' }], node: [{ opType: 'Relu', input: ['x'], output: ['y'] }] } });
    expectError(() => importModelBytes(g({ name: 'x' })), 'BNNC_E010', "tensor 'x'", 'not a tensor');
    expectError(() => importModelBytes(g({ name: 'x', type: { tensorType: { elemType: 1 } } })), 'BNNC_E015', "tensor 'x'", '--input-shape');
    expect(importModelBytes(g({ name: 'x', type: { tensorType: { elemType: 1 } } }), { inputShapes: new Map([['x', [1, 3]]]) }).inputs[0].type.shape).toEqual([1, 3]);
  });
});

describe('cycles', () => {
  it('two nodes feeding each other (BNNC_E012)', () => {
    const b = model([
      { name: 'a', op: 'Add', inputs: ['x', 'q'], outputs: ['p'] },
      { name: 'b', op: 'Relu', inputs: ['p'], outputs: ['q'] },
      { name: 'c', op: 'Relu', inputs: ['q'], outputs: ['y'] },
    ]);
    expectError(() => importModelBytes(b), 'BNNC_E012', "node 'a'", 'a, b, c', 'acyclic');
  });

  it('a node reading its own output (BNNC_E012)', () => {
    expectError(() => importModelBytes(model([{ name: 'loop', op: 'Add', inputs: ['x', 'y'], outputs: ['y'] }])), 'BNNC_E012', "node 'loop'");
  });

  it('a local function that calls itself (BNNC_E012)', () => {
    const b = encodeModel({
      irVersion: 8, opsetImport: [{ domain: '', version: 13 }, { domain: 'f', version: 1 }],
      functions: [{ name: 'Rec', domain: 'f', input: ['a'], output: ['b'], node: [{ opType: 'Rec', domain: 'f', input: ['a'], output: ['b'] }] }],
      graph: {
        input: [{ name: 'x', type: { tensorType: { elemType: 1, shape: { dim: [{ dimValue: 1 }] } } } }], output: [{ name: 'y' }],
        node: [{ name: 'call', opType: 'Rec', domain: 'f', input: ['x'], output: ['y'] }],
      },
    });
    expectError(() => importModelBytes(b), 'BNNC_E012', "local function 'Rec' calls itself");
  });

  it('functions that call each other twice per level are stopped at the node limit, not expanded 2^32 times (BNNC_E023)', () => {
    // F0 calls F1 twice, F1 calls F2 twice, …: 2^30 nodes if inlined
    const functions = Array.from({ length: 30 }, (_, k) => ({
      name: `F${k}`, domain: 'f', input: ['a'], output: ['b'],
      node: k === 29 ? [{ opType: 'Relu', input: ['a'], output: ['b'] }]
        : [{ opType: `F${k + 1}`, domain: 'f', input: ['a'], output: ['m'] }, { opType: `F${k + 1}`, domain: 'f', input: ['m'], output: ['b'] }],
    }));
    const b = encodeModel({
      irVersion: 8, opsetImport: [{ domain: '', version: 13 }, { domain: 'f', version: 1 }], functions,
      graph: {
        input: [{ name: 'x', type: { tensorType: { elemType: 1, shape: { dim: [{ dimValue: 1 }] } } } }], output: [{ name: 'y' }],
        node: [{ name: 'top', opType: 'F0', domain: 'f', input: ['x'], output: ['y'] }],
      },
    });
    expectError(() => importModelBytes(b), 'BNNC_E023', 'once local functions are inlined');
  });
});

describe('nodes missing what their op needs', () => {
  it('too few inputs, an omitted required input, too many outputs (BNNC_E007)', () => {
    expectError(() => load(model([{ name: 'conv', op: 'Conv', inputs: ['x'], outputs: ['y'] }])), 'BNNC_E007', "node 'conv' (Conv)", 'Conv takes 2 to 3');
    expectError(() => load(model([{ name: 'add', op: 'Add', inputs: ['x', ''], outputs: ['y'] }])), 'BNNC_E007', "node 'add' (Add)", 'input 1 is required');
    expectError(() => load(model([{ name: 'r', op: 'Relu', inputs: ['x'], outputs: ['y', 'z'] }])), 'BNNC_E007', "node 'r' (Relu)");
  });

  it('a required output left unnamed (BNNC_E007)', () => {
    const b = model([{ op: 'Relu', inputs: ['x'], outputs: ['y'] }, { name: 'dead', op: 'Neg', inputs: ['x'], outputs: [''] }]);
    expectError(() => importModelBytes(b), 'BNNC_E007', "node 'dead' (Neg)", 'output 0 has an empty name');
  });

  it('a missing required attribute (BNNC_E006)', () => {
    expectError(() => importModelBytes(model([{ name: 'cat', op: 'Concat', inputs: ['x', 'x'], outputs: ['y'] }])), 'BNNC_E006', "node 'cat' (Concat)", "attribute 'axis' (int) is required");
    expectError(() => importModelBytes(model([{ name: 'cast', op: 'Cast', inputs: ['x'], outputs: ['y'] }])), 'BNNC_E006', "node 'cast' (Cast)", "'to'");
  });

  it('attributes of the wrong kind, non-integers where integers belong, NaN (BNNC_E006)', () => {
    const conv = (attrs: NodeIn['attrs']) => model([{ name: 'conv', op: 'Conv', inputs: ['x4', 'w'], outputs: ['y'], attrs }], {
      inputs: [{ name: 'x4', dtype: 'float32', shape: [1, 1, 4, 4] }], initializers: { w: f32([1, 1, 3, 3]) },
    });
    expectError(() => importModelBytes(conv({ kernel_shape: 'three' })), 'BNNC_E006', "node 'conv' (Conv)", "attribute 'kernel_shape' should be ints");
    expectError(() => importModelBytes(conv({ group: { float: 1.5 } })), 'BNNC_E006', "attribute 'group' should be int", '1.5');
    expectError(() => importModelBytes(conv({ strides: { floats: [1.5, 1] } })), 'BNNC_E006', "attribute 'strides' should be ints");
    const bn = model([{ name: 'bn', op: 'BatchNormalization', inputs: ['x', 's', 's', 's', 's'], outputs: ['y'], attrs: { epsilon: { float: NaN } } }], { initializers: { s: f32([4]) } });
    expectError(() => importModelBytes(bn), 'BNNC_E006', "node 'bn' (BatchNormalization)", "attribute 'epsilon' should be float, found NaN");
  });

  it('a graph-valued attribute where the schema wants a number (BNNC_E017); ignored where the schema has none', () => {
    const withAttr = (name: string) => encodeModel({
      irVersion: 7, opsetImport: [{ domain: '', version: 13 }],
      graph: {
        input: [{ name: 'x', type: { tensorType: { elemType: 1, shape: { dim: [{ dimValue: 1 }, { dimValue: 4 }] } } } }], output: [{ name: 'y' }],
        node: [{ name: 'flat', opType: 'Flatten', input: ['x'], output: ['y'], attribute: [{ name, type: ATTR.GRAPH, g: { name: 'sub' } }] }],
      },
    });
    expectError(() => importModelBytes(withAttr('axis')), 'BNNC_E017', "node 'flat' (Flatten)", "attribute 'axis'");
    expect(load(withAttr('unrelated')).nodes).toHaveLength(1);
  });

  it('Constant nodes without an output, shadowing a tensor, or with a sparse value', () => {
    const c = (output: string[], attribute: object[]) => encodeModel({
      irVersion: 7, opsetImport: [{ domain: '', version: 13 }],
      graph: {
        input: [{ name: 'x', type: { tensorType: { elemType: 1, shape: { dim: [{ dimValue: 1 }] } } } }], output: [{ name: 'y' }],
        node: [{ name: 'k', opType: 'Constant', output, attribute }, { opType: 'Add', input: ['x', output[0] ?? 'k'], output: ['y'] }],
      },
    });
    const one = [{ name: 'value_float', type: ATTR.FLOAT, f: 1 }];
    expectError(() => importModelBytes(c([], one)), 'BNNC_E007', "node 'k' (Constant)");
    expectError(() => importModelBytes(c(['x'], one)), 'BNNC_E013', "node 'k' (Constant)", "tensor 'x'");
    expectError(() => importModelBytes(c(['k1'], [{ name: 'sparse_value', type: ATTR.SPARSE_TENSOR, sparseTensor: {} }])), 'BNNC_E017', "node 'k' (Constant)");
    expectError(() => importModelBytes(c(['k1'], [{ name: 'value', type: ATTR.TENSOR }])), 'BNNC_E006', "node 'k' (Constant)", 'holds no tensor');
  });
});

describe('shape mismatches (BNNC_E009)', () => {
  it('operands that do not broadcast', () => {
    const b = model([{ name: 'add', op: 'Add', inputs: ['x', 'b'], outputs: ['y'] }], { initializers: { b: f32([3]) } });
    expectError(() => load(b), 'BNNC_E009', "node 'add' (Add)", "tensor 'b'", '[1,4] and [3]');
  });

  it('a Gemm whose inner dimensions disagree', () => {
    const b = model([{ name: 'fc', op: 'Gemm', inputs: ['x', 'w'], outputs: ['y'], attrs: { transB: 1 } }], { initializers: { w: f32([2, 5]) } });
    expectError(() => load(b), 'BNNC_E009', "node 'fc' (Gemm)");
  });

  it('a Conv whose weights have the wrong channel count', () => {
    const b = model([{ name: 'conv', op: 'Conv', inputs: ['x4', 'w'], outputs: ['y'] }], {
      inputs: [{ name: 'x4', dtype: 'float32', shape: [1, 2, 4, 4] }], initializers: { w: f32([1, 3, 3, 3]) },
    });
    expectError(() => load(b), 'BNNC_E009', "node 'conv' (Conv)");
  });

  it('a Reshape to a shape with another element count', () => {
    const b = model([{ name: 'rs', op: 'Reshape', inputs: ['x', 's'], outputs: ['y'] }], { initializers: { s: tensor('int64', [2], [3, 3]) } });
    expectError(() => load(b), 'BNNC_E009', "node 'rs' (Reshape)", "tensor 's'", 'cannot reshape [1,4] to [3,3]');
  });
});

describe('versions and unsupported operators', () => {
  const relu = (o: Partial<ModelIn>) => model([{ op: 'Relu', inputs: ['x'], outputs: ['y'] }], o);

  it('IR versions outside 3..10 (BNNC_E003), opsets outside 7..21 (BNNC_E004)', () => {
    for (const ir of [0, 2, 11, 99]) expectError(() => importModelBytes(relu({ irVersion: ir })), 'BNNC_E003', `IR version ${ir}`, '3 to 10');
    for (const opset of [1, 6, 22, 1000]) expectError(() => importModelBytes(relu({ opset })), 'BNNC_E004', `opset ${opset}`, '7 to 21');
    for (const ir of [3, 10]) expect(load(relu({ irVersion: ir })).nodes).toHaveLength(1);
    for (const opset of [7, 21]) expect(load(relu({ opset })).nodes).toHaveLength(1);
  });

  it('no default-domain opset, or two different ones (BNNC_E004)', () => {
    const b = (opsetImport: object[]) => encodeModel({
      irVersion: 7, opsetImport,
      graph: { input: [{ name: 'x', type: { tensorType: { elemType: 1, shape: { dim: [] } } } }], output: [{ name: 'y' }], node: [{ opType: 'Relu', input: ['x'], output: ['y'] }] },
    });
    expectError(() => importModelBytes(b([])), 'BNNC_E004', 'imports no default-domain opset');
    expectError(() => importModelBytes(b([{ domain: '', version: 13 }, { domain: 'ai.onnx', version: 11 }])), 'BNNC_E004', 'several opsets (13, 11)');
  });

  it('every unsupported operator listed at once, even with graph attributes (BNNC_E005)', () => {
    const b = encodeModel({
      irVersion: 7, opsetImport: [{ domain: '', version: 13 }, { domain: 'com.microsoft', version: 1 }],
      graph: {
        input: [{ name: 'x', type: { tensorType: { elemType: 1, shape: { dim: [{ dimValue: 1 }] } } } }], output: [{ name: 'y' }],
        node: [
          { name: 'branch', opType: 'If', input: ['x'], output: ['a'], attribute: [{ name: 'then_branch', type: ATTR.GRAPH, g: {} }, { name: 'else_branch', type: ATTR.GRAPH, g: {} }] },
          { name: 'rnn', opType: 'LSTM', input: ['a'], output: ['b'] },
          { name: 'rnn2', opType: 'LSTM', input: ['b'], output: ['c'] },
          { name: 'ms', opType: 'FusedGemm', domain: 'com.microsoft', input: ['c'], output: ['y'] },
        ],
      },
    });
    expectError(() => importModelBytes(b), 'BNNC_E005', '3 operators', 'If (1 node: branch)', 'LSTM (2 nodes: rnn, rnn2)', 'com.microsoft.FusedGemm (1 node: ms)');
  });
});

describe('scale', () => {
  // Work is counted, not timed: the sort's reads of node inputs and outputs (element by element) must stay
  // within a constant per edge; a scan per node, as in a quadratic sort, would read n times as much.
  const relu = (name: string, input: string[], output: string[]): Node => ({ name, op: 'Relu', domain: '', inputs: input, outputs: output, attrs: {} });

  /** The nodes with every inputs/outputs array counting its element reads into `reads.n`. */
  function counted(nodes: Node[]): { nodes: Node[]; reads: { n: number } } {
    const reads = { n: 0 };
    const watch = (a: readonly string[]) => new Proxy(a, {
      get(t, k, r) {
        if (typeof k === 'string' && /^\d+$/.test(k)) reads.n++;
        return Reflect.get(t, k, r);
      },
    });
    return { nodes: nodes.map((n) => ({ ...n, inputs: watch(n.inputs), outputs: watch(n.outputs) })), reads };
  }
  const edges = (nodes: Node[]) => nodes.reduce((a, n) => a + n.inputs.length + n.outputs.length, 0);

  it.each([
    ['a chain of 50,000 nodes listed backwards', Array.from({ length: 50_000 }, (_, i) => relu(`r${i}`, [i === 0 ? 'x' : `t${i - 1}`], [`t${i}`])).reverse()],
    ['a node reading one tensor 200,000 times', [relu('h', ['x'], ['h']), { ...relu('cat', new Array(200_000).fill('h'), ['y']), op: 'Concat' }]],
    ['a tensor read by 50,000 nodes', [relu('h', ['x'], ['h']), ...Array.from({ length: 50_000 }, (_, i) => relu(`o${i}`, ['h'], [`o${i}`]))]],
  ] as [string, Node[]][])('%s sorts reading each input and output at most twice', (_, nodes) => {
    const c = counted(nodes);
    const order = sortTopologically(c.nodes, new Set(['x']), []);
    expect(order).toHaveLength(nodes.length);
    const made = new Set(['x']);
    const late = order.filter((n) => { const ok = n.inputs.every((s) => made.has(s)); made.add(n.outputs[0]); return !ok; });
    expect(late.map((n) => n.name)).toEqual([]); // every node after the producers of its inputs
    expect(c.reads.n).toBeGreaterThan(0);
    expect(c.reads.n).toBeLessThanOrEqual(2 * edges(nodes));
  });

  it('a chain of 50,000 nodes, listed backwards, imports in order', () => {
    const n = 50_000;
    const node = Array.from({ length: n }, (_, i) => ({ name: `r${i}`, opType: 'Relu', input: [i === 0 ? 'x' : `t${i - 1}`], output: [i === n - 1 ? 'y' : `t${i}`] })).reverse();
    const b = encodeModel({
      irVersion: 7, opsetImport: [{ domain: '', version: 13 }],
      graph: { input: [{ name: 'x', type: { tensorType: { elemType: 1, shape: { dim: [{ dimValue: 4 }] } } } }], output: [{ name: 'y' }], node },
    });
    const g = importModelBytes(b);
    expect(g.nodes.map((x) => x.name)).toEqual(Array.from({ length: n }, (_, i) => `r${i}`));
  });

  it('a node reading one tensor 200,000 times imports', () => {
    const b = encodeModel({
      irVersion: 7, opsetImport: [{ domain: '', version: 13 }],
      graph: {
        input: [{ name: 'x', type: { tensorType: { elemType: 1, shape: { dim: [{ dimValue: 1 }] } } } }], output: [{ name: 'y' }],
        node: [{ opType: 'Relu', input: ['x'], output: ['h'] }, { opType: 'Concat', input: new Array(200_000).fill('h'), output: ['y'], attribute: [{ name: 'axis', type: ATTR.INT, i: 0 }] }],
      },
    });
    const g = importModelBytes(b);
    expect(g.nodes.map((x) => x.op)).toEqual(['Relu', 'Concat']);
    expect(g.nodes[1].inputs).toHaveLength(200_000);
  });

  it('a tensor read by 50,000 nodes imports, each reader after its producer', () => {
    const n = 50_000;
    const node = Array.from({ length: n }, (_, i) => ({ opType: 'Relu', input: ['h'], output: [`o${i}`] }));
    node.push({ opType: 'Relu', input: ['x'], output: ['h'] });
    const b = encodeModel({
      irVersion: 7, opsetImport: [{ domain: '', version: 13 }],
      graph: { input: [{ name: 'x', type: { tensorType: { elemType: 1, shape: { dim: [{ dimValue: 4 }] } } } }], output: [{ name: 'o0' }], node },
    });
    const g = importModelBytes(b);
    expect(g.nodes).toHaveLength(n + 1);
    expect(g.nodes[0].outputs).toEqual(['h']);
  });
});
