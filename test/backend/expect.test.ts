// verify --expect: the firmware's outputs against golden float outputs computed independently by
// onnxruntime from the float model on the same inputs; the figures re-derived here from the reference
// interpreter (which the C matches bit for bit, as the same run checks), thresholds and exit codes, JUnit.
import { readFileSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { main } from '../../src/cli.js';
import { argmax, ExpectTally, expectedVectors, junitXml, parseThreshold } from '../../src/backend/expect.js';
import { loadModel, lowerModel, parseInputQuant } from '../../src/compile.js';
import { CompileError } from '../../src/errors.js';
import { run } from '../../src/interp/run.js';
import { tensor } from '../../src/ir/tensor.js';
import type { Tensor } from '../../src/ir/types.js';
import { rng, runOrt } from '../helpers/onnx-build.js';
import { ROOT, hasTool } from '../helpers/resources.js';

const dir = mkdtempSync(join(tmpdir(), 'bnnc-expect-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function cli(...args: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '', err = '';
  const code = await main(['node', 'bnnc', ...args], { out: (s) => { out += s; }, err: (s) => { err += s; } });
  return { code, out, err };
}

function npy(path: string, descr: string, shape: number[], body: Uint8Array): void {
  let header = `{'descr': '${descr}', 'fortran_order': False, 'shape': (${shape.join(', ')}${shape.length === 1 ? ',' : ''}), }`;
  header += ' '.repeat(63 - ((10 + header.length) % 64)) + '\n';
  const h = Buffer.from(header, 'latin1');
  writeFileSync(path, Buffer.concat([Buffer.from([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, 1, 0, h.length & 0xff, h.length >> 8]), h, body]));
}

function codeOf(f: () => unknown): string {
  try {
    f();
  } catch (e) {
    if (e instanceof CompileError) return e.code;
    throw e;
  }
  return 'none';
}

const f32 = (shape: number[], v: number[]): Tensor => {
  const t = tensor('float32', shape);
  t.data.set(v);
  return t;
};

describe('the comparison', () => {
  it('takes the first index of the largest score as top-1, NaN lowest', () => {
    expect(argmax([1, 3, 3, 2])).toBe(1);
    expect(argmax([NaN, -5, -7])).toBe(1);
  });

  it('counts top-1 equality and the largest difference, and names the broken thresholds', () => {
    const exp = f32([3, 3], [0, 1, 0, /**/ 5, 4, 3, /**/ 0.5, 0.25, 0]);
    const t = new ExpectTally(expectedVectors('e.npy', exp, 3, 3));
    t.add(0, [0, 2, 0]); // top-1 equal, diff 1
    t.add(1, [3, 4, 3]); // top-1 differs (1 vs 0), diff 2 at score 0
    t.add(2, [0.5, 0.25, 0]); // identical
    const ok = t.report({ minTop1: 0.6, maxAbsDiff: 2 });
    expect(ok).toMatchObject({ vectors: 3, top1Equal: 2, maxAbsDiff: 2, worst: { vector: 1, index: 0, expected: 5, actual: 3 }, failures: [] });
    const bad = t.report({ minTop1: 0.7, maxAbsDiff: 1.5 });
    expect(bad.failures).toHaveLength(2);
    expect(bad.failures[0]).toContain('2 of 3 vectors');
    expect(bad.failures[1]).toContain('vector 1, score 0: expected 5, firmware 3');
  });

  it('counts a vector the firmware wrote short of as differing everywhere', () => {
    const t = new ExpectTally(expectedVectors('e.npy', f32([1, 2], [1, 0]), 2, 1));
    t.add(0, [1]);
    expect(t.report({ maxAbsDiff: 1e9 }).failures).toHaveLength(1);
  });

  it('refuses expected outputs that do not fit and thresholds out of range', () => {
    expect(codeOf(() => expectedVectors('e.npy', f32([4, 9], new Array(36).fill(0)), 10, 4))).toBe('BNNC_E105');
    expect(codeOf(() => expectedVectors('e.npy', f32([3, 10], new Array(30).fill(0)), 10, 4))).toBe('BNNC_E105');
    expect(codeOf(() => expectedVectors('e.npy', tensor('uint8', [4, 10]), 10, 4))).toBe('BNNC_E105');
    expect(codeOf(() => expectedVectors('e.npy', f32([4, 1, 10], new Array(40).fill(0)), 10, 4))).toBe('none');
    for (const v of ['1.5', '-0.1', 'NaN', '', 'x']) expect(codeOf(() => parseThreshold('--min-top1', v)), v).toBe('BNNC_E106');
    for (const v of ['-1', 'Infinity']) expect(codeOf(() => parseThreshold('--max-abs-diff', v)), v).toBe('BNNC_E106');
    expect(parseThreshold('--max-abs-diff', '1e-4')).toBe(1e-4);
  });

  it('writes JUnit XML with one testcase per model × target, escaped, failures and skips counted', () => {
    const x = junitXml([
      { model: 'a<b>.onnx', target: 'host', ran: true, note: 'ran natively', figures: ['top-1 1 of 1'], failures: [] },
      { model: 'm.onnx', target: 'cortex-m4', ran: true, note: 'qemu', figures: [], failures: ['largest score difference 2 & more'] },
      { model: 'm.onnx', target: 'esp32', ran: false, note: 'not run', figures: [], failures: [] },
    ]);
    expect(x).toMatch(/<testsuite name="bnnc verify" tests="3" failures="1" errors="0" skipped="1">/);
    expect(x.match(/<testcase /g)).toHaveLength(3);
    expect(x).toContain('name="a&lt;b&gt;.onnx on host"');
    expect(x).toContain('<failure type="threshold" message="largest score difference 2 &amp; more">');
    expect(x).toContain('<skipped message="not run"/>');
  });
});

describe('bnnc verify --expect on the example MLP (host build, golden outputs from onnxruntime)', () => {
  const MLP = `${ROOT}examples/mlp/mlp.onnx`;
  const N = 40;
  const gcc = hasTool('gcc');

  /** Seeded raw inputs, onnxruntime's float outputs on x = q / 255, and the interpreter's on the lowered model. */
  async function golden(): Promise<{ inputs: string; outputs: Float32Array; lowered: Float64Array[] }> {
    const r = rng(14);
    const q = Uint8Array.from({ length: N * 784 }, () => Math.floor(r() * 256));
    const inputs = join(dir, 'inputs.npy');
    npy(inputs, '|u1', [N, 28, 28], q);
    const float = loadModel(MLP);
    const lowered = lowerModel(float, { inputQuant: parseInputQuant('1/255', undefined, 'uint8'), portableMath: true });
    const outputs = new Float32Array(N * 10);
    const ours: Float64Array[] = [];
    const bytes = new Uint8Array(readFileSync(MLP));
    const inName = float.inputs[0].name;
    for (let v = 0; v < N; v++) {
      const x = tensor('float32', float.inputs[0].type.shape);
      for (let i = 0; i < 784; i++) x.data[i] = Math.fround(q[v * 784 + i] / 255);
      const o = await runOrt(bytes, { [inName]: x });
      outputs.set(Object.values(o)[0].data, v * 10);
      const raw = tensor('uint8', lowered.inputs[0].type.shape);
      raw.data.set(q.subarray(v * 784, (v + 1) * 784));
      ours.push(Float64Array.from(run(lowered, { [lowered.inputs[0].name]: raw }).get(lowered.outputs[0])!.data));
    }
    return { inputs, outputs, lowered: ours };
  }

  it.skipIf(!gcc)('reports the top-1 rate and largest difference that the interpreter and onnxruntime give, and applies the thresholds', async () => {
    const g = await golden();
    const expPath = join(dir, 'outputs.npy');
    npy(expPath, '<f4', [N, 10], new Uint8Array(g.outputs.buffer));
    // the figures, derived independently of bnnc's comparison code
    let top1 = 0, max = 0;
    g.lowered.forEach((a, v) => {
      const e = g.outputs.subarray(v * 10, v * 10 + 10);
      const am = (x: ArrayLike<number>) => Array.from(x).indexOf(Math.max(...Array.from(x)));
      if (am(a) === am(e)) top1++;
      for (let i = 0; i < 10; i++) max = Math.max(max, Math.abs(a[i] - e[i]));
    });
    const base = ['verify', MLP, '-t', 'host', '--input-scale', '1/255', '--data', g.inputs, '--expect', expPath];
    const junit = join(dir, 'ok.xml');
    const ok = await cli(...base, '--json', '--min-top1', String(top1 / N), '--max-abs-diff', String(max), '--junit', junit);
    expect(ok.code, ok.err).toBe(0);
    const rep = JSON.parse(ok.out) as { mismatchedVectors: number; expected: { vectors: number; top1Equal: number; maxAbsDiff: number } };
    expect(rep.mismatchedVectors).toBe(0); // the C is bit-exact with the interpreter, so its figures are the interpreter's
    expect(rep.expected.vectors).toBe(N);
    expect(rep.expected.top1Equal).toBe(top1);
    expect(rep.expected.maxAbsDiff).toBeCloseTo(max, 12);
    expect(top1).toBeGreaterThan(N * 0.9); // the compiled model agrees with the float model (sanity of the setup)
    const x = readFileSync(junit, 'utf8');
    expect(x).toMatch(/tests="1" failures="0"/);
    expect(x).toContain('name="mlp.onnx on host"');

    // a threshold just below the figure breaks: exit 1, the figures in the text and in the JUnit failure
    if (max > 0) {
      const tight = await cli(...base, '--max-abs-diff', String(max / 2), '--junit', join(dir, 'tight.xml'));
      expect(tight.code).toBe(1);
      expect(tight.out).toMatch(/FAILED: largest score difference .* above --max-abs-diff/);
      expect(readFileSync(join(dir, 'tight.xml'), 'utf8')).toMatch(/failures="1"[\s\S]*<failure type="threshold" message="largest score difference/);
    }

    // golden outputs with each vector's scores in reverse class order: top-1 collapses, --min-top1 fails
    const shifted = new Float32Array(N * 10);
    for (let v = 0; v < N; v++) shifted.set(g.outputs.subarray(v * 10, v * 10 + 10).slice().reverse(), v * 10);
    const wrong = join(dir, 'wrong.npy');
    npy(wrong, '<f4', [N, 10], new Uint8Array(shifted.buffer));
    const bad = await cli('verify', MLP, '-t', 'host', '--input-scale', '1/255', '--data', g.inputs, '--expect', wrong, '--min-top1', '0.9');
    expect(bad.code).toBe(1);
    expect(bad.out).toMatch(/FAILED: top-1 equal on \d+ of 40 vectors/);
  }, 30 * 60_000);

  it.skipIf(!(hasTool('arm-none-eabi-gcc') && hasTool('qemu-system-arm')))('compares the Cortex-M0+ build run under QEMU the same way', async () => {
    const g = await golden();
    const expPath = join(dir, 'outputs-m0.npy');
    npy(expPath, '<f4', [N, 10], new Uint8Array(g.outputs.buffer));
    let top1 = 0;
    g.lowered.forEach((a, v) => { if (argmax(a) === argmax(g.outputs.subarray(v * 10, v * 10 + 10))) top1++; });
    const junit = join(dir, 'm0.xml');
    const r = await cli('verify', MLP, '-t', 'cortex-m0plus', '--input-scale', '1/255', '--data', g.inputs, '--expect', expPath, '--json', '--junit', junit);
    expect(r.code, r.err).toBe(0);
    const rep = JSON.parse(r.out) as { ran: boolean; mismatchedVectors: number; expected: { top1Equal: number } };
    expect(rep.ran).toBe(true);
    expect(rep.mismatchedVectors).toBe(0);
    expect(rep.expected.top1Equal).toBe(top1);
    expect(readFileSync(junit, 'utf8')).toContain('name="mlp.onnx on cortex-m0plus"');
  }, 30 * 60_000);

  it('refuses --expect without --data, thresholds without --expect, and expected outputs of the wrong size', async () => {
    const r1 = await cli('verify', MLP, '-t', 'host', '--input-scale', '1/255', '--random', '3', '--expect', 'x.npy');
    expect(r1.code).toBe(2);
    expect(r1.err).toContain('BNNC_E107');
    const r2 = await cli('verify', MLP, '-t', 'host', '--input-scale', '1/255', '--random', '3', '--min-top1', '0.5');
    expect(r2.err).toContain('BNNC_E107');
    const inputs = join(dir, 'in3.npy');
    npy(inputs, '|u1', [3, 28, 28], new Uint8Array(3 * 784));
    const small = join(dir, 'small.npy');
    npy(small, '<f4', [3, 9], new Uint8Array(3 * 9 * 4));
    const r3 = await cli('verify', MLP, '-t', 'host', '--input-scale', '1/255', '--data', inputs, '--expect', small);
    expect(r3.code).toBe(2);
    expect(r3.err).toContain('BNNC_E105');
  });
});
