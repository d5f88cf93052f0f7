// A two-layer BNN on 8-bit pixels built in code, for the resource and number tests: x = q/255 → 2x − 1 →
// Sign → Gemm(±1) → BatchNorm → Sign → Gemm(±1) → 4 float scores. Optionally a 4-D input (Flatten first)
// and a chain of Identity/Dropout nodes in front, as exporters leave them.
import { tensor } from '../../src/ir/tensor.js';
import { buildModel, type NodeIn, rng } from '../helpers/onnx-build.js';

export interface TinyBnn {
  /** The graph input's shape (16 values): [1, 16] by default, or e.g. [1, 1, 4, 4]. */
  readonly inputShape?: number[];
  /** Identity/Dropout nodes in a chain between the input and the first layer. */
  readonly passThrough?: number;
}

export function tinyBnn(o: TinyBnn = {}): Uint8Array {
  const r = rng(7);
  const pm1 = (n: number) => Array.from({ length: n }, () => (r() < 0.5 ? -1 : 1));
  const shape = o.inputShape ?? [1, 16];
  const nodes: NodeIn[] = [];
  let x = 'x';
  for (let i = 0; i < (o.passThrough ?? 0); i++) {
    nodes.push({ op: i % 4 === 3 ? 'Dropout' : 'Identity', inputs: [x], outputs: [`p${i}`] });
    x = `p${i}`;
  }
  if (shape.length !== 2) {
    nodes.push({ op: 'Flatten', inputs: [x], outputs: ['flat'] });
    x = 'flat';
  }
  nodes.push(
    { op: 'Mul', inputs: [x, 'two'], outputs: ['x2'] },
    { op: 'Sub', inputs: ['x2', 'one'], outputs: ['xc'] },
    { op: 'Sign', inputs: ['xc'], outputs: ['s0'] },
    { op: 'Gemm', inputs: ['s0', 'W1'], outputs: ['h'], attrs: { transB: 1 } },
    { op: 'BatchNormalization', inputs: ['h', 'g', 'b', 'm', 'v'], outputs: ['hb'] },
    { op: 'Sign', inputs: ['hb'], outputs: ['s1'] },
    { op: 'Gemm', inputs: ['s1', 'W2'], outputs: ['y'], attrs: { transB: 1 } },
  );
  return buildModel({
    inputs: [{ name: 'x', dtype: 'float32', shape }],
    outputs: [{ name: 'y', dtype: 'float32' }],
    initializers: {
      two: tensor('float32', [], [2]), one: tensor('float32', [], [1]),
      W1: tensor('float32', [8, 16], pm1(128)), W2: tensor('float32', [4, 8], pm1(32)),
      g: tensor('float32', [8], Array.from({ length: 8 }, () => r() * 2 - 1)), b: tensor('float32', [8], Array.from({ length: 8 }, () => r() - 0.5)),
      m: tensor('float32', [8], Array.from({ length: 8 }, () => r() * 4 - 2)), v: tensor('float32', [8], Array.from({ length: 8 }, () => r() + 0.5)),
    },
    nodes,
  });
}

/** An idx file (big-endian header: 0, 0, type, rank, dims; then the values), written from the format description. */
export function idxBytes(type: 0x08 | 0x09 | 0x0d, shape: number[], values: number[]): Buffer {
  const size = type === 0x0d ? 4 : 1;
  const b = Buffer.alloc(4 + 4 * shape.length + values.length * size);
  b[2] = type;
  b[3] = shape.length;
  shape.forEach((d, i) => b.writeUInt32BE(d, 4 + 4 * i));
  const off = 4 + 4 * shape.length;
  values.forEach((v, i) => (type === 0x0d ? b.writeFloatBE(v, off + 4 * i) : type === 0x09 ? b.writeInt8(v, off + i) : b.writeUInt8(v, off + i)));
  return b;
}
