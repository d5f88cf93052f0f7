// Nested names in the output folder (the Arduino layout: src/, examples/<name>/<name>.ino) keep every guarantee
// of docs/output.md: the manifest lists the files and the folders bnnc created; only those folders are entered
// and, once empty, deleted; a folder or symlink bnnc did not create where it puts one stops the run even with
// --force; a failing run leaves the folder as it was (folders it created removed); no name leaves -o.
import { lstatSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, readlinkSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeEach, describe, expect, it } from 'vitest';
import { MARKER, writeOutputDir, type OutputOptions } from '../../src/output.js';

const ROOT = mkdtempSync(join(tmpdir(), 'bnnc-output-nested-'));
afterAll(() => rmSync(ROOT, { recursive: true, force: true }));

let home: string, cwd: string, out: string, n = 0;
beforeEach(() => {
  const box = join(ROOT, `case-${n++}`);
  home = join(box, 'home');
  cwd = join(home, 'project');
  mkdirSync(cwd, { recursive: true });
  out = join(cwd, 'out');
});

const ARDUINO = new Map([['library.properties', 'name=k\n'], ['src/k.c', 'int k;\n'], ['src/k.h', '#define K\n'], ['examples/k/k.ino', 'void setup() {}\n'], ['README.md', 'r\n']]);
const FLAT = new Map([['k.c', 'int k;\n'], ['k.h', '#define K\n'], ['README.md', 'r\n']]);

function write(files: ReadonlyMap<string, string>, more: Partial<OutputOptions> = {}): void {
  writeOutputDir(out, files, { stamp: 'bnnc test host', cwd, home, ...more });
}

/** Every entry below `dir` (not following symlinks): file contents, 'dir', or the link's target. */
function tree(dir: string): Record<string, string> {
  const t: Record<string, string> = {};
  const walk = (d: string, rel: string) => {
    for (const name of readdirSync(d).sort()) {
      const p = join(d, name), r = rel ? `${rel}/${name}` : name, st = lstatSync(p);
      if (st.isSymbolicLink()) t[r] = `-> ${readlinkSync(p)}`;
      else if (st.isDirectory()) { t[r] = 'dir'; walk(p, r); }
      else t[r] = readFileSync(p, 'utf8');
    }
  };
  walk(dir, '');
  return t;
}
const manifest = () => JSON.parse(readFileSync(join(out, MARKER), 'utf8')) as { files: Record<string, unknown>; folders?: string[]; kept?: string[] };
const files = (t: Record<string, string>) => Object.fromEntries(Object.entries(t).filter(([k, v]) => k !== MARKER && v !== 'dir'));

describe('nested names', () => {
  it('writes them, recording the files and the folders it created; a flat layout later deletes both', () => {
    write(ARDUINO);
    expect(files(tree(out))).toEqual(Object.fromEntries(ARDUINO));
    expect(Object.keys(manifest().files).sort()).toEqual([...ARDUINO.keys()].sort());
    expect(manifest().folders).toEqual(['examples', 'examples/k', 'src']);
    write(ARDUINO); // its own files and folders: replaced without --force
    write(FLAT);
    expect(Object.keys(tree(out)).sort()).toEqual([MARKER, 'README.md', 'k.c', 'k.h']);
    expect(manifest().folders).toBeUndefined();
  });

  it("a file the user put in bnnc's folder stops the run; --force keeps it, and its folder with it", () => {
    write(ARDUINO);
    writeFileSync(join(out, 'src', 'notes.txt'), 'mine');
    expect(() => write(FLAT)).toThrow(/BNNC_E041.*'src\/notes\.txt' \(not written by bnnc\)/);
    write(FLAT, { force: true });
    expect(readFileSync(join(out, 'src', 'notes.txt'), 'utf8')).toBe('mine');
    expect(Object.keys(tree(out)).sort()).toEqual([MARKER, 'README.md', 'k.c', 'k.h', 'src', 'src/notes.txt']);
    expect(manifest().kept).toEqual(['src/notes.txt']);
    expect(manifest().folders).toEqual(['src']);
    write(ARDUINO); // kept, so no --force needed; src/ is bnnc's folder again
    expect(readFileSync(join(out, 'src', 'notes.txt'), 'utf8')).toBe('mine');
  });

  it('a folder bnnc did not create where it puts one stops the run even with --force, writing nothing', () => {
    mkdirSync(join(out, 'src'), { recursive: true });
    writeFileSync(join(out, 'src', 'main.c'), 'mine');
    for (const force of [false, true]) {
      expect(() => write(ARDUINO, { force })).toThrow(/BNNC_E041.*'src' \(a folder bnnc did not create/);
      expect(tree(out)).toEqual({ src: 'dir', 'src/main.c': 'mine' });
    }
  });

  it('a symlink where bnnc puts a folder is refused even with --force: nothing is written through it', () => {
    const elsewhere = join(cwd, 'elsewhere');
    mkdirSync(elsewhere);
    mkdirSync(out);
    symlinkSync(elsewhere, join(out, 'src'));
    expect(() => write(ARDUINO, { force: true })).toThrow(/BNNC_E041.*'src' \(a symlink bnnc did not create/);
    expect(readdirSync(elsewhere)).toEqual([]);
    // even when an earlier manifest claims the folder: a symlink is never entered
    write(FLAT, { force: true });
    const m = JSON.parse(readFileSync(join(out, MARKER), 'utf8')) as Record<string, unknown>;
    writeFileSync(join(out, MARKER), JSON.stringify({ ...m, folders: ['src'] }));
    expect(() => write(ARDUINO, { force: true })).toThrow(/BNNC_E041.*'src' \(a symlink/);
    expect(readdirSync(elsewhere)).toEqual([]);
  });

  it('a run failing at any step leaves the folder as it was, the folders it created removed', () => {
    write(FLAT);
    const before = tree(out);
    for (const step of ['place src/k.c', 'place examples/k/k.ino', 'remove k.c', 'manifest']) {
      expect(() => write(ARDUINO, { onStep: (s) => { if (s === step) throw new Error(`boom at ${s}`); } })).toThrow(`boom at ${step}`);
      expect(tree(out), step).toEqual(before);
    }
    write(ARDUINO);
    const nested = tree(out);
    for (const step of ['place k.c', 'remove src/k.c', 'remove folder examples/k', 'remove folder src', 'manifest']) {
      expect(() => write(FLAT, { onStep: (s) => { if (s === step) throw new Error(`boom at ${s}`); } })).toThrow(`boom at ${step}`);
      expect(tree(out), step).toEqual(nested);
    }
  });

  it('a name that could leave -o or reach bnnc\'s own files is a bug, caught before anything is written', () => {
    for (const bad of ['../x.c', 'src/../../x.c', '/abs.c', 'src//x.c', 'src/.bnnc-output', 'a\\b.c', 'a/b/c/d/e.c']) {
      expect(() => write(new Map([[bad, 'x']])), bad).toThrow(/not a plain relative name/);
    }
    expect(() => write(new Map([['src', 'x'], ['src/k.c', 'y']]))).toThrow(/inside another generated file/);
    expect(readdirSync(cwd)).toEqual([]);
  });
});
