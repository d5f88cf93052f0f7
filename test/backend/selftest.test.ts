// The on-device self-test (`--selftest N`, issue #14): the golden outputs come from the reference interpreter;
// `<prefix>_selftest()` returns 0 on host and under QEMU on Cortex-M4, and 1 when one embedded output byte is
// corrupted. Also the header's helpers: `<prefix>_quantize_input` bit for bit against the TypeScript
// definition (QONNX Quant in float32, ties to even), `<prefix>_argmax`, and `<prefix>_run` on NULL.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { emitC, loadTarget } from '../../src/backend/index.js';
import { runFirmware } from '../../src/backend/firmware.js';
import { quantizeInput } from '../../src/backend/selftest.js';
import { CompileError } from '../../src/errors.js';
import { loadModel, lowerModel } from '../../src/compile.js';
import { sizeOf, tensor } from '../../src/ir/tensor.js';
import type { Graph, Tensor } from '../../src/ir/types.js';
import type { InputQuant } from '../../src/ir/types.js';
import { rng } from '../helpers/onnx-build.js';
import { hasTool, ROOT } from '../helpers/resources.js';

const Q: InputQuant = { dtype: 'uint8', scale: 1, divisor: 255, zeroPoint: 0 };
const HAVE_GCC = hasTool('gcc');
const HAVE_ARM = hasTool('arm-none-eabi-gcc') && hasTool('qemu-system-arm');

const float = loadModel(`${ROOT}examples/mlp/mlp.onnx`);
const lowerWith = (q: InputQuant): Graph => lowerModel(float, { inputQuant: q, portableMath: true });
const lowered: Graph = lowerWith(Q);

function inputs(g: Graph, n: number, seed: number): Tensor[] {
  const r = rng(seed), t = g.inputs[0].type, count = sizeOf(t.shape);
  return Array.from({ length: n }, () => tensor(t.dtype, t.shape, Array.from({ length: count }, () => Math.floor(r() * 256))));
}

const dirs: string[] = [];
afterAll(() => { for (const d of dirs) rmSync(d, { recursive: true, force: true }); });

/** Builds `files` + main.c with host gcc (the host target's flags and warnings) and runs it: [exit status, stdout]. */
function runHost(files: ReadonlyMap<string, string>, main: string): [number, string] {
  const dir = mkdtempSync(join(tmpdir(), 'bnnc-selftest-'));
  dirs.push(dir);
  for (const [n, t] of files) writeFileSync(join(dir, n), t);
  writeFileSync(join(dir, 'main.c'), main);
  const host = loadTarget('host');
  execFileSync('gcc', [...host.compiler.flags, ...host.compiler.warnFlags, ...(host.compiler.sanitize ?? []), 'bnn_model.c', 'main.c', '-o', 'prog'], { cwd: dir, stdio: 'pipe' });
  try {
    return [0, execFileSync('./prog', { cwd: dir, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] })];
  } catch (e) {
    const err = e as { status: number; stdout: string };
    return [err.status, err.stdout];
  }
}

const SELFTEST_MAIN = '#include "bnn_model.h"\nint main(void) { return (int)bnn_model_selftest(); }\n';

/** The generated C with the first expected output byte of vector `v` changed. */
function corrupt(files: ReadonlyMap<string, string>, v: number, vectorBytes: number): Map<string, string> {
  const out = new Map(files);
  const c = files.get('bnn_model.c')!;
  const at = c.indexOf('bnn_model_selftest_out[');
  const body = c.indexOf('{', at);
  const end = c.indexOf('};', body);
  const vals = c.slice(body + 1, end).split(',').map((s) => s.trim()).filter(Boolean);
  const i = v * vectorBytes + 5;
  vals[i] = String((Number(vals[i]) + 1) & 255);
  out.set('bnn_model.c', `${c.slice(0, body + 1)}\n    ${vals.join(', ')},\n${c.slice(end)}`);
  return out;
}

describe('--selftest', () => {
  const N = 5;
  const files = (t: string) => emitC(lowered, loadTarget(t), { selftest: inputs(lowered, N, 11) });

  it('embeds the inputs and the reference interpreter\'s output bytes', () => {
    const c = files('host').get('bnn_model.c')!;
    expect(c).toContain(`static const uint8_t bnn_model_selftest_in[${N * 784}]`);
    expect(c).toContain(`static const uint8_t bnn_model_selftest_out[${N * 40}]`);
    expect(files('host').get('bnn_model.h')).toContain(`#define BNN_MODEL_SELFTEST_VECTORS ${N}`);
  });

  it('rejects 0 or more than 1000 vectors (BNNC_E100)', () => {
    expect(() => emitC(lowered, loadTarget('host'), { selftest: [] })).toThrow(CompileError);
    expect(() => emitC(lowered, loadTarget('host'), { selftest: [] })).toThrow('BNNC_E100');
  });

  it.skipIf(!HAVE_GCC)('host: 0 mismatches; one corrupted output byte gives 1, two vectors 2', () => {
    const f = files('host');
    expect(runHost(f, SELFTEST_MAIN)[0]).toBe(0);
    expect(runHost(corrupt(f, 2, 40), SELFTEST_MAIN)[0]).toBe(1);
    expect(runHost(corrupt(corrupt(f, 0, 40), 4, 40), SELFTEST_MAIN)[0]).toBe(2);
  }, 1_800_000);

  it.skipIf(!HAVE_ARM)('cortex-m4 under QEMU: 0 mismatches; one corrupted output byte gives 1', () => {
    const dir = mkdtempSync(join(tmpdir(), 'bnnc-selftest-m4-'));
    dirs.push(dir);
    writeFileSync(join(dir, 'main.c'), SELFTEST_MAIN);
    const m4 = loadTarget('cortex-m4');
    const f = files('cortex-m4');
    expect(runFirmware(m4, f, [join(dir, 'main.c')], []).exitCode).toBe(0);
    expect(runFirmware(m4, corrupt(f, 3, 40), [join(dir, 'main.c')], []).exitCode).toBe(1);
  }, 1_800_000);
});

describe.skipIf(!HAVE_GCC)('helpers', () => {
  // float inputs: random over and beyond the range, exact ties (with scale 1/2 every x.25 or x.75 is a tie after
  // the division), signed zeros, NaN and infinities, as bit patterns
  const r = rng(5);
  const xs = [0, -0, NaN, Infinity, -Infinity, 1e30, -1e30, 0.5, 1.5, 2.5, -0.5, 1.25, 1.75, 3.25, 63.75, 64.25, 127.25, -3.75, -3.25];
  for (let i = 0; i < 784 - 19 - 60; i++) xs.push(Math.fround(r() * 1.6 - 0.3));
  for (let k = 0; k < 60; k++) xs.push(Math.fround((k + 0.5) / 255));
  const bits = Array.from(new Uint32Array(Float32Array.from(xs).buffer));

  for (const q of [Q, { dtype: 'uint8', scale: 1, divisor: 2, zeroPoint: 7 } as InputQuant, { dtype: 'uint8', scale: 0.1, divisor: 1, zeroPoint: 128 } as InputQuant]) {
    it(`quantize_input (scale ${q.scale}/${q.divisor}, zero point ${q.zeroPoint}) = the TypeScript quantization, bit for bit`, () => {
      const f = emitC(lowerWith(q), loadTarget('host'));
      const main = [
        '#include <stdio.h>', '#include <string.h>', '#include "bnn_model.h"',
        `static const uint32_t bits[784] = { ${bits.map((b) => `0x${b.toString(16)}u`).join(', ')} };`,
        'int main(void) {', '    float x[784]; uint8_t q[784]; int i;', '    memcpy(x, bits, sizeof x);',
        '    if (bnn_model_quantize_input(x, q) != BNN_MODEL_OK) return 2;',
        '    if (bnn_model_quantize_input(0, q) != BNN_MODEL_ERR_NULL) return 3;',
        '    for (i = 0; i < 784; i++) printf("%d\\n", q[i]);', '    return 0;', '}', '',
      ].join('\n');
      const [status, out] = runHost(f, main);
      expect(status).toBe(0);
      expect(out.trim().split('\n').map(Number)).toEqual(quantizeInput(xs, q));
    }, 1_800_000);
  }

  it('quantize_input rounds ties to even (the TypeScript side, by hand)', () => {
    expect(quantizeInput([1.25, 1.75, 0.25, -3.25, 300, -1, NaN], { dtype: 'uint8', scale: 1, divisor: 2, zeroPoint: 7 })).toEqual([10, 10, 8, 0, 255, 5, 7]); // 9.5, 10.5, 7.5 go to the even neighbour
  });

  it('argmax picks the reference ArgMax\'s index; run returns ERR_NULL on NULL and OK otherwise', () => {
    const x = inputs(lowered, 3, 4);
    const f = emitC(lowered, loadTarget('host'), { selftest: x });
    const main = [
      '#include <stdio.h>', '#include "bnn_model.h"',
      `static const uint8_t in[3][784] = { ${x.map((t) => `{ ${Array.from(t.data).join(', ')} }`).join(', ')} };`,
      'int main(void) {', '    float y[10]; int v;',
      '    if (bnn_model_run(0, y) != BNN_MODEL_ERR_NULL || bnn_model_run(in[0], 0) != BNN_MODEL_ERR_NULL) return 3;',
      '    if (bnn_model_argmax(0) != -1) return 4;',
      '    for (v = 0; v < 3; v++) { if (bnn_model_run(in[v], y) != BNN_MODEL_OK) return 5; printf("%d\\n", (int)bnn_model_argmax(y)); }',
      '    return 0;', '}', '',
    ].join('\n');
    const [status, out] = runHost(f, main);
    expect(status).toBe(0);
    // the reference: the interpreter's output, first index of the largest (NaN-free here)
    const expected = x.map((t) => {
      const y = Array.from(lowerRun(t));
      return y.indexOf(Math.max(...y));
    });
    expect(out.trim().split('\n').map(Number)).toEqual(expected);
  }, 1_800_000);
});

import { run } from '../../src/interp/run.js';
function lowerRun(t: Tensor): ArrayLike<number> {
  return run(lowered, { [lowered.inputs[0].name]: t }).get(lowered.outputs[0])!.data;
}

describe('the header states where the file comes from', () => {
  it('bnnc version, target, SHA-256 of the ONNX bytes and options; constants as verify reports them', () => {
    const sha = 'ab'.repeat(32);
    const h = emitC(lowered, loadTarget('cortex-m4'), { identity: { modelSha256: sha, options: 'a "quoted" option' } }).get('bnn_model.h')!;
    const version = (JSON.parse(readFileSync(`${ROOT}package.json`, 'utf8')) as { version: string }).version;
    expect(h).toContain(`#define BNN_MODEL_BNNC_VERSION "${version}"`);
    expect(h).toContain('#define BNN_MODEL_TARGET "cortex-m4"');
    expect(h).toContain(`#define BNN_MODEL_MODEL_SHA256 "${sha}"`);
    expect(h).toContain('#define BNN_MODEL_OPTIONS "a \\042quoted\\042 option"');
    expect(h).toMatch(/#define BNN_MODEL_CONST_BYTES \d+/);
  });
});
