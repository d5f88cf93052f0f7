// External data and model files: a tensor's data file must be a relative path inside the model's folder
// (no absolute path, no '..', no symbolic link that leads out), and its byte range must lie inside the file;
// a model file over 2 GiB is refused from its size alone (a sparse file here: nothing is read).
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadModel, MAX_MODEL_BYTES, readModelFile } from '../../src/compile.js';
import { importModelBytes } from '../../src/onnx/import.js';
import { ELEM, encodeModel } from '../../src/onnx/proto.js';
import { expectError } from './expect-error.js';

let root: string, dir: string, outside: string;

/** x[1,4] · w[4] with w's 16 bytes of float data in an external file described by `entries`. */
function model(entries: Record<string, string>): Uint8Array {
  return encodeModel({
    irVersion: 7, opsetImport: [{ domain: '', version: 13 }],
    graph: {
      input: [{ name: 'x', type: { tensorType: { elemType: ELEM.FLOAT, shape: { dim: [{ dimValue: 1 }, { dimValue: 4 }] } } } }],
      output: [{ name: 'y' }],
      node: [{ name: 'scale', opType: 'Mul', input: ['x', 'w'], output: ['y'] }],
      initializer: [{ name: 'w', dims: [4], dataType: ELEM.FLOAT, dataLocation: 1, externalData: Object.entries(entries).map(([key, value]) => ({ key, value })) }],
    },
  });
}

const floats = (v: number[]) => new Uint8Array(new Float32Array(v).buffer);

beforeAll(() => {
  root = mkdtempSync(join(tmpdir(), 'bnnc-ext-'));
  dir = join(root, 'model');
  outside = join(root, 'secret');
  mkdirSync(dir);
  mkdirSync(outside);
  writeFileSync(join(dir, 'w.bin'), floats([1, 2, 3, 4]));
  writeFileSync(join(dir, 'packed.bin'), floats([9, 9, 1, 2, 3, 4]));
  writeFileSync(join(outside, 'w.bin'), floats([5, 6, 7, 8]));
  mkdirSync(join(dir, 'sub'));
  symlinkSync(join(outside, 'w.bin'), join(dir, 'link.bin'));
  symlinkSync(outside, join(dir, 'linkdir'));
  symlinkSync(join(dir, 'w.bin'), join(dir, 'inner-link.bin'));
});

afterAll(() => rmSync(root, { recursive: true, force: true }));

describe('external data', () => {
  it('a relative file inside the folder loads, with an offset, and through a link that stays inside', () => {
    const w = (m: Uint8Array) => Array.from(importModelBytes(m, { modelDir: dir }).initializers.get('w')!.data);
    expect(w(model({ location: 'w.bin' }))).toEqual([1, 2, 3, 4]);
    expect(w(model({ location: 'packed.bin', offset: '8', length: '16' }))).toEqual([1, 2, 3, 4]);
    expect(w(model({ location: 'inner-link.bin' }))).toEqual([1, 2, 3, 4]);
    writeFileSync(join(dir, 'm.onnx'), model({ location: 'w.bin' }));
    expect(loadModel(join(dir, 'm.onnx')).initializers.has('w')).toBe(true);
  });

  it('an absolute path, or one with .. (BNNC_E014)', () => {
    expectError(() => importModelBytes(model({ location: join(outside, 'w.bin') }), { modelDir: dir }), 'BNNC_E014', "tensor 'w'", 'must be relative', "without '..'");
    expectError(() => importModelBytes(model({ location: '../secret/w.bin' }), { modelDir: dir }), 'BNNC_E014', "tensor 'w'", "without '..'");
    expectError(() => importModelBytes(model({ location: 'sub/../../secret/w.bin' }), { modelDir: dir }), 'BNNC_E014', "without '..'");
  });

  it('a symbolic link that leads out of the folder, to a file or through a folder (BNNC_E014)', () => {
    expectError(() => importModelBytes(model({ location: 'link.bin' }), { modelDir: dir }), 'BNNC_E014', "tensor 'w'", "resolves outside the model's folder");
    expectError(() => importModelBytes(model({ location: 'linkdir/w.bin' }), { modelDir: dir }), 'BNNC_E014', 'resolves outside');
  });

  it('a byte range past the end of the file (BNNC_E014), a length that is not the tensor size (BNNC_E011)', () => {
    expectError(() => importModelBytes(model({ location: 'w.bin', offset: '4' }), { modelDir: dir }), 'BNNC_E014', "tensor 'w'", 'range 4+16 exceeds the file', '(16 bytes)');
    expectError(() => importModelBytes(model({ location: 'w.bin', offset: String(2 ** 52) }), { modelDir: dir }), 'BNNC_E014', 'exceeds the file');
    expectError(() => importModelBytes(model({ location: 'w.bin', offset: '-4' }), { modelDir: dir }), 'BNNC_E014', 'not non-negative integers');
    expectError(() => importModelBytes(model({ location: 'w.bin', offset: 'abc' }), { modelDir: dir }), 'BNNC_E014', 'not non-negative integers');
    expectError(() => importModelBytes(model({ location: 'w.bin', length: '8' }), { modelDir: dir }), 'BNNC_E011', "tensor 'w'", 'length 8 bytes; the tensor needs 16');
  });

  it('a missing file, a folder, a FIFO, no location, no model folder at all (BNNC_E014)', () => {
    expectError(() => importModelBytes(model({ location: 'nope.bin' }), { modelDir: dir }), 'BNNC_E014', "tensor 'w'", 'does not exist');
    expectError(() => importModelBytes(model({ location: 'sub' }), { modelDir: dir }), 'BNNC_E014', 'not a regular file');
    expectError(() => importModelBytes(model({ location: '.' }), { modelDir: dir }), 'BNNC_E014', 'not a regular file');
    execFileSync('mkfifo', [join(dir, 'pipe')]);
    expectError(() => importModelBytes(model({ location: 'pipe' }), { modelDir: dir }), 'BNNC_E014', 'not a regular file');
    expectError(() => importModelBytes(model({ offset: '0' }), { modelDir: dir }), 'BNNC_E014', "without a 'location'");
    expectError(() => importModelBytes(model({ location: 'w.bin' })), 'BNNC_E014', "needs the model's folder");
    expectError(() => importModelBytes(model({ location: 'w.bin' }), { modelDir: join(root, 'gone') }), 'BNNC_E014', 'cannot be resolved');
    expectError(() => importModelBytes(model({ location: 'w\0.bin' }), { modelDir: dir }), 'BNNC_E014');
  });
});

describe('model files', () => {
  it('a file over 2 GiB is refused from its size, before reading (BNNC_E001)', () => {
    const big = join(root, 'huge.onnx');
    writeFileSync(big, '');
    truncateSync(big, MAX_MODEL_BYTES + 1); // sparse: no disk blocks
    expectError(() => readModelFile(big), 'BNNC_E001', 'huge.onnx', `${MAX_MODEL_BYTES + 1} bytes`, 'at most 2 GiB');
  });

  it('a missing file or a folder (BNNC_E001)', () => {
    expectError(() => readModelFile(join(root, 'absent.onnx')), 'BNNC_E001', 'no such file');
    expectError(() => readModelFile(dir), 'BNNC_E001', 'not a regular file');
  });
});
