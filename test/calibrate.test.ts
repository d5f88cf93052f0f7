// --calibrate on a tiny BinaryConnect network (binary weights, float activations): which tensors get a
// quantizer, the scales checked against the activations as onnxruntime computes them, the inserted Quant
// nodes' float semantics against onnxruntime running the same quantizer written in plain ONNX
// (Div → Round → Clip → Mul), determinism, and the errors (no data; data of the wrong shape; nothing written).
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { calibrationPoints } from '../src/analyze/calibration.js';
import { calibrateModel } from '../src/calibrate.js';
import { check, inspect, verify } from '../src/library.js';
import { hasTool } from './helpers/resources.js';
import { main } from '../src/cli.js';
import { loadModel } from '../src/compile.js';
import { tensor } from '../src/ir/tensor.js';
import type { Tensor } from '../src/ir/types.js';
import { run } from '../src/interp/run.js';
import { clipBound, HIST_BITS, Histogram } from '../src/numeric/calibrate.js';
import { buildModel, expectTensorClose, type ModelIn, type NodeIn, rng, runOrt } from './helpers/onnx-build.js';

const r = rng(12);
const pm = (n: number, a = 1) => Array.from({ length: n }, () => (r() < 0.5 ? -a : a));
const vec = (n: number, lo: number, hi: number) => Array.from({ length: n }, () => lo + (hi - lo) * r());
const QUANT_INPUT = { inputQuant: { dtype: 'uint8' as const, scale: 1, divisor: 255, zeroPoint: 0 } };

const WEIGHTS: Record<string, Tensor> = {
  W1: tensor('float32', [4, 1, 3, 3], pm(36, 0.3)), W2: tensor('float32', [3, 4, 2, 2], pm(48)), W3: tensor('float32', [2, 12], pm(24)),
  g1: tensor('float32', [4], vec(4, 0.5, 2)), b1: tensor('float32', [4], vec(4, -0.5, 0.5)), m1: tensor('float32', [4], vec(4, 0, 1)), v1: tensor('float32', [4], vec(4, 0.5, 2)),
  g2: tensor('float32', [3], vec(3, 0.5, 2)), b2: tensor('float32', [3], vec(3, -0.5, 0.5)), m2: tensor('float32', [3], vec(3, -1, 1)), v2: tensor('float32', [3], vec(3, 1, 4)),
};

/**
 * x [N,1,6,6] (pixel/255) → Conv ±0.3 [4,1,3,3] pads 1 → BN → Relu (r1) → MaxPool 2 → Conv ±1 [3,4,2,2] →
 * BN (b2, signed) → Flatten → Gemm ±1 [2,12] → y. `extra` nodes go before the Gemm (they read b2f).
 */
function model(extraOutputs: string[] = [], quantizers?: Record<string, { scale: number; signed: boolean }>): ModelIn {
  const nodes: NodeIn[] = [
    { op: 'Conv', inputs: ['x', 'W1'], outputs: ['c1'], attrs: { kernel_shape: [3, 3], pads: [1, 1, 1, 1] }, name: 'conv1' },
    { op: 'BatchNormalization', inputs: ['c1', 'g1', 'b1', 'm1', 'v1'], outputs: ['n1'], name: 'bn1' },
    { op: 'Relu', inputs: ['n1'], outputs: ['r1'], name: 'relu1' },
    { op: 'MaxPool', inputs: ['r1'], outputs: ['p1'], attrs: { kernel_shape: [2, 2], strides: [2, 2] }, name: 'pool1' },
    { op: 'Conv', inputs: ['p1', 'W2'], outputs: ['c2'], attrs: { kernel_shape: [2, 2] }, name: 'conv2' },
    { op: 'BatchNormalization', inputs: ['c2', 'g2', 'b2', 'm2', 'v2'], outputs: ['b2f'], name: 'bn2' },
    { op: 'Flatten', inputs: ['b2f'], outputs: ['f'], attrs: { axis: 1 }, name: 'flat' },
    { op: 'Gemm', inputs: ['f', 'W3'], outputs: ['y'], attrs: { transB: 1 }, name: 'fc' },
  ];
  const initializers: Record<string, Tensor> = { ...WEIGHTS };
  if (quantizers) {
    // the same quantizers in plain ONNX: Div → Round → Clip → Mul on r1 and b2f, readers rewired
    for (const [t, q] of Object.entries(quantizers)) {
      initializers[`${t}_s`] = tensor('float32', [], [q.scale]);
      initializers[`${t}_lo`] = tensor('float32', [], [q.signed ? -128 : 0]);
      initializers[`${t}_hi`] = tensor('float32', [], [q.signed ? 127 : 255]);
      const at = nodes.findIndex((n) => n.outputs[0] === t) + 1;
      for (const n of nodes.slice(at)) n.inputs = n.inputs.map((s) => (s === t ? `${t}_q` : s));
      nodes.splice(at, 0,
        { op: 'Div', inputs: [t, `${t}_s`], outputs: [`${t}_d`] }, { op: 'Round', inputs: [`${t}_d`], outputs: [`${t}_r`] },
        { op: 'Clip', inputs: [`${t}_r`, `${t}_lo`, `${t}_hi`], outputs: [`${t}_c`] }, { op: 'Mul', inputs: [`${t}_c`, `${t}_s`], outputs: [`${t}_q`] });
    }
  }
  return {
    inputs: [{ name: 'x', dtype: 'float32', shape: ['N', 1, 6, 6] }],
    outputs: [{ name: 'y', dtype: 'float32' }, ...extraOutputs.map((name) => ({ name, dtype: 'float32' as const }))],
    nodes, initializers,
  };
}

const SAMPLES = 40;
const raw = Array.from({ length: SAMPLES * 36 }, () => Math.floor(r() * 256));
const dir = mkdtempSync(join(tmpdir(), 'bnnc-calib-'));
const modelPath = join(dir, 'bc.onnx');
writeFileSync(modelPath, buildModel(model()));
const dataPath = join(dir, 'calib.npy');
npyU8(dataPath, [SAMPLES, 6, 6], raw);
const badPath = join(dir, 'bad.npy');
npyU8(badPath, [SAMPLES, 5, 5], raw.slice(0, SAMPLES * 25));

/** The float input of sample i, as bnnc makes it: fl(q / 255). */
const sampleX = (i: number) => tensor('float32', [1, 1, 6, 6], raw.slice(i * 36, (i + 1) * 36).map((q) => Math.fround(q / 255)));

function npyU8(path: string, shape: number[], values: number[]): void {
  let header = `{'descr': '|u1', 'fortran_order': False, 'shape': (${shape.join(', ')}${shape.length === 1 ? ',' : ''}), }`;
  header += ' '.repeat(63 - ((10 + header.length) % 64)) + '\n';
  const h = Buffer.from(header, 'latin1');
  writeFileSync(path, Buffer.concat([Buffer.from([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, 1, 0, h.length & 0xff, h.length >> 8]), h, Buffer.from(values)]));
}

async function cli(...args: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '', err = '';
  const code = await main(['node', 'bnnc', ...args], { out: (s) => { out += s; }, err: (s) => { err += s; } });
  return { code, out, err };
}

describe('calibration', () => {
  it('finds the float activations the binary layers read: after the ReLU (before the pool), and a signed BN output', () => {
    const pts = calibrationPoints(loadModel(modelPath));
    expect(pts.map((p) => [p.tensor, p.producer, p.reader])).toEqual([['r1', 'relu1', 'conv2'], ['b2f', 'bn2', 'fc']]);
  });

  it('finds none where a quantizer sits in between (a Sign, a QONNX Quant)', () => {
    const s = model();
    s.nodes[2] = { op: 'Sign', inputs: ['n1'], outputs: ['r1'], name: 'sign1' };
    expect(calibrationPoints(loadModel(buildModel(s))).map((p) => p.tensor)).toEqual(['b2f']);
    const q = model();
    q.nodes.splice(6, 0, { op: 'Quant', domain: 'qonnx.custom_op.general', inputs: ['b2f', 'qs', 'qz', 'qb'], outputs: ['b2q'], attrs: { signed: 1, narrow: 0, rounding_mode: 'ROUND' }, name: 'q2' });
    q.nodes[7].inputs = ['b2q'];
    q.initializers = { ...q.initializers, qs: tensor('float32', [], [0.1]), qz: tensor('float32', [], [0]), qb: tensor('float32', [], [4]) };
    q.domains = { 'qonnx.custom_op.general': 1 };
    expect(calibrationPoints(loadModel(buildModel(q))).map((p) => p.tensor)).toEqual(['r1']);
  });

  it('residual joins: a Quant after the Add (unless its own k-bit Quant is its only reader), and on an input through a ReLU', () => {
    // x → conv0 → bn0 → relu0 (r0) → conv1 → bn1 (n1) [→ relu1] → Add(n1, r0) → a1 → conv2 → y
    const res = (relu1: boolean, ownQuant: boolean): ModelIn => ({
      inputs: [{ name: 'x', dtype: 'float32', shape: [1, 2, 4, 4] }],
      outputs: [{ name: 'y', dtype: 'float32' }],
      nodes: [
        { op: 'Conv', inputs: ['x', 'Wa'], outputs: ['c0'], attrs: { kernel_shape: [1, 1] }, name: 'conv0' },
        { op: 'BatchNormalization', inputs: ['c0', 'g', 'b', 'm', 'v'], outputs: ['n0'], name: 'bn0' },
        { op: 'Relu', inputs: ['n0'], outputs: ['r0'], name: 'relu0' },
        { op: 'Conv', inputs: ['r0', 'Wb'], outputs: ['c1'], attrs: { kernel_shape: [1, 1] }, name: 'conv1' },
        { op: 'BatchNormalization', inputs: ['c1', 'g', 'b', 'm', 'v'], outputs: [relu1 ? 'n1r' : 'n1'], name: 'bn1' },
        ...(relu1 ? [{ op: 'Relu', inputs: ['n1r'], outputs: ['n1'], name: 'relu1' }] : []),
        { op: 'Add', inputs: ['n1', 'r0'], outputs: ['a1'], name: 'join' },
        ...(ownQuant ? [{ op: 'Quant', domain: 'qonnx.custom_op.general', inputs: ['a1', 'qs', 'qz', 'qb'], outputs: ['a1q'], attrs: { signed: 1, narrow: 0, rounding_mode: 'ROUND' }, name: 'q' }] : []),
        { op: 'Conv', inputs: [ownQuant ? 'a1q' : 'a1', 'Wb'], outputs: ['y'], attrs: { kernel_shape: [1, 1] }, name: 'conv2' },
      ],
      initializers: {
        Wa: tensor('float32', [2, 2, 1, 1], [1, -1, 1, 1]), Wb: tensor('float32', [2, 2, 1, 1], [-1, 1, 1, 1]),
        g: tensor('float32', [2], [1, 2]), b: tensor('float32', [2], [0, 0.5]), m: tensor('float32', [2], [0, 1]), v: tensor('float32', [2], [1, 1]),
        qs: tensor('float32', [], [0.25]), qz: tensor('float32', [], [0]), qb: tensor('float32', [], [6]),
      },
      domains: { 'qonnx.custom_op.general': 1 },
    });
    const pts = (relu1: boolean, own: boolean) => calibrationPoints(loadModel(buildModel(res(relu1, own)))).map((p) => `${p.tensor}<-${p.reader}`);
    expect(pts(false, false)).toEqual(['r0<-conv1', 'a1<-conv2']);
    expect(pts(true, false)).toEqual(['r0<-conv1', 'n1<-join', 'a1<-conv2']);
    expect(pts(false, true)).toEqual(['r0<-conv1']);
    // a downsampling shortcut: the average pool of the (quantized) stream joins as window sums, the sum
    // after the Add gets its quantizer; a pool over a ReLU output quantizes that output first
    const down = res(false, false);
    down.nodes.splice(5, 1, { op: 'AveragePool', inputs: ['r0'], outputs: ['ap'], attrs: { kernel_shape: [1, 1] }, name: 'pool' }, { op: 'Add', inputs: ['n1', 'ap'], outputs: ['a1'], name: 'join' });
    expect(calibrationPoints(loadModel(buildModel(down))).map((p) => `${p.tensor}<-${p.reader}`)).toEqual(['r0<-conv1', 'a1<-conv2']);
  });

  it('scales from the activations as onnxruntime computes them (min/max exactly, percentile and MSE within a bin)', async () => {
    const bytes = buildModel(model(['r1', 'b2f']));
    const r1: number[] = [], b2: number[] = [];
    for (let i = 0; i < SAMPLES; i++) {
      const o = await runOrt(bytes, { x: sampleX(i) });
      r1.push(...o.r1.data);
      b2.push(...o.b2f.data);
    }
    const float = loadModel(modelPath);
    for (const method of ['minmax', 'percentile', 'mse'] as const) {
      const { calibration } = calibrateModel(float, { ...QUANT_INPUT, calibrate: dataPath, calibrateMethod: method });
      expect(calibration!.samples).toBe(SAMPLES);
      const [t1, t2] = calibration!.tensors;
      expect([t1.tensor, t1.signed, t2.tensor, t2.signed]).toEqual(['r1', false, 'b2f', true]);
      for (const [t, vals, qmax] of [[t1, r1, 255], [t2, b2, 127]] as const) {
        const abs = Float64Array.from(vals, Math.abs).sort();
        const max = abs[abs.length - 1];
        // float sums may round differently from onnxruntime's: a few ULPs
        const width = 2 ** (Math.ceil(Math.log2(max)) - HIST_BITS + 1);
        if (method === 'minmax') expect(Math.abs(t.bound - max)).toBeLessThanOrEqual(max * 1e-6);
        if (method === 'percentile') expect(Math.abs(t.bound - abs[Math.ceil(0.9999 * abs.length) - 1])).toBeLessThanOrEqual(width);
        if (method === 'mse') {
          const h = new Histogram();
          h.add(vals);
          expect(Math.abs(t.bound - clipBound(h, 'mse', qmax))).toBeLessThanOrEqual(max / 1024 + max * 1e-6);
        }
        expect(t.scale).toBe(Math.fround(t.bound / qmax));
      }
    }
  });

  it('the calibrated graph computes what onnxruntime computes with the same quantizers as Div/Round/Clip/Mul', async () => {
    const float = loadModel(modelPath);
    const { graph, calibration } = calibrateModel(float, { ...QUANT_INPUT, calibrate: dataPath, calibrateMethod: 'mse' });
    expect(graph.nodes.filter((n) => n.op === 'Quant').map((n) => [n.inputs[0], n.attrs.signed])).toEqual([['r1', 0], ['b2f', 1]]);
    // the pool and the Gemm read the quantized tensors
    expect(graph.nodes.find((n) => n.name === 'pool1')!.inputs[0]).toBe('r1__int8');
    const plain = buildModel(model([], Object.fromEntries(calibration!.tensors.map((t) => [t.tensor, { scale: t.scale, signed: t.signed }]))));
    let changed = 0;
    for (let i = 0; i < SAMPLES; i++) {
      const x = sampleX(i);
      const want = (await runOrt(plain, { x })).y;
      // a few ULPs: the convolutions sum in another order; the quantizers themselves are exact
      expectTensorClose(run(graph, { x }).get('y')!, want, { ulps: 64, absTol: 1e-5 });
      if (run(float, { x }).get('y')!.data.some((v, k) => v !== want.data[k])) changed++;
    }
    expect(changed).toBeGreaterThan(0); // the quantizers do change the outputs
  });

  it('is deterministic: the same file gives the same scales; --calibrate-limit takes the first N', () => {
    const float = loadModel(modelPath);
    const a = calibrateModel(float, { ...QUANT_INPUT, calibrate: dataPath }).calibration!;
    const b = calibrateModel(float, { ...QUANT_INPUT, calibrate: dataPath }).calibration!;
    expect(b).toEqual(a);
    expect(a.method).toBe('mse');
    const c = calibrateModel(float, { ...QUANT_INPUT, calibrate: dataPath, calibrateLimit: 5 }).calibration!;
    expect(c.samples).toBe(5);
  });

  it('without --calibrate: BNNC_E120 naming the node and the tensor, nothing written', async () => {
    const out = join(dir, 'out-none');
    const res = await cli('compile', modelPath, '-t', 'host', '-o', out, '--input-scale', '1/255');
    expect(res.code).toBe(2);
    expect(res.err).toContain('BNNC_E120');
    expect(res.err).toContain("Conv 'conv2' reads 'r1' (computed by 'relu1')");
    expect(res.err).toContain("'b2f'");
    expect(res.err).toContain('--calibrate');
    expect(existsSync(out)).toBe(false);
  });

  it('inspect gives the verdict compile gives: BNNC_E120 on the reading node without --calibrate, every node taken with it', () => {
    const without = inspect(modelPath, QUANT_INPUT);
    expect(without.lowering).toMatchObject({ ok: false, code: 'BNNC_E120', node: 'conv2' });
    const calibrated = inspect(modelPath, { ...QUANT_INPUT, calibrate: dataPath });
    expect(calibrated.lowering?.ok).toBe(true);
  });

  it('calibration data of another shape: BNNC_E050 naming both shapes, nothing written', async () => {
    const out = join(dir, 'out-bad');
    const res = await cli('compile', modelPath, '-t', 'host', '-o', out, '--input-scale', '1/255', '--calibrate', badPath);
    expect(res.code).toBe(2);
    expect(res.err).toContain('BNNC_E050');
    expect(res.err).toContain('[40,5,5]');
    expect(res.err).toContain('[1,1,6,6]');
    expect(existsSync(out)).toBe(false);
    const m = await cli('check', modelPath, '--input-scale', '1/255', '--calibrate', dataPath, '--calibrate-method', 'median');
    expect(m.code).toBe(2);
    expect(m.err).toContain('median');
  });

  it('end to end: check lowers the calibrated network exactly as its float model with the quantizers computes it', () => {
    const rep = check(modelPath, { ...QUANT_INPUT, calibrate: dataPath, random: 300, seed: 5 });
    expect(rep.references?.map((m) => m.name)).toEqual(['calibrated']);
    expect(rep.references![0].agreement).toBe(1);
    expect(rep.agreement).toBeGreaterThan(0.9);
  });

  it('end to end: the C (ts target, and host when a C compiler is here) equals the interpreter bit for bit', () => {
    const ts = verify(modelPath, 'ts', { ...QUANT_INPUT, calibrate: dataPath, random: 10 });
    expect([ts.ran, ts.mismatchedVectors]).toEqual([true, 0]);
    if (!hasTool('cc')) return;
    const host = verify(modelPath, 'host', { ...QUANT_INPUT, calibrate: dataPath, random: 10 });
    expect([host.ran, host.mismatchedVectors]).toEqual([true, 0]);
  }, 120_000);
});
