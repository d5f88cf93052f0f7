// The ts target: the generated module type-checks under strict settings, and, transpiled to JavaScript and
// imported, equals the reference interpreter bit for bit on the real models (the fastinference CNN with its
// LogSoftmax) and seeded random networks; its kernels are the very functions the interpreter calls; verify
// runs it in Node.
import { describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { Project, ts } from 'ts-morph';
import { emitC } from '../../src/backend/emit.js';
import { loadTarget } from '../../src/backend/target.js';
import { tensorBytes, verifyOnTarget } from '../../src/backend/verify.js';
import { run } from '../../src/interp/run.js';
import { tensor } from '../../src/ir/tensor.js';
import type { Graph, Node, Tensor } from '../../src/ir/types.js';
import { lookupOp } from '../../src/ops/index.js';
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

/** g with `nodes` appended (types from each op's shape rule) and `outputs` as its outputs. */
function extend(g: Graph, nodes: Omit<Node, 'name'>[], outputs: string[]): Graph {
  const types = new Map(g.types);
  for (const n of nodes) {
    const node = { ...n, name: n.outputs[0] };
    const out = lookupOp(n.domain, n.op)!.infer({ node, attrs: n.attrs, opset: g.opset }, n.inputs.map((s) => types.get(s)), n.inputs.map((s) => g.initializers.get(s)));
    n.outputs.forEach((o, k) => types.set(o, out[k]));
  }
  return { ...g, nodes: [...g.nodes, ...nodes.map((n) => ({ ...n, name: n.outputs[0] }))], outputs, types };
}

/** The top-level function `name` of a TypeScript text, without `export`. */
function functionText(text: string, name: string): string | undefined {
  return project.createSourceFile('fn.ts', text, { overwrite: true }).getFunction(name)?.getText(true).replace(/^export /m, '');
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

  it('runs the portable Softmax32 and LogSoftmax32 as the interpreter does', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'bnnc-ts-'));
    try {
      const g0 = buildNet(CASES[0]), logits = g0.outputs[0];
      const g = extend(g0, [
        { op: 'Softmax32', domain: 'bnnc', inputs: [logits], outputs: ['p'], attrs: { axis: 1 } },
        { op: 'LogSoftmax32', domain: 'bnnc', inputs: [logits], outputs: ['lp'], attrs: { axis: -1 } },
      ], ['p', 'lp']);
      const { text, mod } = await load(g, 'soft32', dir);
      expect(text).toMatch(/softmax32\(v\d+, 1, 10, 1, false\)/);
      expectBitExact(g, mod, randomInputs(g, 25, 901));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('copies the very kernels the interpreter calls: one definition', () => {
    const g = buildNet(CASES[3]);
    const text = emitC(g, loadTarget('ts'), { prefix: 'one' }).get('one.ts')!;
    const kernels = readFileSync(new URL('../../src/numeric/kernels.ts', import.meta.url), 'utf8');
    const bits = readFileSync(new URL('../../src/numeric/bits.ts', import.meta.url), 'utf8');
    expect(text).not.toMatch(/^export function (xnorConv|popcount32)/m);
    for (const [name, source] of [['xnorConv', kernels], ['threshold', kernels], ['epilogue', kernels], ['topK', kernels], ['popcount32', bits]] as const) {
      const want = functionText(source, name);
      expect(want, name).toBeDefined();
      expect(functionText(text, name), name).toBe(want);
    }
    // only what the model calls: this net has no Softmax32, so no portable exp32
    expect(functionText(text, 'exp32')).toBeUndefined();
  });

  it('refuses an op without a ts hook with BNNC_E031 naming the node', () => {
    const g0 = buildNet(CASES[0]);
    const g = extend(g0, [{ op: 'Relu', domain: '', inputs: [g0.outputs[0]], outputs: ['r'], attrs: {} }], ['r']);
    expect(() => emitC(g, loadTarget('ts'), { prefix: 'relu' })).toThrow(/^BNNC_E031.*'r'.*Relu is not supported by the ts back end/);
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
