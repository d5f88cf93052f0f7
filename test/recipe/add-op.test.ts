// The recipe of docs/architecture.md ("A bnnc op"), carried out: a copy of the tree gets bnnc.NegateBits
// (fixture/) as its op file, its template, the registry entry and its test, and nothing else; the test counts
// the files that differ from this tree, then, inside the copy, type-checks it and runs the op's test there
// (its eval against hand-checked words, its C built and run on the host bit-exact with the interpreter).
import { execFileSync } from 'node:child_process';
import { cpSync, mkdtempSync, readdirSync, readFileSync, realpathSync, rmSync, statSync, symlinkSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { hasTool, ROOT } from '../helpers/resources.js';

const FIXTURE = join(ROOT, 'test/recipe/fixture');
/** What the copy takes from this tree (unchanged unless the recipe changes it). */
const TREE = ['src', 'templates', 'targets', 'package.json', 'tsconfig.json', 'tsconfig.build.json', 'vitest.config.ts'];
/** The project's own rules, run in the copy too: one home per op, imports downward, docs naming what they must. */
const RULES = ['test/conventions.test.ts', 'test/docs.test.ts'];
/**
 * The recipe: fixture file → its place in the tree. The .ts fixtures end in .txt so that this tree's tsc and
 * vitest leave them alone (their imports resolve only in place); the copy type-checks and runs them.
 */
const ADDED: Record<string, string> = {
  'NegateBits.ts.txt': 'src/ops/bnnc/NegateBits.ts',
  'NegateBits.c.hbs': 'templates/common/ops/NegateBits.c.hbs',
  'NegateBits.test.ts.txt': 'test/ops/NegateBits.test.ts',
};
const REGISTRY = 'src/ops/bnnc/index.ts';

function filesUnder(root: string, rel = ''): string[] {
  return readdirSync(join(root, rel)).sort().flatMap((e) => {
    const r = rel ? `${rel}/${e}` : e;
    if (r === 'node_modules') return [];
    return statSync(join(root, r)).isDirectory() ? filesUnder(root, r) : [r];
  });
}

/** Runs a node script in the copy; its output on failure. */
function node(dir: string, args: string[]): { ok: boolean; out: string } {
  // the inner vitest must not take itself for a worker of this one
  const env = { ...Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('VITEST') && k !== 'TEST' && k !== 'FORCE_COLOR')), NO_COLOR: '1' };
  try {
    return { ok: true, out: execFileSync(process.execPath, args, { cwd: dir, env, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] }) };
  } catch (e) {
    const x = e as { stdout?: string; stderr?: string; message: string };
    return { ok: false, out: `${x.message}\n${x.stdout ?? ''}\n${x.stderr ?? ''}` };
  }
}

describe.skipIf(!hasTool('gcc'))('recipe: a bnnc op end to end', () => {
  const dir = mkdtempSync(join(tmpdir(), 'bnnc-recipe-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('takes an op file, a template, a registry entry and a test: 4 files', () => {
    for (const p of [...TREE, 'docs', 'test/helpers/resources.ts', ...RULES]) cpSync(join(ROOT, p), join(dir, p), { recursive: true });
    symlinkSync(realpathSync(join(ROOT, 'node_modules')), join(dir, 'node_modules'), 'dir');
    for (const [from, to] of Object.entries(ADDED)) cpSync(join(FIXTURE, from), join(dir, to));
    // the registry entry: its import, and its name at the end of BNNC_OPS
    const reg = readFileSync(join(dir, REGISTRY), 'utf8');
    const edited = reg
      .replace("import { XnorConv } from './XnorConv.js';\n", "import { XnorConv } from './XnorConv.js';\nimport { NegateBits } from './NegateBits.js';\n")
      .replace('IntConvPoolThreshold];', 'IntConvPoolThreshold, NegateBits];');
    expect(edited.split('\n').length - reg.split('\n').length).toBe(1);
    expect(edited).toContain(', NegateBits];');
    writeFileSync(join(dir, REGISTRY), edited);

    const changed = filesUnder(dir).filter((f) => !existsSync(join(ROOT, f)) || !readFileSync(join(ROOT, f)).equals(readFileSync(join(dir, f))));
    expect(changed.sort()).toEqual([REGISTRY, ...Object.values(ADDED)].sort());
    expect(changed.length).toBeLessThanOrEqual(4);
  });

  it('type-checks in the copy', () => {
    const r = node(dir, ['node_modules/typescript/bin/tsc', '-p', 'tsconfig.json', '--noEmit']);
    expect(r.out).toBe('');
    expect(r.ok).toBe(true);
  });

  it("passes its test in the copy (eval by hand, C on the host bit-exact with the interpreter) and the project's rules", () => {
    const r = node(dir, ['node_modules/vitest/vitest.mjs', 'run', 'test/ops/NegateBits.test.ts', ...RULES]);
    expect(r.ok, r.out).toBe(true);
    expect(r.out).toMatch(/Test Files\s+3 passed \(3\)/);
  });
});
