// Numeric options (issue #16): each must be a finite decimal, an integer where one is meant, and where it
// becomes a float in the C, a normal float32 once rounded (1e39 would be Infinity, 1e-46 a scale of 0).
// The emitter refuses a non-finite float literal in either place one is written: the input scale of the
// header and the float constants (Epilogue scale and bias) of the C.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { emitC, loadTarget } from '../../src/backend/index.js';
import { main } from '../../src/cli.js';
import { loadModel, lowerModel, parseInputQuant } from '../../src/compile.js';
import { float32Problem } from '../../src/data/numbers.js';
import { tensor } from '../../src/ir/tensor.js';
import type { Graph } from '../../src/ir/types.js';
import { expectError } from './expect-error.js';
import { tinyBnn } from './tiny-bnn.js';

const dir = mkdtempSync(join(tmpdir(), 'bnnc-numbers-'));
const model = join(dir, 'bnn.onnx');
writeFileSync(model, tinyBnn());

async function cli(...args: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '', err = '';
  const code = await main(['node', 'bnnc', ...args], { out: (s) => { out += s; }, err: (s) => { err += s; } });
  return { code, out, err };
}

describe('float32 range', () => {
  it('names what rounding to float32 would do, and passes every normal float32', () => {
    expect(float32Problem(1e39)).toMatch(/beyond the float32 range.*Infinity/);
    expect(float32Problem(-1e39)).toMatch(/-Infinity/);
    expect(float32Problem(1e-46)).toMatch(/rounds to 0 in float32/);
    expect(float32Problem(1e-40)).toMatch(/below the smallest normal float32/);
    for (const ok of [1, -1, 2 ** -126, 3.4e38, 1 / 255, 0]) expect(float32Problem(ok), `${ok}`).toBeUndefined();
  });
});

describe('--input-scale, --input-zero-point, --input-offset', () => {
  const scale = (s: string, zp?: string, dtype?: string, offset?: string) => parseInputQuant(s, zp, dtype, offset);

  it('accepts numbers and fractions, a scale of 3.4e38 / 255 included', () => {
    expect(scale('1/255')).toEqual({ dtype: 'uint8', scale: 1, divisor: 255, zeroPoint: 0 });
    expect(scale(' 0.5 ', '-3', 'int8')).toEqual({ dtype: 'int8', scale: 0.5, divisor: 1, zeroPoint: -3 });
    expect(scale('2e-3', '1e2')).toEqual({ dtype: 'uint8', scale: 0.002, divisor: 1, zeroPoint: 100 });
    expect(scale('3.4e38 / 255')?.divisor).toBe(255);
    expect(scale('1/255', undefined, 'uint8', '-1')?.zeroPoint).toBe(255);
  });

  it('a scale that is Infinity or 0 in float32, subnormal, or maps a raw value to Infinity (BNNC_E019)', () => {
    expectError(() => scale('1e39'), 'BNNC_E019', "--input-scale '1e39'", 'would become Infinity');
    expectError(() => scale('1e-46'), 'BNNC_E019', "--input-scale '1e-46'", 'rounds to 0 in float32');
    expectError(() => scale('1e-40'), 'BNNC_E019', 'below the smallest normal float32');
    expectError(() => scale('1/1e39'), 'BNNC_E019', "--input-scale '1/1e39'", 'Infinity');
    expectError(() => scale('1e30/1e-30'), 'BNNC_E019', '1e+60');
    expectError(() => scale('1e-30/1e30'), 'BNNC_E019', '1e-60 rounds to 0');
    expectError(() => scale('3e38'), 'BNNC_E019', 'the raw input 255 maps to x = Infinity');
  });

  it('text that is no finite decimal number: NaN, Infinity, hex, empty, 0, a divisor of 0 (BNNC_E019)', () => {
    for (const s of ['NaN', 'Infinity', '-Infinity', '0x10', '', ' ', '1/', '/255', '1/0', '0', '-0', '1/-255', '1/2/3', '1e999']) {
      expectError(() => scale(s), 'BNNC_E019', '--input-scale');
    }
  });

  it('a zero point that is no integer of the input type, an offset that is not finite or no whole step (BNNC_E019)', () => {
    for (const zp of ['', 'abc', '1.5', '256', '-1', 'Infinity', '0x10', '1e400']) expectError(() => scale('1/255', zp), 'BNNC_E019', '--input-zero-point');
    expectError(() => scale('1/255', '128', 'int8'), 'BNNC_E019', 'in -128..127');
    for (const o of ['', 'NaN', 'Infinity', '1e39', '1e400']) expectError(() => scale('1/255', undefined, 'uint8', o), 'BNNC_E019', `--input-offset '${o}'`);
    expectError(() => scale('1/255', undefined, 'uint8', '-0.5'), 'BNNC_E019', 'not a whole number of --input-scale steps');
    expectError(() => scale('1/255', undefined, 'uint8', '1'), 'BNNC_E019', 'a zero point of -255', 'in 0..255');
  });
});

describe('integer options on the command line', () => {
  const check = (...args: string[]) => cli('check', model, '--input-scale', '1/255', ...args);
  const cases: [string, string[]][] = [
    ['--seed', ['-1', '4294967296', 'abc', '1.5', '', 'Infinity', '0x10']],
    ['--random', ['0', '-1', '1.5', '1e9', 'Infinity', '', 'NaN']],
    ['--limit', ['0', '-3', '2.5', '1000001', 'Infinity', '']],
    ['--max-tensor-bytes', ['0', 'abc', '1e400', '0x10', '9007199254740993', '']],
  ];

  it.each(cases)('%s refuses what is no integer in its range (exit 2, BNNC_E019 naming it)', async (flag, values) => {
    for (const v of values) {
      const r = await check('--random', '3', flag, v);
      expect(r.code, `${flag} '${v}': ${r.err}`).toBe(2);
      expect(r.err, `${flag} '${v}'`).toContain(`BNNC_E019: invalid command-line argument: ${flag} '${v}'`);
    }
  });

  it('accepts the ends of each range', async () => {
    for (const args of [['--seed', '0'], ['--seed', '4294967295'], ['--random', '1'], ['--limit', '1000000'], ['--random', '2e0']]) {
      const r = await check(...(args[0] === '--random' ? args : ['--random', '2', ...args]), '--json');
      expect(r.code, `${args.join(' ')}: ${r.err}`).toBe(0);
    }
  });

  it('compile refuses --input-scale 1e39 and 1e-46 with a code instead of writing Infinityf or a scale of 0', async () => {
    for (const s of ['1e39', '1e-46']) {
      const r = await cli(model, '-t', 'host', '-o', join(dir, `out-${s}`), '--input-scale', s);
      expect(r.code, r.err).toBe(2);
      expect(r.err).toContain(`BNNC_E019: invalid command-line argument: --input-scale '${s}'`);
    }
  });
});

describe('the emitter writes no non-finite float literal', () => {
  const float = loadModel(model);
  const q = { dtype: 'uint8' as const, scale: 1, divisor: 255, zeroPoint: 0 };
  const lowered = lowerModel(float, { inputQuant: q });
  const host = loadTarget('host');

  it('a valid model: every float literal of the C is finite', () => {
    const files = emitC(lowered, host);
    // the C sources only, without comments and string literals (an #error message may name NaN)
    const code = [...files].filter(([name]) => /\.[ch]$/.test(name)).map(([, text]) => text).join('\n')
      .replace(/\/\*[\s\S]*?\*\//g, '').replace(/\/\/.*$/gm, '').replace(/"(?:[^"\\\n]|\\.)*"/g, '""');
    const literals = code.match(/[-+0-9.eE]*[0-9.][-+0-9.eE]*f\b|\b(Infinity|NaN|INFINITY|NAN|HUGE_VALF?)f?\b/g) ?? [];
    expect(literals.length).toBeGreaterThanOrEqual(9); // the input scale, 4 Epilogue scales and 4 biases
    for (const l of literals) expect(Number.isFinite(Number(l.slice(0, -1))), l).toBe(true);
  });

  it('an input scale that is not finite, or 0, in float32 (BNNC_E018)', () => {
    for (const scale of [1e39, Infinity, NaN, 1e-46]) {
      expectError(() => emitC({ ...lowered, inputQuant: { ...q, scale, divisor: 1 } }, host), 'BNNC_E018', 'input scale');
    }
  });

  it('an Epilogue scale or bias that is not finite in float32 (BNNC_E018)', () => {
    const epilogue = lowered.nodes.find((n) => n.domain === 'bnnc' && n.op === 'Epilogue');
    expect(epilogue, 'the tiny BNN ends in an Epilogue').toBeDefined();
    for (const [k, v] of [[1, Infinity], [1, NaN], [2, 1e39]] as const) {
      const name = epilogue!.inputs[k];
      const t = lowered.initializers.get(name)!;
      const bad = tensor('float64', t.shape, Array.from(t.data, (x, i) => (i === 0 ? v : x)));
      const g: Graph = { ...lowered, initializers: new Map([...lowered.initializers, [name, bad]]) };
      expectError(() => emitC(g, host), 'BNNC_E018', 'cannot be written as C');
    }
  });
});
