// The command line as a user meets it: help and version, `inspect` text and JSON, and bad input reported
// as a coded error with exit code 2 and no stack trace.
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { main } from '../src/cli.js';
import { tensor } from '../src/ir/tensor.js';
import { buildModel, rng } from './helpers/onnx-build.js';

async function cli(...args: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '', err = '';
  const code = await main(['node', 'bnnc', ...args], { out: (s) => { out += s; }, err: (s) => { err += s; } });
  return { code, out, err };
}

const dir = mkdtempSync(join(tmpdir(), 'bnnc-cli-'));
const modelPath = join(dir, 'tiny.onnx');
writeFileSync(modelPath, buildModel({
  inputs: [{ name: 'x', dtype: 'float32', shape: ['N', 4] }],
  outputs: [{ name: 'y', dtype: 'float32' }],
  initializers: { W: tensor('float32', [3, 4], [1, -1, 1, 1, -1, -1, 1, -1, 1, 1, 1, 1]), b: tensor('float32', [3], [0.5, 0, -0.5]) },
  nodes: [
    { op: 'Sign', inputs: ['x'], outputs: ['s'] },
    { op: 'Gemm', inputs: ['s', 'W', 'b'], outputs: ['y'], attrs: { transB: 1 } },
  ],
}));

// A two-layer BNN on 8-bit pixels: x = q/255 → 2x − 1 → Sign → Gemm(±1) → BN → Sign → Gemm(±1) → scores.
const r = rng(7);
const pm1 = (n: number) => Array.from({ length: n }, () => (r() < 0.5 ? -1 : 1));
const bnnPath = join(dir, 'bnn.onnx');
writeFileSync(bnnPath, buildModel({
  inputs: [{ name: 'x', dtype: 'float32', shape: ['N', 16] }],
  outputs: [{ name: 'y', dtype: 'float32' }],
  initializers: {
    two: tensor('float32', [], [2]), one: tensor('float32', [], [1]),
    W1: tensor('float32', [8, 16], pm1(128)), W2: tensor('float32', [4, 8], pm1(32)),
    g: tensor('float32', [8], Array.from({ length: 8 }, () => r() * 2 - 1)), b: tensor('float32', [8], Array.from({ length: 8 }, () => r() - 0.5)),
    m: tensor('float32', [8], Array.from({ length: 8 }, () => r() * 4 - 2)), v: tensor('float32', [8], Array.from({ length: 8 }, () => r() + 0.5)),
  },
  nodes: [
    { op: 'Mul', inputs: ['x', 'two'], outputs: ['x2'] },
    { op: 'Sub', inputs: ['x2', 'one'], outputs: ['xc'] },
    { op: 'Sign', inputs: ['xc'], outputs: ['s0'] },
    { op: 'Gemm', inputs: ['s0', 'W1'], outputs: ['h'], attrs: { transB: 1 } },
    { op: 'BatchNormalization', inputs: ['h', 'g', 'b', 'm', 'v'], outputs: ['hb'] },
    { op: 'Sign', inputs: ['hb'], outputs: ['s1'] },
    { op: 'Gemm', inputs: ['s1', 'W2'], outputs: ['y'], attrs: { transB: 1 } },
  ],
}));

/** A .npy file of uint8 values, written by hand from the format description (NumPy's NEP 1). */
function npyU8(path: string, shape: number[], values: number[]): void {
  let header = `{'descr': '|u1', 'fortran_order': False, 'shape': (${shape.join(', ')}${shape.length === 1 ? ',' : ''}), }`;
  header += ' '.repeat(63 - ((10 + header.length) % 64)) + '\n';
  const h = Buffer.from(header, 'latin1');
  const pre = Buffer.from([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, 1, 0, h.length & 0xff, h.length >> 8]);
  writeFileSync(path, Buffer.concat([pre, h, Buffer.from(values)]));
}

describe('bnnc command line', () => {
  it('prints its version and help for every subcommand', async () => {
    const v = await cli('--version');
    expect(v.code).toBe(0);
    expect(v.out.trim()).toMatch(/^\d+\.\d+\.\d+$/);
    const h = await cli('inspect', '--help');
    expect(h.code).toBe(0);
    expect(h.out).toContain('--json');
  });

  it('inspect lists nodes, shapes, parameters and binary layers', async () => {
    const r = await cli('inspect', modelPath);
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/Gemm\s+float32\[1,3\]\s+15\s+weights ±1/);
    expect(r.out).toMatch(/Sign\s+float32\[1,4\]\s+0\s+activation ±1 \(Sign\)/);
    const j = JSON.parse((await cli('inspect', modelPath, '--json', '--input-shape', 'x=8,4')).out);
    expect(j.inputs).toEqual([{ name: 'x', dtype: 'float32', shape: [8, 4] }]);
    expect(j.nodes.map((n: { op: string }) => n.op)).toEqual(['Sign', 'Gemm']);
    expect(j.totalParams).toBe(15);
  });

  it('reports a missing file, a non-model and a bad option with a code and exit 2', async () => {
    const missing = await cli('inspect', join(dir, 'nope.onnx'));
    expect(missing.code).toBe(2);
    expect(missing.err).toMatch(/BNNC_E001.*no such file/);
    const junk = join(dir, 'junk.onnx');
    writeFileSync(junk, Buffer.from('this is not protobuf at all \xff\xff\xff\xff'));
    const bad = await cli('inspect', junk);
    expect(bad.code).toBe(2);
    expect(bad.err).toMatch(/BNNC_E002/);
    expect(bad.err).not.toMatch(/\n\s+at /);
    const shape = await cli('inspect', modelPath, '--input-shape', 'x=0,4');
    expect(shape.code).toBe(2);
    expect(shape.err).toMatch(/BNNC_E019/);
  });

  it('check compares the float and lowered models on random and on labelled raw data', async () => {
    const j = JSON.parse((await cli('check', bnnPath, '--input-scale', '1/255', '--random', '40', '--json')).out);
    expect(j.samples).toBe(40);
    expect(j.agreement).toBe(1);
    expect(j.layers.map((l: { node: string }) => l.node)).toEqual(['Sign_2', 'Sign_5']);
    for (const l of j.layers) expect(l.identical).toBe(l.bits);
    const rd = rng(3);
    const data = Array.from({ length: 10 * 16 }, () => Math.floor(rd() * 256));
    npyU8(join(dir, 'x.npy'), [10, 16], data);
    npyU8(join(dir, 'y.npy'), [10], Array.from({ length: 10 }, (_, i) => i % 4));
    const k = JSON.parse((await cli('check', bnnPath, '--input-scale', '1/255', '--data', join(dir, 'x.npy'), '--labels', join(dir, 'y.npy'), '--limit', '8', '--json')).out);
    expect(k.samples).toBe(8);
    expect(k.float_accuracy).toBe(k.lowered_accuracy);
    expect(typeof k.float_accuracy).toBe('number');
    const text = await cli('check', bnnPath, '--input-scale', '1/255', '--random', '5');
    expect(text.out).toMatch(/top-1 agreement \(float vs lowered\): 100\.00 %/);
  });

  it('check refuses a float input without its quantization, and data that are not raw bytes', async () => {
    const noQuant = await cli('check', bnnPath, '--random', '3');
    expect(noQuant.code).toBe(2);
    expect(noQuant.err).toMatch(/BNNC_E031.*--input-scale/);
    const badOffset = await cli('check', bnnPath, '--input-scale', '1/255', '--input-offset', '0.3');
    expect(badOffset.code).toBe(2);
    expect(badOffset.err).toMatch(/BNNC_E019/);
    const noJobs = await cli('check', bnnPath, '--input-scale', '1/255', '--random', '3', '--jobs', '0');
    expect(noJobs.code).toBe(2);
    expect(noJobs.err).toMatch(/BNNC_E019.*--jobs '0'/);
  });

  it('compile writes the C package (prefix from the file name: bnn.onnx → bnn), replaces only its own files, and is deterministic', async () => {
    const out = join(dir, 'out-m4');
    const r1 = await cli(bnnPath, '--target', 'cortex-m4', '-o', out, '--input-scale', '1/255');
    expect(r1.code).toBe(0);
    expect(readdirSync(out).sort()).toEqual(['.bnnc-output', 'CMakeLists.txt', 'README.md', 'bnn.c', 'bnn.h', 'bnn_timing.h']);
    const c1 = readFileSync(join(out, 'bnn.c'), 'utf8');
    expect(readFileSync(join(out, 'bnn.h'), 'utf8')).toContain('x = (q - 0) * 1 / 255');
    // bnnc's own output is replaced without --force, byte-identical for the same model and options
    expect((await cli('compile', bnnPath, '-t', 'cortex-m4', '-o', out, '--input-scale', '1/255')).code).toBe(0);
    expect(readFileSync(join(out, 'bnn.c'), 'utf8')).toBe(c1);
    // a folder holding a file bnnc did not write stops the compile, naming it; --force adds bnnc's files and keeps it
    const foreign = join(dir, 'foreign');
    mkdirSync(foreign);
    writeFileSync(join(foreign, 'keep.txt'), 'mine');
    const refused = await cli(bnnPath, '-t', 'esp32c3', '-o', foreign, '--input-scale', '1/255');
    expect(refused.code).toBe(2);
    expect(refused.err).toMatch(/BNNC_E041.*'keep\.txt' \(not written by bnnc\).*--force/);
    expect(readdirSync(foreign)).toEqual(['keep.txt']);
    expect((await cli(bnnPath, '-t', 'esp32c3', '-o', foreign, '--input-scale', '1/255', '--force')).code).toBe(0);
    expect(readdirSync(foreign).sort()).toEqual(['.bnnc-output', 'CMakeLists.txt', 'README.md', 'bnn.c', 'bnn.h', 'bnn_timing.h', 'idf_component.yml', 'keep.txt']);
    expect(readFileSync(join(foreign, 'keep.txt'), 'utf8')).toBe('mine');
    // switching target deletes the ESP-IDF file bnnc no longer generates, keeps the user's, needs no --force now
    expect((await cli(bnnPath, '-t', 'cortex-m4', '-o', foreign, '--input-scale', '1/255')).code).toBe(0);
    expect(readdirSync(foreign).sort()).toEqual(['.bnnc-output', 'CMakeLists.txt', 'README.md', 'bnn.c', 'bnn.h', 'bnn_timing.h', 'keep.txt']);
    // a failing compile leaves the previous output as it was and no temporary folder behind
    const bad = await cli(bnnPath, '-t', 'cortex-m4', '-o', out);
    expect(bad.code).toBe(2);
    expect(readFileSync(join(out, 'bnn.c'), 'utf8')).toBe(c1);
    expect(readdirSync(dir).filter((f) => f.includes('bnnc-tmp') || f.includes('bnnc-old'))).toEqual([]);
    expect(readdirSync(out).filter((f) => f.startsWith('.bnnc-'))).toEqual(['.bnnc-output']);
    const unknown = await cli(bnnPath, '-t', 'cortex-m99', '-o', join(dir, 'x'));
    expect(unknown.code).toBe(2);
    expect(unknown.err).toMatch(/BNNC_E019.*cortex-m4/);
    expect(existsSync(join(dir, 'x'))).toBe(false);
  });

  it('targets lists every chip; verify runs the C natively on host and compares bit for bit', async () => {
    const t = await cli('targets');
    for (const name of ['cortex-m0plus', 'cortex-m3', 'cortex-m4', 'cortex-m7', 'cortex-m33', 'cortex-m55', 'esp32', 'esp32s3', 'esp32c3', 'host']) {
      expect(t.out).toMatch(new RegExp(`^${name}\\s`, 'm'));
    }
    const v = await cli('verify', bnnPath, '--target', 'host', '--input-scale', '1/255', '--random', '12');
    expect(v.err).toBe('');
    expect(v.code).toBe(0);
    expect(v.out).toMatch(/host: 12 vectors, every output bit-exact/);
  });
});
