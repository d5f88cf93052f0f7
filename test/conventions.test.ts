// The shape of the code, kept true by a test (docs/architecture.md states the rules): small files, one home
// per op, back ends that read target capabilities instead of names, and imports that only go downward
// through the layers. Sources are parsed with the TypeScript compiler, so comments and strings in prose
// never count as code.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';
import { supportedOps } from '../src/ops/index.js';
import type { OpDef } from '../src/ops/types.js';
import { ROOT } from './helpers/resources.js';

const MAX_LINES = 400;

function files(dir: string, keep: (f: string) => boolean): string[] {
  const out: string[] = [];
  for (const e of readdirSync(join(ROOT, dir)).sort()) {
    const rel = `${dir}/${e}`;
    if (statSync(join(ROOT, rel)).isDirectory()) out.push(...files(rel, keep));
    else if (keep(rel)) out.push(rel);
  }
  return out;
}

const SOURCES = files('src', (f) => f.endsWith('.ts'));
const parsed = new Map<string, ts.SourceFile>();
function parse(rel: string): ts.SourceFile {
  let sf = parsed.get(rel);
  if (!sf) parsed.set(rel, (sf = ts.createSourceFile(rel, readFileSync(join(ROOT, rel), 'utf8'), ts.ScriptTarget.ES2022, true)));
  return sf;
}
function walk(node: ts.Node, visit: (n: ts.Node) => void): void {
  visit(node);
  node.forEachChild((c) => walk(c, visit));
}
function at(sf: ts.SourceFile, n: ts.Node): string {
  return `${sf.fileName}:${sf.getLineAndCharacterOfPosition(n.getStart(sf)).line + 1}`;
}

/**
 * The layers, lowest first (docs/architecture.md). A unit is a top-level file or folder of src/; a file may
 * import its own folder and any unit of a strictly lower layer, nothing else. The stages (import, passes,
 * lowering, back ends) share a layer: each sees the IR and the ops, never another stage; only the driver
 * (compile.ts) strings them together. The passes sit one layer lower, since the C back end runs its own
 * pipeline of bnnc → bnnc fusions (C_PIPELINE) before it lays out C; the lowering still may not call a pass
 * (FORBIDDEN below).
 */
const LAYERS: readonly (readonly string[])[] = [
  ['errors.ts'],
  ['numeric'],
  ['ir'],
  ['ops'],
  ['analyze', 'interp'],
  ['passes'],
  ['onnx', 'lower', 'backend'],
  ['check.ts', 'inspect.ts'],
  ['data', 'bench', 'output', 'check-worker.ts'],
  ['output.ts', 'input-quant.ts', 'report', 'calibrate.ts'],
  ['compile.ts'],
  ['library.ts'],
  ['index.ts', 'cli.ts'],
];
const RANK = new Map(LAYERS.flatMap((units, r) => units.map((u) => [u, r] as const)));
const unitOf = (rel: string): string => rel.split('/')[1];

/** Relative imports of a source file (static, re-exports, dynamic with a literal), as src/ paths. */
function importsOf(rel: string): { to: string; where: string }[] {
  const sf = parse(rel);
  const out: { to: string; where: string }[] = [];
  const add = (spec: ts.Expression | undefined, n: ts.Node) => {
    if (!spec || !ts.isStringLiteralLike(spec) || !spec.text.startsWith('.')) return;
    out.push({ to: relative(ROOT, join(ROOT, rel, '..', spec.text)).replace(/\.js$/, '.ts'), where: at(sf, n) });
  };
  walk(sf, (n) => {
    if (ts.isImportDeclaration(n) || ts.isExportDeclaration(n)) add(n.moduleSpecifier, n);
    if (ts.isCallExpression(n) && n.expression.kind === ts.SyntaxKind.ImportKeyword) add(n.arguments[0], n);
  });
  return out;
}

/** Files allowed to read target names: where targets (and the chips that name a core target) are loaded. */
const TARGET_LOADING = new Set(['src/backend/target.ts', 'src/backend/chip.ts']);
/** Family names that are nothing else (host and ts are also runner kinds, a capability). */
const FAMILY_NAMES = new Set(['cortex-m', 'esp32', 'riscv']);
const NAME_FIELDS = new Set(['family', 'arch', 'core']);

/** Comparisons of a target's family, arch or core, literal family names, and regular expressions on core names. */
function nameTests(rel: string): string[] {
  const sf = parse(rel);
  const out: string[] = [];
  const isName = (e: ts.Expression) => ts.isPropertyAccessExpression(e) && NAME_FIELDS.has(e.name.text);
  const compare = new Set([ts.SyntaxKind.EqualsEqualsEqualsToken, ts.SyntaxKind.ExclamationEqualsEqualsToken, ts.SyntaxKind.EqualsEqualsToken, ts.SyntaxKind.ExclamationEqualsToken]);
  walk(sf, (n) => {
    if (ts.isBinaryExpression(n) && compare.has(n.operatorToken.kind) && (isName(n.left) || isName(n.right))) out.push(`${at(sf, n)} compares ${n.getText(sf)}`);
    if (ts.isSwitchStatement(n) && isName(n.expression)) out.push(`${at(sf, n)} switches on ${n.expression.getText(sf)}`);
    if (ts.isStringLiteralLike(n) && FAMILY_NAMES.has(n.text)) out.push(`${at(sf, n)} names the family '${n.text}'`);
    if (n.kind === ts.SyntaxKind.RegularExpressionLiteral && /cortex|rv32|xtensa|armv/i.test(n.getText(sf))) out.push(`${at(sf, n)} matches core names: ${n.getText(sf)}`);
    if (ts.isCallExpression(n) && n.arguments.some(isName) && ts.isPropertyAccessExpression(n.expression) && ['test', 'match', 'includes', 'startsWith'].includes(n.expression.name.text)) {
      out.push(`${at(sf, n)} tests a name: ${n.getText(sf)}`);
    }
  });
  return out;
}

describe('conventions', () => {
  it(`no file in src/ or templates/ is over ${MAX_LINES} lines`, () => {
    const all = [...SOURCES, ...files('templates', () => true)];
    const long = all.map((f) => ({ f, n: readFileSync(join(ROOT, f), 'utf8').split('\n').length - 1 })).filter(({ n }) => n > MAX_LINES);
    expect(long.map(({ f, n }) => `${f}: ${n} lines`)).toEqual([]);
  });

  it('every registered op has its schema, shape rule and eval in one file, the one module that defines it', async () => {
    // the module that exports the registered definition object itself (the registries only list them)
    const defining = new Map<OpDef, string[]>();
    for (const rel of SOURCES.filter((f) => f.startsWith('src/ops/') && !f.endsWith('/index.ts'))) {
      const mod = (await import(join(ROOT, rel))) as Record<string, unknown>;
      for (const v of Object.values(mod)) if (supportedOps().includes(v as OpDef)) defining.set(v as OpDef, [...(defining.get(v as OpDef) ?? []), rel]);
    }
    const problems: string[] = [];
    for (const def of supportedOps()) {
      const files = defining.get(def) ?? [];
      if (files.length !== 1) problems.push(`${def.domain}::${def.op} is exported by ${files.length ? files.join(', ') : 'no op file'}`);
      if (typeof def.attrs !== 'object' || typeof def.infer !== 'function' || typeof def.eval !== 'function') problems.push(`${def.domain}::${def.op} lacks a schema, shape rule or eval`);
    }
    expect(problems).toEqual([]);
  });

  it('no code outside target loading compares family, arch or core names', () => {
    const found = SOURCES.filter((f) => !TARGET_LOADING.has(f)).flatMap(nameTests);
    expect(found).toEqual([]);
  });

  it('the rule above finds what it is meant to find', () => {
    const probe = 'src/backend/probe.ts';
    parsed.set(probe, ts.createSourceFile(probe, [
      "if (t.family === 'ts') x();", "if ('armv6-m' !== target.arch) y();", "render('esp32', f);",
      'switch (t.core) {}', '/^Cortex-M0/.test(c);', 'costs.includes(t.core);', "// 'esp32' in a comment, t.family === x in prose",
    ].join('\n'), ts.ScriptTarget.ES2022, true));
    expect(nameTests(probe).length).toBe(6);
    parsed.delete(probe);
  });

  it('every unit of src/ has a layer, and imports only go downward', () => {
    const unplaced = [...new Set(SOURCES.map(unitOf))].filter((u) => !RANK.has(u));
    expect(unplaced, 'add new folders to LAYERS here and in docs/architecture.md').toEqual([]);
    expect(SOURCES.flatMap(upwardImports)).toEqual([]);
  });

  it('docs/architecture.md draws the same layers, top to bottom', () => {
    const doc = readFileSync(join(ROOT, 'docs/architecture.md'), 'utf8');
    const table = /## Layers[\s\S]*?```\n([\s\S]*?)```/.exec(doc)?.[1] ?? '';
    const rows = table.split('\n').filter((l) => l.trim()).map((l) => l.split(/ {2,}/)[0].split(',').map((u) => u.trim().replace(/\/$/, '')));
    const sorted = (r: readonly string[]) => [...r].sort();
    expect(rows.reverse().map(sorted)).toEqual(LAYERS.map(sorted));
  });

  it('the layer rule finds what it is meant to find', () => {
    const probe = 'src/numeric/probe.ts';
    parsed.set(probe, ts.createSourceFile(probe, [
      "import type { Tensor } from '../ir/types.js';", "export { x } from '../lower/lower.js';", "const m = await import('../passes/index.js');",
      "import { y } from './bits.js';", "import { z } from '../errors.js';", "// import { w } from '../cli.js';",
    ].join('\n'), ts.ScriptTarget.ES2022, true));
    expect(upwardImports(probe).length).toBe(3);
    // a stage importing another stage
    const stage = 'src/lower/probe.ts';
    parsed.set(stage, ts.createSourceFile(stage, "import { inferAndFold } from '../passes/infer-and-fold.js';\nimport { lookupOp } from '../ops/index.js';", ts.ScriptTarget.ES2022, true));
    expect(upwardImports(stage).length).toBe(1);
    parsed.delete(stage);
    // a back end importing the lowering (the same layer), and one running a pipeline (allowed)
    const back = 'src/backend/probe.ts';
    parsed.set(back, ts.createSourceFile(back, "import type { X } from '../lower/values.js';\nimport { C_PIPELINE } from '../passes/index.js';", ts.ScriptTarget.ES2022, true));
    expect(upwardImports(back).length).toBe(1);
    parsed.delete(back);
    parsed.delete(probe);
  });
});

/** Imports that the layer order allows but the design does not: the lowering walks a graph, it runs no pass. */
const FORBIDDEN: ReadonlySet<string> = new Set(['lower->passes']);

function upwardImports(f: string): string[] {
  const out: string[] = [];
  for (const { to, where } of importsOf(f)) {
    const [a, b] = [unitOf(f), unitOf(to)];
    if (a === b || !to.startsWith('src/')) continue;
    if (!(RANK.get(b)! < RANK.get(a)!) || FORBIDDEN.has(`${a}->${b}`)) out.push(`${where} (${a}) imports ${to} (${b})`);
  }
  return out;
}
