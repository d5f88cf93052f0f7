// The ESP32 targets' stand-in (docs/targets.md, "Xtensa"): xtensa-lx106-elf-gcc's code run on QEMU's lx106
// core. Checks the ISA the two share and what the LX6 has beyond it, bnnc's startup (main's status is the
// emulator's, a fault is 99), the libgcc routines templates/runner/libgcc-lx106.c supplies against float32
// arithmetic done in Node (a double result rounded once to float32 is the correctly rounded float32 result
// of + − ×, as 53 ≥ 2·24 + 2; conversions and integer division are exact in double), and the real models and
// a random net bit-exact with the reference interpreter on both ESP32 targets; the bit-sliced kernel's Xtensa form.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { emitC } from '../../src/backend/emit.js';
import { runFirmware } from '../../src/backend/firmware.js';
import { loadTarget } from '../../src/backend/target.js';
import { verifyOnTarget } from '../../src/backend/verify.js';
import { bench } from '../../src/bench/bench.js';
import { tensor } from '../../src/ir/tensor.js';
import { rng } from '../helpers/onnx-build.js';
import { hasShared, hasTool } from '../helpers/resources.js';
import { lowerReal, MNIST, MODELS, mnistInputs } from './helpers.js';
import { buildNet, CASES } from './random-net.js';

const TOOLS = hasTool('xtensa-lx106-elf-gcc') && hasTool('qemu-system-xtensa');
const dirs: string[] = [];
afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

function tmp(): string {
  const d = mkdtempSync(join(tmpdir(), 'bnnc-xtensa-'));
  dirs.push(d);
  return d;
}

/** Builds `main` (C) into a test image for esp32 and runs it: its exit status and console. */
function runMain(main: string): { exitCode: number; console: string } {
  const dir = tmp();
  writeFileSync(join(dir, 'main.c'), main);
  return runFirmware(loadTarget('esp32'), new Map(), [join(dir, 'main.c')], []);
}

describe.skipIf(!TOOLS)('the lx106 stand-in', () => {
  it('the assembler knows the lx106 configuration: no register windows, loops, MIN, SEXT, QUOU or FPU (the LX6 has them)', () => {
    const dir = tmp();
    const assembles = (insn: string) => {
      writeFileSync(join(dir, 'a.S'), `    .text\n    ${insn}\n`);
      try {
        execFileSync('xtensa-lx106-elf-gcc', ['-c', 'a.S', '-o', 'a.o'], { cwd: dir, stdio: 'pipe' });
        return true;
      } catch {
        return false;
      }
    };
    // what the kernels may use on both cores
    for (const insn of ['nsau a2, a3', 'mull a2, a3, a4', 'addx4 a2, a3, a4', 'abs a2, a3', 'mul16u a2, a3, a4']) expect(assembles(insn), insn).toBe(true);
    for (const insn of ['entry a1, 32', 'loop a2, 1f\n1:', 'min a2, a3, a4', 'sext a2, a3, 7', 'quou a2, a3, a4', 'mulsh a2, a3, a4', 'add.s f0, f1, f2']) {
      expect(assembles(insn), insn).toBe(false);
    }
  });

  it("main's status is the emulator's exit status; a fault (illegal instruction, a load from no memory) exits with 99", () => {
    expect(runMain('int main(void);\nint main(void) { return 42; }\n').exitCode).toBe(42);
    expect(runMain('int main(void);\nint main(void) { __asm__ volatile("ill"); return 0; }\n').exitCode).toBe(99);
    const unmapped = '#include <stdint.h>\nint main(void);\nint main(void) { return (int)(*(volatile uint32_t *)0x10000000u & 1u); }\n';
    expect(runMain(unmapped).exitCode).toBe(99);
  });
});

describe('the bit-sliced kernel on Xtensa (features.extui)', () => {
  it('loads a column or its complement by the activation bit (no mask shifts), from twice the column words', () => {
    const g = buildNet(CASES[0]);
    const c = (t: string) => emitC(g, loadTarget(t), { prefix: 'net' }).get('net.c')!;
    const esp = c('esp32'), c3 = c('esp32c3');
    expect(esp).toMatch(/= wc\[\d+ \+ \(\(a >> 0\) & 1u\)\];/);
    expect(esp).toMatch(/= wc\[\d+ \+ \(\(a2 >> 30\) & 1u\)\];/);
    expect(esp).toContain('wc += 64)');
    expect(esp).not.toContain('bnnc_bit_mask(');
    expect(c3).toContain('bnnc_bit_mask(a, 31)');
    const words = (text: string) => Number(/net_c\d+_wcols\[(\d+)\]/.exec(text)?.[1]);
    expect(words(esp)).toBe(2 * words(c3));
  });
});

// ---- the libgcc routines: float32 +, −, ×, int <-> float, 32-bit division ----

const OPS = ['add', 'sub', 'mul', 'i2f', 'u2f', 'f2u', 'f2i', 'udiv', 'umod', 'sdiv'] as const;
type Op = (typeof OPS)[number];

const f32 = new Float32Array(1);
const u32 = new Uint32Array(f32.buffer);
const i32 = new Int32Array(f32.buffer);
const fromBits = (u: number): number => { u32[0] = u; return f32[0]; };
const bitsOf = (x: number): number => { f32[0] = x; return Number.isNaN(x) ? 0x7fc00000 : u32[0]; };
const asInt = (u: number): number => { u32[0] = u; return i32[0]; };

/** Node's result of `op` on the bit patterns a, b, as the bits C gives (NaN: the default NaN). */
function expected(op: Op, a: number, b: number): number {
  switch (op) {
    case 'add': return bitsOf(fromBits(a) + fromBits(b));
    case 'sub': return bitsOf(fromBits(a) - fromBits(b));
    case 'mul': return bitsOf(fromBits(a) * fromBits(b));
    case 'i2f': return bitsOf(asInt(a));
    case 'u2f': return bitsOf(a);
    case 'f2u': return Math.trunc(fromBits(a)) >>> 0;
    case 'f2i': return Math.trunc(fromBits(a)) >>> 0;
    case 'udiv': return Math.floor(a / b) >>> 0;
    case 'umod': return (a - Math.floor(a / b) * b) >>> 0;
    case 'sdiv': return Math.trunc(asInt(a) / asInt(b)) >>> 0;
  }
}

/** Seeded cases: special values pairwise, and random ones aimed at rounding, cancellation, under- and overflow. */
function cases(): [Op, number, number][] {
  const r = rng(15);
  const u = () => Math.floor(r() * 2 ** 32) >>> 0;
  const special = [0, 1, 3, 0x7fffff, 0x800000, 0x800001, 0xffffff, 0x3f800000, 0x3f800001, 0x3fc00000, 0x3fffffff, 0x40000000,
    0x4b800000, 0x4b800001, 0x4b7fffff, 0x33800000, 0x34000000, 0x7f7fffff, 0x7f000000, 0x00c00000, 0x1f800000, 0x5f800000,
    0x7f800000, 0x7fc00000, 0x7f800001];
  const floats = [...special, ...special.map((s) => (s | 0x80000000) >>> 0)];
  const out: [Op, number, number][] = [];
  for (const op of ['add', 'sub', 'mul'] as const) for (const a of floats) for (const b of floats) out.push([op, a, b]);
  const make = (sign: number, e: number, m: number) => ((sign << 31) | (e << 23) | m) >>> 0;
  const m23 = () => Math.floor(r() * 2 ** 23);
  for (let i = 0; i < 400; i++) {
    out.push(['add', u(), u()], ['mul', u(), u()]);
    // close exponents, either sign: ties, carries and cancellation
    const e = 1 + Math.floor(r() * 254), k = Math.max(0, Math.min(254, e + Math.floor(r() * 7) - 3));
    out.push(['add', make(r() < 0.5 ? 1 : 0, e, m23()), make(r() < 0.5 ? 1 : 0, k, m23())]);
    out.push(['sub', make(0, e, m23()), make(0, k, r() < 0.3 ? m23() : Math.floor(r() * 8))]);
    // subnormal operands, and products whose exponent falls below the normal range or beyond it
    out.push(['add', make(r() < 0.5 ? 1 : 0, Math.floor(r() * 3), m23()), make(r() < 0.5 ? 1 : 0, Math.floor(r() * 3), m23())]);
    const ea = Math.floor(r() * 255), E = r() < 0.7 ? -26 + Math.floor(r() * 30) : 250 + Math.floor(r() * 8), eb = E + 127 - ea;
    if (eb >= 0 && eb <= 254) out.push(['mul', make(r() < 0.5 ? 1 : 0, ea, m23()), make(r() < 0.5 ? 1 : 0, eb, m23())]);
  }
  const ints = [0, 1, 2, 0xffffffff, 0x1000000, 0x1000001, 0x1000002, 0x1000003, 0x2000002, 0x2000006, 0x7fffffff, 0x80000000, 0x7fffff80, 0x7fffffc0, 0xffffff81, 0xfffffffe];
  for (let i = 0; i < 300; i++) ints.push(u() >>> Math.floor(r() * 32));
  for (const a of ints) out.push(['i2f', a, 0], ['u2f', a, 0]);
  for (let i = 0; i < 300; i++) {
    const a = make(0, 100 + Math.floor(r() * 58), m23());
    if (fromBits(a) < 2 ** 32) out.push(['f2u', a, 0]);
    const b = make(r() < 0.5 ? 1 : 0, 100 + Math.floor(r() * 57), m23());
    if (Math.abs(fromBits(b)) < 2 ** 31) out.push(['f2i', b, 0]);
    const n = u(), d = u() >>> Math.floor(r() * 32) || 7;
    out.push(['udiv', n, d], ['umod', n, d]);
    if (!(asInt(n) === -(2 ** 31) && asInt(d) === -1)) out.push(['sdiv', n, d]);
  }
  out.push(['f2u', 0x80000000, 0], ['f2u', 0xbf7fffff, 0], ['f2i', 0xcf000000, 0], ['sdiv', 0x80000000, 1], ['sdiv', 7, 0xfffffffe]);
  return out;
}

const HARNESS = (rows: string, n: number) => `#include <stdint.h>
int bnnc_semihost(int op, void *arg);
int main(void);
typedef union { float f; uint32_t u; int32_t i; } word;
static const uint32_t cases[${n}][4] = {
${rows}
};

static uint32_t apply(uint32_t op, uint32_t a, uint32_t b)
{
    word x, y, r;
    x.u = a;
    y.u = b;
    switch (op) {
    case 0: r.f = x.f + y.f; break;
    case 1: r.f = x.f - y.f; break;
    case 2: r.f = x.f * y.f; break;
    case 3: r.f = (float)x.i; break;
    case 4: r.f = (float)x.u; break;
    case 5: r.u = (uint32_t)x.f; break;
    case 6: r.i = (int32_t)x.f; break;
    case 7: r.u = x.u / y.u; break;
    case 8: r.u = x.u % y.u; break;
    default: r.i = x.i / y.i; break;
    }
    return r.u;
}

static void hex(char *s, uint32_t v)
{
    int k;
    for (k = 7; k >= 0; k--, v >>= 4) s[k] = "0123456789abcdef"[v & 15u];
}

int main(void)
{
    const volatile uint32_t (*c)[4] = cases;
    uint32_t i, got, bad = 0;
    char line[] = "case ######## got ######## want ########\\n";
    for (i = 0; i < ${n}u; i++) {
        got = apply(c[i][0], c[i][1], c[i][2]);
        if (got == c[i][3]) continue;
        if (bad++ < 10u) {
            hex(line + 5, i);
            hex(line + 18, got);
            hex(line + 32, c[i][3]);
            bnnc_semihost(0x04, line);
        }
    }
    return bad > 100u ? 100 : (int)bad;
}
`;

describe.skipIf(!TOOLS)('libgcc-lx106.c against float32 arithmetic', () => {
  it('every case gives the bits Node gives', () => {
    const all = cases();
    const hx = (v: number) => `0x${v.toString(16)}u`;
    const rows = all.map(([op, a, b]) => `    {${OPS.indexOf(op)}u, ${hx(a)}, ${hx(b)}, ${hx(expected(op, a, b))}},`).join('\n');
    const r = runMain(HARNESS(rows, all.length));
    const lines = r.console.split('\n').filter((l) => l.startsWith('case '));
    const shown = lines.map((l) => { const i = parseInt(l.slice(5, 13), 16); return `${l} (${all[i][0]} ${all[i][1].toString(16)} ${all[i][2].toString(16)})`; });
    console.log(`libgcc-lx106.c: ${all.length} cases, ${r.exitCode} mismatched`);
    expect(shown).toEqual([]);
    expect(r.exitCode).toBe(0);
  }, 600_000);
});

// ---- models on both ESP32 targets ----

describe.skipIf(!TOOLS)('models on the ESP32 targets, bit-exact', () => {
  const real = MODELS.every((m) => hasShared(m.file)) && hasShared(MNIST);
  it.skipIf(!real).each(MODELS.map((m) => [m.file, m] as const))('%s on esp32', (_, m) => {
    const g = lowerReal(m);
    const r = verifyOnTarget(g, loadTarget('esp32'), mnistInputs(g, 4), { layerDebug: false });
    console.log(`esp32 ${m.file}: text ${r.modelSizes.text} B; ${r.note}`);
    expect(r.ran).toBe(true);
    expect(r.note).toContain('-cpu lx106');
    expect(r.firstMismatches).toEqual([]);
    expect(r.mismatchedVectors).toBe(0);
  }, 600_000);

  it('bench counts every layer on esp32 (layer functions found under Xtensa gcc\'s f$constprop$0 names)', () => {
    const g = buildNet(CASES[0]);
    const r = bench(g, loadTarget('esp32'), { kernels: 'optimized' });
    expect(r.ran).toBe(true);
    expect(r.exact).toBe(true);
    expect(r.notes.filter((n) => n.includes('was inlined'))).toEqual([]);
    for (const l of r.layers) {
      expect(l.instructions, l.fn).toBeGreaterThan(0);
      expect(l.codeBytes, l.fn).toBeGreaterThan(0);
    }
    expect(r.total.instructionsPer32BinaryMacs).toBeGreaterThan(0);
  }, 600_000);

  it('a random net on esp32s3 (the same stand-in)', () => {
    const g = buildNet(CASES[3]);
    const r0 = rng(3), t = g.inputs[0].type;
    const inputs = Array.from({ length: 4 }, () => tensor(t.dtype, t.shape, Array.from({ length: t.shape.reduce((a, b) => a * b, 1) }, () => Math.floor(r0() * 256))));
    const r = verifyOnTarget(g, loadTarget('esp32s3'), inputs, { layerDebug: false });
    expect(r.ran).toBe(true);
    expect(r.mismatchedVectors).toBe(0);
  }, 600_000);
});
