// The command line as a user meets it: help and version, `inspect` text and JSON, and bad input reported
// as a coded error with exit code 2 and no stack trace.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { main } from '../src/cli.js';
import { tensor } from '../src/ir/tensor.js';
import { buildModel } from './helpers/onnx-build.js';

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
});
