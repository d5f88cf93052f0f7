// The library entry (src/index.ts, the package's `exports`): a build script compiles an example model with
// `compile()` and gets the files the CLI writes; `check`, `inspect` and `verify` return reports; bad input
// throws a coded CompileError. The input quantization reaches the header from the lowered graph.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import * as bnnc from '../src/index.js';
import { check, compile, CompileError, inspect, loadTarget, parseInputQuant, ToolchainError, verify } from '../src/index.js';
import { ROOT } from './helpers/resources.js';

const MLP = `${ROOT}examples/mlp/mlp.onnx`;
// the example's float input is pixel / 255 (examples/mlp/README.md)
const Q = parseInputQuant('1/255', undefined, undefined)!;

describe('library API', () => {
  it('compile() gives the C files of an example model, from a path or from bytes alike', () => {
    const files = compile(MLP, 'cortex-m4', { inputQuant: Q });
    expect([...files.keys()].sort()).toEqual(['CMakeLists.txt', 'README.md', 'bnn_model.c', 'bnn_model.h', 'bnn_model_timing.h']);
    const h = files.get('bnn_model.h')!;
    // x = q / 255 in float32, stated in the header (the value computed here from the definition)
    expect(h).toContain(`#define BNN_MODEL_INPUT_SCALE ${Math.fround(1 / 255).toPrecision(9)}f`);
    expect(h).toContain('#define BNN_MODEL_INPUT_ZERO_POINT 0');
    expect(files.get('bnn_model.c')).toMatch(/bnn_model_run\s*\(/);
    const fromBytes = compile(new Uint8Array(readFileSync(MLP)), loadTarget('cortex-m4'), { inputQuant: Q });
    expect([...fromBytes]).toEqual([...files]);
  });

  it('compile() names files and symbols after the prefix and takes the kernel variant', () => {
    const files = compile(MLP, 'host', { inputQuant: Q, prefix: 'net', kernels: 'reference' });
    expect(files.has('net.c') && files.has('net.h')).toBe(true);
    expect(files.get('net.c')).toMatch(/net_run\s*\(/);
  });

  it('bad input is a CompileError with its code', () => {
    const err = (f: () => unknown) => { try { f(); } catch (e) { return e; } return undefined; };
    const noScale = err(() => compile(MLP, 'cortex-m4'));
    expect(noScale).toBeInstanceOf(CompileError);
    expect((noScale as CompileError).code).toBe('BNNC_E031');
    const garbage = err(() => compile(new Uint8Array([1, 2, 3, 4]), 'cortex-m4', { inputQuant: Q }));
    expect(garbage).toBeInstanceOf(CompileError);
    expect((err(() => compile(MLP, 'no-such-chip', { inputQuant: Q })) as CompileError).code).toBe('BNNC_E019');
  });

  it('inspect() and check() return their reports', () => {
    const r = inspect(MLP);
    expect(r.nodes.filter((n) => n.op === 'Gemm').length).toBe(r.binaryLayers);
    expect(r.binaryLayers).toBeGreaterThan(0);
    const c = check(MLP, { inputQuant: Q, random: 30, seed: 7 });
    expect(c.samples).toBe(30);
    expect(c.layers.length).toBeGreaterThan(0);
    expect(c.agreement).toBeGreaterThan(0.9);
  });

  it('verify() runs the ts target in this engine, every output equal to the reference interpreter', () => {
    const r = verify(MLP, 'ts', { inputQuant: Q, random: 4 });
    expect(r.ran).toBe(true);
    expect(r.vectors).toBe(4);
    expect(r.mismatchedVectors).toBe(0);
  }, 120_000);

  it('a toolchain that cannot run is a ToolchainError naming the step, not a CompileError', () => {
    const m4 = loadTarget('cortex-m4');
    const broken = { ...m4, compiler: { ...m4.compiler, cc: 'bnnc-no-such-compiler' } };
    let caught: unknown;
    try { verify(MLP, broken, { inputQuant: Q, random: 1 }); } catch (e) { caught = e; }
    expect(caught).toBeInstanceOf(ToolchainError);
    expect((caught as ToolchainError).message).toContain('bnnc-no-such-compiler');
  });

  it('the package entry is the build of src/index.ts, with its type declarations', () => {
    const pkg = JSON.parse(readFileSync(`${ROOT}package.json`, 'utf8')) as { exports: Record<string, { import: string; types: string }>; types: string };
    const build = JSON.parse(readFileSync(`${ROOT}tsconfig.build.json`, 'utf8')) as { compilerOptions: { rootDir: string; outDir: string; declaration: boolean } };
    expect(build.compilerOptions).toMatchObject({ rootDir: 'src', outDir: 'dist', declaration: true });
    expect(pkg.exports['.']).toEqual({ types: './dist/index.d.ts', import: './dist/index.js' });
    expect(pkg.types).toBe('./dist/index.d.ts');
  });

  it('docs/library-api.md names only what the entry exports', () => {
    const doc = readFileSync(`${ROOT}docs/library-api.md`, 'utf8');
    const imported = [...doc.matchAll(/import \{([^}]+)\} from 'bnnc'/g)].flatMap((m) => m[1].split(',').map((s) => s.trim()));
    const tabled = [...doc.matchAll(/^\| `(\w+)\(/gm)].map((m) => m[1]);
    expect(imported.length).toBeGreaterThan(0);
    expect(tabled).toEqual(['compile', 'check', 'verify', 'inspect', 'bench']);
    expect([...imported, ...tabled].filter((name) => !(name in bnnc))).toEqual([]);
  });
});
