// The ts target: the generated module type-checks under strict settings, and, transpiled to JavaScript and
// imported, equals the reference interpreter bit for bit on the real models (the fastinference CNN with its
// LogSoftmax) and seeded random networks; verify runs it in Node.
import { describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { Project, ts } from 'ts-morph';
import { emitC } from '../../src/backend/emit.js';
import { loadTarget } from '../../src/backend/target.js';
import { tensorBytes, verifyOnTarget } from '../../src/backend/verify.js';
import { run } from '../../src/interp/run.js';
import { tensor } from '../../src/ir/tensor.js';
import type { Graph, Tensor } from '../../src/ir/types.js';
import { rng } from '../helpers/onnx-build.js';
import { hasShared } from '../helpers/resources.js';
import { lowerReal, MNIST, MODELS, mnistInputs } from './helpers.js';
import { buildNet, CASES } from './random-net.js';

interface Module {
  run(input: ArrayLike<number>): Record<string, Float32Array | BigInt64Array | Int32Array>;
  INPUT_SHAPE: readonly number[];
  OUTPUT_NAMES: readonly string[];
  OUTPUT_SHAPES: Record<string, readonly number[]>;
}

/** One in-memory project (no DOM, no Node types) with strict settings and the unused-code checks. */
const project = new Project({
  useInMemoryFileSystem: true,
  compilerOptions: {
    strict: true, target: ts.ScriptTarget.ES2020, module: ts.ModuleKind.ES2020, lib: ['lib.es2020.d.ts'], types: [],
    noUnusedLocals: true, noUnusedParameters: true, noImplicitReturns: true, noFallthroughCasesInSwitch: true, exactOptionalPropertyTypes: true,
  },
});

/** Strict type-check of the generated module alone: the diagnostics as text. */
function typecheck(name: string, text: string): string[] {
  const sf = project.createSourceFile(name, text, { overwrite: true });
  return sf.getPreEmitDiagnostics().map((d) => `${d.getLineNumber()}: ${ts.flattenDiagnosticMessageText(d.getMessageText() as string, '\n')}`);
}

/** Emits, transpiles and imports the module of `g`. */
async function load(g: Graph, prefix: string, dir: string): Promise<{ text: string; mod: Module }> {
  const files = emitC(g, loadTarget('ts'), { prefix });
  expect([...files.keys()]).toEqual([`${prefix}.ts`]);
  const text = files.get(`${prefix}.ts`)!;
  expect(typecheck(`${prefix}.ts`, text)).toEqual([]);
  const js = ts.transpileModule(text, { compilerOptions: { target: ts.ScriptTarget.ES2020, module: ts.ModuleKind.ES2020 } }).outputText;
  const file = join(dir, `${prefix}.mjs`);
  writeFileSync(file, js);
  return { text, mod: (await import(pathToFileURL(file).href)) as Module };
}

/** Every output of the module equals the interpreter's, byte for byte (float bit patterns, int64 exactly). */
function expectBitExact(g: Graph, mod: Module, inputs: Tensor[]): void {
  expect(mod.OUTPUT_NAMES).toEqual(g.outputs);
  expect(mod.INPUT_SHAPE).toEqual(g.inputs[0].type.shape);
  for (const [v, x] of inputs.entries()) {
    const want = run(g, { [g.inputs[0].name]: x });
    const got = mod.run(x.data);
    for (const o of g.outputs) {
      const a = got[o], e = tensorBytes(want.get(o)!);
      expect(mod.OUTPUT_SHAPES[o]).toEqual(want.get(o)!.shape);
      expect(Buffer.from(a.buffer, a.byteOffset, a.byteLength).equals(Buffer.from(e)), `vector ${v}, output ${o}`).toBe(true);
    }
  }
}

function randomInputs(g: Graph, n: number, seed: number): Tensor[] {
  const r = rng(seed), t = g.inputs[0].type, size = t.shape.reduce((a, b) => a * b, 1);
  return Array.from({ length: n }, () => tensor(t.dtype, t.shape, Array.from({ length: size }, () => Math.floor(r() * 256))));
}

describe('ts target', () => {
  it.each(CASES)('random net seed $seed: strict-typed, standalone, bit-exact', async (c) => {
    const dir = mkdtempSync(join(tmpdir(), 'bnnc-ts-'));
    try {
      const g = buildNet(c);
      const { text, mod } = await load(g, `net${c.seed}`, dir);
      expect(text).not.toMatch(/^import /m);
      expect(emitC(g, loadTarget('ts'), { prefix: `net${c.seed}` }).get(`net${c.seed}.ts`)).toBe(text);
      expectBitExact(g, mod, randomInputs(g, 25, 500 + c.seed));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  const material = MODELS.every((m) => hasShared(m.file)) && hasShared(MNIST);
  it.skipIf(!material).each(MODELS.map((m) => ({ ...m, name: m.file.split('/').pop()! })))('$name: bit-exact on 100 MNIST images', async (m) => {
    const dir = mkdtempSync(join(tmpdir(), 'bnnc-ts-'));
    try {
      // the ts target runs the whole graph, the fastinference CNN's LogSoftmax included
      const g = lowerReal(m, true);
      const prefix = m.name.replace(/\..*$/, '');
      const { text, mod } = await load(g, prefix, dir);
      console.log(`ts ${m.file}: ${g.nodes.map((n) => n.op).join(' ')}; module ${text.length} chars`);
      expectBitExact(g, mod, mnistInputs(g, 100));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('verify runs the module in Node and compares every byte', () => {
    const g = buildNet(CASES[3]);
    const report = verifyOnTarget(g, loadTarget('ts'), randomInputs(g, 10, 77), { prefix: 'net4' });
    expect(report.ran).toBe(true);
    expect(report.vectors).toBe(10);
    expect(report.firstMismatches).toEqual([]);
    expect(report.mismatchedVectors).toBe(0);
    expect(report.note).toContain('Node');
  });
});
