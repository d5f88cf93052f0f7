// Shared by the back-end tests: the three real models lowered as the CLI would, and MNIST input vectors.
import { loadModel } from '../../src/compile.js';
import { readIdx } from '../../src/data/datasets.js';
import { tensor } from '../../src/ir/tensor.js';
import type { Graph, Tensor } from '../../src/ir/types.js';
import { lowerGraph, type InputQuant } from '../../src/lower/lower.js';
import { NORMALIZE_PIPELINE, runPipeline } from '../../src/passes/index.js';
import { sharedFile } from '../helpers/resources.js';

export const MODELS: { file: string; quant: InputQuant; dropLast?: string }[] = [
  { file: 'models/tfc_w1a1.qonnx.onnx', quant: { dtype: 'uint8', scale: 1, divisor: 255, zeroPoint: 0 } },
  { file: 'models/tfc_w1a1.finn.onnx', quant: { dtype: 'uint8', scale: 1, divisor: 1, zeroPoint: 0 } },
  // its trailing LogSoftmax is not bit-exact in C yet (BNNC_E031): test the graph up to the scores
  { file: 'models/mnist_cnn_bnn.fastinference.onnx', quant: { dtype: 'uint8', scale: 255, divisor: 1, zeroPoint: 0 }, dropLast: 'LogSoftmax' },
];

export const MNIST = 'data/mnist/t10k-images-idx3-ubyte.gz';

/** Loads, normalizes and lowers a real model; with dropLast, the float graph's last node (that op) is removed first. */
export function lowerReal(m: (typeof MODELS)[number], keepLast = false): Graph {
  let g = runPipeline(loadModel(sharedFile(m.file)), NORMALIZE_PIPELINE);
  const last = g.nodes[g.nodes.length - 1];
  if (m.dropLast && !keepLast && last.op === m.dropLast) {
    g = { ...g, nodes: g.nodes.slice(0, -1), outputs: [last.inputs[0]] };
  }
  return lowerGraph(g, { inputQuant: m.quant });
}

let images: Tensor | undefined;

/** The first `n` MNIST test images (from `start`), each shaped as the lowered graph's input. */
export function mnistInputs(g: Graph, n: number, start = 0): Tensor[] {
  images ??= readIdx(sharedFile(MNIST));
  const t = g.inputs[0].type;
  return Array.from({ length: n }, (_, i) => tensor(t.dtype, t.shape, images!.data.subarray((start + i) * 784, (start + i + 1) * 784)));
}
