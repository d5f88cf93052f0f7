// The example models the project trains (examples/*/train.py, Fashion-MNIST, PyTorch export): bnnc
// compiles exactly the exported file; the float interpreter reproduces PyTorch's own test accuracy
// (metrics.json, measured by the training script: an independent figure); the lowered network matches the
// float one; and the example firmware prints the right class on emulated Cortex-M4 and ESP32-C3.
import { existsSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { loadTarget } from '../../src/backend/index.js';
import { runFirmware } from '../../src/backend/firmware.js';
import { checkModel, type CheckSample, sampleFromRaw } from '../../src/check.js';
import { calibrateModel } from '../../src/calibrate.js';
import { verify } from '../../src/library.js';
import { build, loadModel, lowerModel, prepare } from '../../src/compile.js';
import { readIdx } from '../../src/data/datasets.js';
import type { Graph } from '../../src/ir/types.js';
import type { InputQuant } from '../../src/lower/lower.js';
import { available, hasTool, ROOT } from '../helpers/resources.js';

const FASHION = '/usr/share/datasets/fashion-mnist/';
const HAVE_DATA = available("Fashion-MNIST (Debian's dataset-fashion-mnist)", existsSync(`${FASHION}t10k-images-idx3-ubyte.gz`));
// the examples' float input is pixel / 255 (examples/*/README.md)
const Q: InputQuant = { dtype: 'uint8', scale: 1, divisor: 255, zeroPoint: 0 };

function* samples(g: Graph, lowered: Graph, limit: number): Generator<CheckSample> {
  const images = readIdx(`${FASHION}t10k-images-idx3-ubyte.gz`);
  const labels = readIdx(`${FASHION}t10k-labels-idx1-ubyte.gz`);
  for (let i = 0; i < Math.min(limit, labels.shape[0]); i++) {
    yield sampleFromRaw(g.inputs[0].type, images.data.subarray(i * 784, (i + 1) * 784), Q, lowered.inputs[0].type.shape, labels.data[i]);
  }
}

// the target (#13): top-1 agreement ≥ 99.9 % where the model defines every quantizer
const AGREE_BIREAL = 1;

const metrics = (name: string) => JSON.parse(readFileSync(`${ROOT}examples/${name}/metrics.json`, 'utf8')) as { test_accuracy: number };

describe.skipIf(!HAVE_DATA)('example models', () => {
  it('mlp: 10,000 test images, float = PyTorch\'s accuracy (≥ 84 %), lowered within 0.1 point', () => {
    const g = loadModel(`${ROOT}examples/mlp/mlp.onnx`);
    // the exported file holds the latent weights and PyTorch's Abs/ReduceMean/Sign/Mul binarization
    const raw = readFileSync(`${ROOT}examples/mlp/mlp.onnx`);
    for (const op of ['Abs', 'ReduceMean', 'Sign', 'Mul', 'Gemm']) expect(raw.includes(Buffer.from(op))).toBe(true);
    const lowered = lowerModel(g, { inputQuant: Q });
    const r = checkModel(g, lowered, samples(g, lowered, 10000));
    expect(r.samples).toBe(10000);
    expect(Math.abs(r.float_accuracy! - metrics('mlp').test_accuracy)).toBeLessThanOrEqual(0.0005);
    expect(r.float_accuracy!).toBeGreaterThanOrEqual(0.84);
    expect(Math.abs(r.lowered_accuracy! - r.float_accuracy!)).toBeLessThanOrEqual(0.001);
    expect(r.agreement).toBeGreaterThanOrEqual(0.999);
  });

  it('cnn: PyTorch reached ≥ 88 %; on the first 300 test images the lowered network agrees with the float one', () => {
    expect(metrics('cnn').test_accuracy).toBeGreaterThanOrEqual(0.88);
    const g = loadModel(`${ROOT}examples/cnn/cnn.onnx`);
    const lowered = lowerModel(g, { inputQuant: Q });
    const r = checkModel(g, lowered, samples(g, lowered, 300));
    expect(r.agreement).toBe(1);
    expect(r.lowered_accuracy).toBe(r.float_accuracy);
    for (const l of r.layers) expect(l.identical / l.bits).toBeGreaterThanOrEqual(0.999);
  });

  it('binaryconnect: the fake-quantized export lowers exactly; the plain one, calibrated on training images, as its calibrated float model', () => {
    const m = JSON.parse(readFileSync(`${ROOT}examples/binaryconnect/metrics.json`, 'utf8')) as Record<string, number>;
    expect(m.test_accuracy_float).toBeGreaterThanOrEqual(0.88);
    // binary weights, fine-tuned, cost at most 3 points (PyTorch's figures, 10,000 images)
    expect(m.test_accuracy_float - m.test_accuracy_binaryconnect_without_quantizer).toBeLessThanOrEqual(0.03);
    const exact = loadModel(`${ROOT}examples/binaryconnect/binaryconnect.onnx`);
    const lowered = lowerModel(exact, { inputQuant: Q });
    const r = checkModel(exact, lowered, samples(exact, lowered, 300));
    expect(r.agreement).toBe(1);
    const plain = loadModel(`${ROOT}examples/binaryconnect/binaryconnect-plain.onnx`);
    const { graph, calibration } = calibrateModel(plain, { inputQuant: Q, calibrate: `${FASHION}train-images-idx3-ubyte.gz`, calibrateLimit: 200 });
    expect(calibration!.tensors.map((t) => t.signed)).toEqual([false, false, false, false]);
    const low = lowerModel(graph, { inputQuant: Q });
    const c = checkModel(plain, low, samples(plain, low, 300), undefined, [{ name: 'calibrated', graph }]);
    expect(c.references![0].agreement).toBe(1);
    expect(c.agreement).toBeGreaterThanOrEqual(0.98);
  });

  it('birealnet: the residual stream lowers (AddRequant joins); on the first 100 test images the lowered network agrees with the float one', () => {
    // through prepare(), as compile/check/verify do: the calibration analysis takes the model's own plain
    // quantizer after each join (no BNNC_E120 asking for --calibrate)
    const { float: g, lowered, calibration } = prepare(`${ROOT}examples/birealnet/birealnet.onnx`, { inputQuant: Q });
    expect(calibration).toBeUndefined();
    // every residual Add with its 8-bit quantizer became an integer join: no float Add is left
    expect(lowered.nodes.filter((n) => n.domain === 'bnnc' && n.op === 'AddRequant').length).toBe(4);
    expect(lowered.nodes.filter((n) => n.domain !== 'bnnc' && n.op === 'Add')).toEqual([]);
    const r = checkModel(g, lowered, samples(g, lowered, 100));
    expect(r.samples).toBe(100);
    expect(r.agreement).toBeGreaterThanOrEqual(AGREE_BIREAL);
    expect(Math.abs(r.lowered_accuracy! - r.float_accuracy!)).toBeLessThanOrEqual(1 - AGREE_BIREAL);
  });

  it.skipIf(!hasTool(loadTarget('cortex-m4').emulator!.command))('birealnet: the C on emulated Cortex-M4 equals the interpreter bit for bit on 4 test images', () => {
    const r = verify(`${ROOT}examples/birealnet/birealnet.onnx`, 'cortex-m4', { inputQuant: Q, data: `${FASHION}t10k-images-idx3-ubyte.gz`, limit: 4 });
    expect(r.ran).toBe(true);
    expect(r.vectors).toBe(4);
    expect(r.mismatchedVectors).toBe(0);
  }, 120_000);

  for (const target of ['cortex-m4', 'esp32c3', 'esp32']) {
    const tool = loadTarget(target).emulator!.command;
    it.skipIf(!hasTool(tool))(`firmware main.c prints the class of the embedded image on ${target}`, () => {
      for (const name of ['mlp', 'cnn']) {
        const t = loadTarget(target);
        // as examples/firmware/main.c says to compile it: --prefix bnn_model --labels labels.txt --selftest 4
        const { files } = build(`${ROOT}examples/${name}/${name}.onnx`, t, { inputQuant: Q, prefix: 'bnn_model', labels: `${ROOT}examples/firmware/labels.txt`, selftest: { count: 4 }, measureStack: false });
        const run = runFirmware(t, files, [`${ROOT}examples/firmware/main.c`], [`${ROOT}examples/firmware`]);
        // the self-test passes; image 0 of the test set is an ankle boot (label 9); both examples classify it correctly
        expect(run.console, `${name} on ${target}`).toBe('selftest: 0 of 4 vectors differ\nclass 9: Ankle boot\n');
        expect(run.exitCode).toBe(0);
      }
    });
  }
});
