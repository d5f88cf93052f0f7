// The `ts` target: a typed, standalone TypeScript module (built with ts-morph) that embeds the lowered graph's
// constants and runs it with the very kernels the reference interpreter runs. Each op's `ts` hook names its
// kernel call (src/ops/types.ts); the kernels (src/numeric/kernels.ts, with what they use from src/numeric/)
// and the module's glue (templates/ts/runtime.ts) are copied into the module, only those the model calls and
// what they reference, so the module needs no bnnc at run time and pins the semantics it was compiled with.
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createRequire } from 'node:module';
import type * as TsMorph from 'ts-morph';
import { bug, fail } from '../errors.js';
import { sizeOf } from '../ir/tensor.js';
import type { DType, Graph, Node, Tensor } from '../ir/types.js';
import type { InputQuant } from '../ir/types.js';
import { lookupOp } from '../ops/index.js';
import type { KernelArg } from '../ops/types.js';

/** ts-morph takes about a second to load and only this target uses it: loaded on first use (synchronously). */
let tsMorph: typeof TsMorph | undefined;
const morph = (): typeof TsMorph => (tsMorph ??= createRequire(import.meta.url)('ts-morph') as typeof TsMorph);

/** Where the copied declarations come from: the kernels (and the src/numeric files they import), the glue. */
const SOURCES = ['../../src/numeric/kernels.ts', '../../src/numeric/int-kernels.ts', '../../templates/ts/runtime.ts'].map((p) => fileURLToPath(new URL(p, import.meta.url)));

const ALIAS_OPS = new Set(['Reshape', 'Flatten', 'Squeeze', 'Unsqueeze', 'Identity', 'Dropout']);
const ARRAY: Partial<Record<DType, string>> = {
  uint8: 'Uint8Array', int8: 'Int8Array', int16: 'Int16Array', int32: 'Int32Array', float32: 'Float32Array', int64: 'BigInt64Array',
};
/** Constants up to this many elements are written as numbers; longer ones as little-endian base64. */
const LITERAL_MAX = 64;

export interface TsModel { text: string; constBytes: number }

interface Decl { readonly file: string; readonly text: string; readonly refs: readonly string[]; readonly imports: ReadonlySet<string> }
let declMap: Map<string, Decl> | undefined;

/**
 * The top-level declarations of SOURCES and of the files they import from their own folder, by name: their
 * text (unexported), their file, the names they use (property names left out) and those of these imported.
 */
function declarations(): Map<string, Decl> {
  if (declMap) return declMap;
  const { Node: TsNode, Project, SyntaxKind } = morph();
  const project = new Project({ useInMemoryFileSystem: true });
  const files = [...SOURCES];
  const all = new Map<string, Decl>();
  for (let i = 0; i < files.length; i++) {
    const file = files[i], sf = project.createSourceFile(file, readFileSync(file, 'utf8'));
    const names = new Set<string>();
    for (const im of sf.getImportDeclarations()) {
      for (const n of im.getNamedImports()) names.add(n.getName());
      // neighbours are followed; a copied declaration may not use what comes from elsewhere (see closure)
      const spec = im.getModuleSpecifierValue(), dep = join(dirname(file), spec.replace(/\.js$/, '.ts'));
      if (spec.startsWith('./') && !files.includes(dep)) files.push(dep);
    }
    for (const d of sf.getStatements()) {
      if (!TsNode.isFunctionDeclaration(d) && !TsNode.isInterfaceDeclaration(d) && !TsNode.isTypeAliasDeclaration(d) && !TsNode.isVariableStatement(d)) continue;
      const refs = new Set<string>();
      for (const id of d.getDescendantsOfKind(SyntaxKind.Identifier)) {
        const p = id.getParent();
        if ((TsNode.isPropertyAccessExpression(p) || TsNode.isPropertyAssignment(p) || TsNode.isPropertySignature(p)) && p.getNameNode() === id) continue;
        refs.add(id.getText());
      }
      const decl = { file, text: d.getText(true).replace(/^export /m, ''), refs: [...refs], imports: names };
      const declared = TsNode.isVariableStatement(d) ? d.getDeclarations().map((v) => v.getName()) : [d.getName()!];
      for (const n of declared) {
        bug(!all.has(n), `${n} is declared in ${all.get(n)?.file} and ${file}: the ts target copies both into one module`);
        all.set(n, decl);
      }
    }
  }
  declMap = all;
  return all;
}

/** The declarations `roots` need, transitively, in source order, under a comment naming their file. */
function closure(roots: Iterable<string>): string[] {
  const all = declarations();
  const need = new Set<Decl>();
  const visit = (n: string): void => {
    const d = all.get(n);
    if (!d || need.has(d)) return;
    need.add(d);
    // an imported name is copied only from the file's neighbours: the module must stay standalone
    for (const r of d.refs) bug(!d.imports.has(r) || all.has(r), `${n} uses ${r}, imported from outside ${dirname(d.file)}`);
    for (const r of d.refs) visit(r);
  };
  for (const r of roots) visit(r);
  const root = fileURLToPath(new URL('../../', import.meta.url));
  const out: string[] = [];
  let file = '';
  for (const d of new Set(all.values())) {
    if (!need.has(d)) continue;
    if (d.file !== file) out.push(`// ---- bnnc ${(file = d.file).slice(root.length)} ----`);
    out.push(d.text);
  }
  return out;
}

function ident(s: string): string {
  const id = s.replace(/[^A-Za-z0-9_]/g, '_');
  return /^[0-9]/.test(id) ? `_${id}` : id;
}

/** A float64 holding a float32 (or an integer) as the shortest decimal that reads back to the same value. */
function num(v: number): string {
  return Object.is(v, -0) ? '-0' : String(v);
}

function base64Lines(bytes: Uint8Array): string {
  const s = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('base64');
  const out: string[] = [];
  for (let i = 0; i < s.length; i += 100) out.push(s.slice(i, i + 100));
  return `\`\n${out.join('\n')}\``;
}

/** The initializer expression of a constant: a typed-array literal, or base64 decoded at load time. */
function constExpr(t: Tensor): string {
  const arr = ARRAY[t.dtype];
  if (!arr || t.dtype === 'int64') fail('BNNC_E010', `${t.dtype} constants are not supported by the ts back end`);
  const n = t.data.length;
  if (n <= LITERAL_MAX || t.dtype === 'float32') return `${arr}.of(${Array.from(t.data, num).join(', ')})`;
  if (t.dtype === 'int32') {
    const b = new Uint8Array(n * 4), v = new DataView(b.buffer);
    t.data.forEach((x, i) => v.setInt32(4 * i, x, true));
    return `i32(${base64Lines(b)})`;
  }
  if (t.dtype === 'int8') return `i8(${base64Lines(new Uint8Array(Int8Array.from(t.data).buffer))})`;
  return `${arr}.of(${Array.from(t.data, num).join(', ')})`;
}

export function buildTsModule(g: Graph, prefix: string, q?: InputQuant): TsModel {
  if (g.inputs.length !== 1) fail('BNNC_E031', `the ts back end takes one input; the graph has ${g.inputs.length}`);
  const input = g.inputs[0];
  const typeOf = (s: string) => {
    const t = g.types.get(s);
    if (!t) fail('BNNC_E008', 'no static type for this value', { tensor: s });
    return t;
  };
  const arrayOf = (s: string, n?: Node): string => {
    const a = ARRAY[typeOf(s).dtype];
    if (!a) fail('BNNC_E010', `${typeOf(s).dtype} values are not supported by the ts back end yet`, { node: n?.name, tensor: s });
    return a;
  };
  const inArray = arrayOf(input.name);

  const vars = new Map<string, string>([[input.name, 'input']]);
  const consts = new Map<string, string>();
  let constBytes = 0;
  /** The module's name for tensor s: the variable holding a computed value, or a constant (added on first use). */
  const ref = (s: string, n: Node): string => {
    const r = vars.get(s);
    if (r) return r;
    const t = g.initializers.get(s);
    if (!t) fail('BNNC_E031', 'value is not computed by a supported op', { tensor: s, node: n.name });
    if (!consts.has(s)) {
      consts.set(s, `K${consts.size}_${ident(s)}`.slice(0, 60));
      constBytes += t.data.byteLength;
    }
    return consts.get(s)!;
  };
  const used = new Set<string>();
  const arg = (a: KernelArg, n: Node): string => {
    if (typeof a === 'string') return ref(a, n);
    if (typeof a !== 'object') return typeof a === 'number' ? num(a) : String(a);
    return `{ ${Object.entries(a).map(([k, x]) => `${k}: ${num(x)}`).join(', ')} }`;
  };
  // a kernel returns its output, or a tuple of them; int64 outputs come as int32 indices
  const final = (o: string, e: string): string => {
    if (typeOf(o).dtype !== 'int64') return e;
    used.add('i64');
    return `i64(${e})`;
  };
  const read = (o: string) => o !== '' && (g.outputs.includes(o) || g.nodes.some((m) => m.inputs.includes(o)));
  const body: string[] = [
    `if (input.length !== ${sizeOf(input.type.shape)}) throw new RangeError(\`${prefix}: the input has \${input.length} elements; expected ${sizeOf(input.type.shape)}\`);`,
  ];

  g.nodes.forEach((n, i) => {
    const x = n.inputs[0], xs = typeOf(x).shape;
    if (n.domain === '' && ALIAS_OPS.has(n.op)) {
      if (!vars.has(x)) fail('BNNC_E031', 'value is not computed by a supported op', { tensor: x, node: n.name });
      vars.set(n.outputs[0], vars.get(x)!);
      return;
    }
    const hook = lookupOp(n.domain, n.op)?.ts;
    if (!hook) fail('BNNC_E031', `${n.op} is not supported by the ts back end yet`, { node: n.name, op: n.op });
    if (n.domain === 'bnnc' && xs[0] !== 1) fail('BNNC_E031', `batch ${xs[0]}: the ts back end takes batch 1`, { node: n.name, op: n.op });
    const { kernel, args } = hook({ node: n, attrs: n.attrs, opset: g.opset }, n.inputs.map((s) => (s ? typeOf(s) : undefined)), n.inputs.map((s) => g.initializers.get(s)));
    bug(declarations().has(kernel.name), `the ts hook of ${n.op} calls ${kernel.name}, which is not in ${SOURCES[0]}`);
    used.add(kernel.name);
    const call = `${kernel.name}(${args.map((a) => arg(a, n)).join(', ')})`;
    const shapes = `${n.inputs.filter((s) => s && !g.initializers.has(s)).map((s) => `${typeOf(s).dtype}[${typeOf(s).shape.join(',')}]`).join(', ')} -> ${n.outputs.filter((s) => s).map((s) => `${typeOf(s).dtype}[${typeOf(s).shape.join(',')}]`).join(', ')}`;
    body.push(`// ${n.name} (${n.domain ? `${n.domain}.` : ''}${n.op}): ${shapes}`);
    const y = `v${i}`;
    if (n.outputs.length === 1) {
      body.push(`const ${y} = ${final(n.outputs[0], call)};`);
      vars.set(n.outputs[0], y);
      return;
    }
    const live = n.outputs.map((o, k) => [o, k] as const).filter(([o]) => read(o));
    body.push(live.length ? `const ${y} = ${call};` : `${call};`);
    for (const [o, k] of live) {
      body.push(`const ${y}_${k} = ${final(o, `${y}[${k}]`)};`);
      vars.set(o, `${y}_${k}`);
    }
  });

  const { Project, VariableDeclarationKind } = morph();
  const project = new Project({ useInMemoryFileSystem: true });
  const sf = project.createSourceFile(`${prefix}.ts`, '');
  const formula = q ? `the model's float input x = (q - ${q.zeroPoint}) * ${q.divisor === 1 ? q.scale : `${q.scale} / ${q.divisor}`}` : 'the model takes these integers as they are';
  sf.addStatements([
    `// ${prefix}.ts: generated by bnnc from graph ${JSON.stringify(g.name)} (target ts). Do not edit.`,
    '// Standalone: the kernels at the end are the functions bnnc\'s reference interpreter runs (integers exact,',
    '// float32 by Math.fround), so run() equals it bit for bit. Input: row-major, batch 1;',
    `// input quantization: ${formula}.`,
  ].join('\n'));
  const exportConst = (name: string, init: string, docs: string, type?: string) => sf.addVariableStatement({
    isExported: true, declarationKind: VariableDeclarationKind.Const, docs: [docs], declarations: [{ name, type, initializer: init }],
  });
  exportConst('INPUT_NAME', JSON.stringify(input.name), 'The graph input\'s name.');
  exportConst('INPUT_DTYPE', JSON.stringify(input.type.dtype), 'Its element type.');
  exportConst('INPUT_SHAPE', `[${input.type.shape.join(', ')}]`, 'Its shape.', 'readonly number[]');
  exportConst('OUTPUT_NAMES', `[${g.outputs.map((o) => JSON.stringify(o)).join(', ')}]`, 'The graph outputs, in order.', 'readonly (keyof Outputs)[]');
  exportConst('OUTPUT_SHAPES', `{ ${g.outputs.map((o) => `${JSON.stringify(o)}: [${typeOf(o).shape.join(', ')}]`).join(', ')} }`, 'Their shapes.', 'Readonly<Record<keyof Outputs, readonly number[]>>');
  sf.addInterface({
    name: 'Outputs', isExported: true, docs: ['The outputs of one run, by graph output name (row-major; int64 as BigInt64Array).'],
    properties: g.outputs.map((o) => ({ name: JSON.stringify(o), type: arrayOf(o) })),
  });
  for (const [s, name] of consts) {
    const t = g.initializers.get(s)!;
    const init = constExpr(t);
    if (/^i(32|8)\(/.test(init)) used.add(init.slice(0, init.indexOf('(')));
    sf.addVariableStatement({
      declarationKind: VariableDeclarationKind.Const, leadingTrivia: `// ${s}: ${t.dtype}[${t.shape.join(',')}]\n`,
      declarations: [{ name, initializer: init }],
    });
  }
  const statements: TsMorph.WriterFunction = (w) => {
    for (const line of body) w.writeLine(line);
    w.writeLine(`return { ${g.outputs.map((o) => `${JSON.stringify(o)}: ${vars.get(o)}`).join(', ')} };`);
  };
  sf.addFunction({
    name: 'run', isExported: true, docs: ['Runs the network on one input (row-major, batch 1). Each call returns fresh arrays.'],
    parameters: [{ name: 'input', type: inArray }], returnType: 'Outputs', statements,
  });
  sf.addStatements(closure(used));
  return { text: sf.getFullText(), constBytes };
}

/** The ts target's files: `<prefix>.ts`. */
export function emitTs(g: Graph, prefix: string, q?: InputQuant): Map<string, string> {
  return new Map([[`${ident(prefix)}.ts`, buildTsModule(g, ident(prefix), q).text]]);
}
