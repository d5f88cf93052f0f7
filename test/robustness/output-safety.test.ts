// Output folder safety (issue #16): bnnc deletes only files it wrote (checked against the manifest),
// refuses dangerous places even with --force, reports every filesystem failure as a coded error (exit 2),
// never hangs on /proc, restores the previous output when a run fails, and cleans up after interrupted
// runs. Every case runs in a throwaway folder with a throwaway home and working folder; the tests run as
// root, so "cannot write" cases use paths that fail for root too, and small tmpfs mounts made in a throwaway
// folder where mounting is allowed (see docs/output.md for what is not covered).
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { chmodSync, cpSync, existsSync, lstatSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, readlinkSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { hostname, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, beforeEach, describe, expect, it } from 'vitest';
import { main } from '../../src/cli.js';
import { MARKER, writeOutputDir, type OutputOptions } from '../../src/output.js';
import { tensor } from '../../src/ir/tensor.js';
import { buildModel } from '../helpers/onnx-build.js';
import { available, ROOT as REPO } from '../helpers/resources.js';
import { compileError, expectError } from './expect-error.js';

const ROOT = mkdtempSync(join(tmpdir(), 'bnnc-output-safety-'));
afterAll(() => rmSync(ROOT, { recursive: true, force: true }));

let home: string, cwd: string, model: string, n = 0;
beforeEach(() => {
  const box = join(ROOT, `case-${n++}`);
  home = join(box, 'home');
  cwd = join(home, 'project');
  mkdirSync(join(home, '.ssh'), { recursive: true });
  writeFileSync(join(home, '.ssh', 'id_ed25519'), 'secret');
  mkdirSync(join(cwd, 'models'), { recursive: true });
  model = join(cwd, 'models', 'm.onnx');
  writeFileSync(model, 'model bytes');
  writeFileSync(join(cwd, 'models', 'train.py'), 'print(1)');
});

const V1 = new Map([['m.c', 'int x = 1;\n'], ['m.h', '#define X 1\n'], ['README.md', 'v1\n']]);
const V2 = new Map([['m.c', 'int x = 2;\n'], ['m.h', '#define X 2\n'], ['extra.yml', 'v2\n']]);

function write(dir: string, files: ReadonlyMap<string, string>, more: Partial<OutputOptions> = {}): void {
  writeOutputDir(dir, files, { stamp: 'bnnc test host', cwd, home, model, ...more });
}

/** Every entry below `dir` (not following symlinks): file contents, 'dir', or the link's target. */
function tree(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (d: string, rel: string) => {
    for (const name of readdirSync(d).sort()) {
      const p = join(d, name), r = rel ? `${rel}/${name}` : name, st = lstatSync(p);
      if (st.isSymbolicLink()) out[r] = `-> ${readlinkSync(p)}`;
      else if (st.isDirectory()) { out[r] = 'dir'; walk(p, r); }
      else if (st.isFile()) out[r] = readFileSync(p, 'utf8');
      else out[r] = 'special';
    }
  };
  walk(dir, '');
  return out;
}

const sha256 = (s: string) => createHash('sha256').update(s).digest('hex');
const manifest = (dir: string) => JSON.parse(readFileSync(join(dir, MARKER), 'utf8')) as { files: Record<string, { size: number; sha256: string }>; kept?: string[]; pending?: unknown };
const withoutMarker = (t: Record<string, string>) => Object.fromEntries(Object.entries(t).filter(([k]) => k !== MARKER));

describe('only bnnc\'s own files are replaced or deleted', () => {
  it('writes a new folder (and its missing parents) with a manifest of sizes and SHA-256, leaving nothing else', () => {
    const out = join(cwd, 'build', 'deep', 'out');
    write(out, V1);
    expect(withoutMarker(tree(out))).toEqual(Object.fromEntries(V1));
    const m = manifest(out);
    expect(m.files).toEqual(Object.fromEntries([...V1].map(([k, v]) => [k, { size: Buffer.byteLength(v), sha256: sha256(v) }])));
    expect(m.pending).toBeUndefined();
    expect(readdirSync(join(cwd, 'build'))).toEqual(['deep']);
  });

  it('replaces its files and deletes the ones it no longer generates, in place (the folder itself is never renamed)', () => {
    const out = join(cwd, 'out');
    write(out, V1);
    const ino = statSync(out).ino;
    write(out, V2);
    expect(withoutMarker(tree(out))).toEqual(Object.fromEntries(V2));
    expect(statSync(out).ino).toBe(ino);
    expect(readdirSync(cwd).sort()).toEqual(['models', 'out']);
  });

  it('a file the user added stops the run, naming it; --force keeps it and later runs keep it without --force', () => {
    const out = join(cwd, 'out');
    write(out, V1);
    writeFileSync(join(out, 'main.c'), 'int main(void) { return 0; }\n');
    mkdirSync(join(out, 'notes'));
    writeFileSync(join(out, 'notes', 'n.txt'), 'mine');
    const before = tree(out);
    expectError(() => write(out, V2), 'BNNC_E041', "'main.c' (not written by bnnc)", "'notes'", '--force');
    expect(tree(out)).toEqual(before);
    write(out, V2, { force: true });
    expect(tree(out)['main.c']).toBe(before['main.c']);
    expect(tree(out)['notes/n.txt']).toBe('mine');
    expect(manifest(out).kept).toEqual(['main.c', 'notes']);
    write(out, V1);
    expect(withoutMarker(tree(out))).toEqual({ ...Object.fromEntries(V1), 'main.c': before['main.c'], notes: 'dir', 'notes/n.txt': 'mine' });
  });

  it('a generated file the user edited stops the run; --force overwrites it, or keeps it once bnnc no longer generates it', () => {
    const out = join(cwd, 'out');
    write(out, V1);
    writeFileSync(join(out, 'm.c'), 'int x = 1; /* tuned by hand */\n');
    writeFileSync(join(out, 'README.md'), 'v1 plus my notes\n');
    const before = tree(out);
    expectError(() => write(out, V2), 'BNNC_E041', "'m.c' (generated by bnnc, changed since)", "'README.md'");
    expect(tree(out)).toEqual(before);
    write(out, V2, { force: true });
    expect(withoutMarker(tree(out))).toEqual({ ...Object.fromEntries(V2), 'README.md': 'v1 plus my notes\n' });
    expect(manifest(out).kept).toEqual(['README.md']);
  });

  it('a foreign file or folder where bnnc writes a file is never overwritten, not even with --force', () => {
    const out = join(cwd, 'out');
    mkdirSync(out);
    writeFileSync(join(out, 'm.c'), 'my own m.c');
    expectError(() => write(out, V1, { force: true }), 'BNNC_E041', "'m.c' (not written by bnnc)", 'not even with --force');
    expect(tree(out)).toEqual({ 'm.c': 'my own m.c' });
    rmSync(join(out, 'm.c'));
    write(out, V1);
    rmSync(join(out, 'm.h'));
    mkdirSync(join(out, 'm.h'));
    writeFileSync(join(out, 'm.h', 'inside'), 'x');
    expectError(() => write(out, V1, { force: true }), 'BNNC_E041', "'m.h' (a folder)");
    expect(tree(out)['m.h/inside']).toBe('x');
  });

  it('--force into a folder bnnc did not write adds its files and keeps everything there', () => {
    const out = join(cwd, 'firmware');
    mkdirSync(join(out, 'src'), { recursive: true });
    writeFileSync(join(out, 'src', 'main.c'), 'main');
    writeFileSync(join(out, 'Makefile'), 'all:');
    expectError(() => write(out, V1), 'BNNC_E041', "'Makefile' (not written by bnnc)", "'src'");
    write(out, V1, { force: true });
    expect(withoutMarker(tree(out))).toEqual({ ...Object.fromEntries(V1), Makefile: 'all:', src: 'dir', 'src/main.c': 'main' });
  });

  it('a marker without a manifest (an older bnnc): its files need --force, which replaces the generated names only', () => {
    const out = join(cwd, 'out');
    mkdirSync(out);
    writeFileSync(join(out, MARKER), 'bnnc 0.1.0 cortex-m4\n');
    for (const [k, v] of V1) writeFileSync(join(out, k), v);
    expectError(() => write(out, V2), 'BNNC_E041', 'older bnnc');
    write(out, V2, { force: true });
    expect(withoutMarker(tree(out))).toEqual({ ...Object.fromEntries(V2), 'README.md': 'v1\n' });
    expect(Object.keys(manifest(out).files).sort()).toEqual(['extra.yml', 'm.c', 'm.h']);
  });

  it('special files are never opened: a FIFO in the folder or as the marker is named, not read (no hang)', () => {
    const out = join(cwd, 'out');
    write(out, V1);
    execFileSync('mkfifo', [join(out, 'pipe')]);
    expectError(() => write(out, V1), 'BNNC_E041', "'pipe'");
    rmSync(join(out, 'pipe'));
    rmSync(join(out, 'm.c'));
    execFileSync('mkfifo', [join(out, 'm.c')]);
    expectError(() => write(out, V1, { force: true }), 'BNNC_E041', "'m.c' (a special file)");
    rmSync(join(out, MARKER));
    execFileSync('mkfifo', [join(out, MARKER)]);
    expectError(() => write(out, V1, { force: true }), 'BNNC_E041', 'not a regular file');
  });
});

describe('places bnnc never writes into, even with --force', () => {
  it('refuses the root, home and above, the working folder and above, the model\'s folder and a repository', () => {
    mkdirSync(join(cwd, 'repo', '.git'), { recursive: true });
    const cases: [string, string][] = [
      ['/', 'the filesystem root'],
      [home, 'your home folder'],
      [join(home, '..'), 'a folder above your home folder'],
      ['.', 'the working folder'],
      [cwd, 'the working folder'],
      ['..', 'your home folder'],
      [join(cwd, 'models'), 'the folder holding the input model'],
      ['models/', 'the folder holding the input model'],
      [join(cwd, 'repo'), 'a folder holding .git'],
      [join(cwd, 'repo', '.git', 'bnnc'), "inside a repository's .git folder"],
    ];
    const before = tree(join(home, '..'));
    for (const [dir, why] of cases) expectError(() => write(dir, V1, { force: true }), 'BNNC_E040', why, 'not even with --force');
    expect(tree(join(home, '..'))).toEqual(before);
  });

  it('a parent of the working folder that is not home is refused too', () => {
    const deep = join(cwd, 'a', 'b');
    mkdirSync(deep, { recursive: true });
    expectError(() => write('..', V1, { force: true, cwd: deep }), 'BNNC_E040', 'a folder above the working folder');
    expectError(() => write(join(cwd, 'a'), V1, { force: true, cwd: deep }), 'BNNC_E040', 'a folder above the working folder');
  });

  it('a symlinked -o is judged by where it points: refused when that is home, followed when it is a plain folder', () => {
    symlinkSync(home, join(cwd, 'to-home'));
    expectError(() => write('to-home', V1, { force: true }), 'BNNC_E040', `really '${home}'`, 'your home folder');
    const real = join(cwd, 'real-out');
    mkdirSync(real);
    symlinkSync(real, join(cwd, 'out'));
    write('out', V1);
    expect(lstatSync(join(cwd, 'out')).isSymbolicLink()).toBe(true);
    expect(withoutMarker(tree(real))).toEqual(Object.fromEntries(V1));
    write(join(cwd, 'out', 'sub'), V2);
    expect(withoutMarker(tree(join(real, 'sub')))).toEqual(Object.fromEntries(V2));
  });
});

describe('paths that are not usable folders, and filesystem failures, are coded errors', () => {
  it('a dangling symlink, a file, a path through a file, /proc and /sys: BNNC_E044 naming the path, nothing created', () => {
    symlinkSync(join(cwd, 'nowhere'), join(cwd, 'dangling'));
    expectError(() => write('dangling', V1), 'BNNC_E044', 'dangling', 'which does not exist');
    expect(existsSync(join(cwd, 'nowhere'))).toBe(false);
    writeFileSync(join(cwd, 'file.txt'), 'x');
    expectError(() => write('file.txt', V1), 'BNNC_E044', 'exists and is not a folder');
    expectError(() => write('file.txt/out/deeper', V1), 'BNNC_E044', 'is a file, not a folder');
    // mkdir -p /proc/self/x/y never returns in Node 20; bnnc must answer at once
    expectError(() => write('/proc/self/x/y', V1), 'BNNC_E044', 'proc filesystem');
    expectError(() => write('/proc/self', V1, { force: true }), 'BNNC_E044', 'proc filesystem');
    expectError(() => write('/sys/kernel/bnnc-out', V1), 'BNNC_E044', 'sysfs filesystem');
    expect(tree(cwd)).toEqual({ dangling: `-> ${join(cwd, 'nowhere')}`, 'file.txt': 'x', models: 'dir', 'models/m.onnx': 'model bytes', 'models/train.py': 'print(1)' });
  });

  it('a system error (a name too long, even for root) is BNNC_E042 with the path and the reason; nothing created', () => {
    const long = join(cwd, 'new', 'x'.repeat(300));
    const e = expectError(() => write(long, V1), 'BNNC_E042', 'name too long (ENAMETOOLONG)', long);
    expect(e.message).not.toMatch(/\n\s+at /);
    expect(existsSync(join(cwd, 'new'))).toBe(false);
  });
});

describe('on real mounts (tmpfs, mounted in a throwaway folder when this process may mount)', () => {
  const probe = join(ROOT, 'mount-probe');
  mkdirSync(probe);
  const canMount = spawnSync('mount', ['-t', 'tmpfs', '-o', 'size=64k', 'bnnc-test', probe]).status === 0 && spawnSync('umount', [probe]).status === 0;
  if (!canMount) console.warn('SKIP: cannot mount a tmpfs here (needs root with CAP_SYS_ADMIN): the mount point, EROFS and ENOSPC cases are not run');

  /** Mounts a tmpfs with `opts` on a fresh folder in this case's box, runs `f`, unmounts. */
  let mounts = 0;
  function withMount(opts: string, f: (at: string) => void): void {
    const at = join(cwd, `mnt-${mounts++}`);
    mkdirSync(at);
    execFileSync('mount', ['-t', 'tmpfs', '-o', opts, 'bnnc-test', at]);
    try {
      f(at);
    } finally {
      execFileSync('umount', [at]);
    }
  }

  it.runIf(canMount)('-o a mount point: written, rewritten and pruned in place (renaming it would give EBUSY)', () => {
    withMount('size=1m', (at) => {
      write(at, V1);
      write(at, V2);
      expect(withoutMarker(tree(at))).toEqual(Object.fromEntries(V2));
    });
  });

  it.runIf(canMount)('a read-only filesystem and a full one: BNNC_E042 with the reason, the folder as it was', () => {
    withMount('ro,size=64k', (at) => {
      expectError(() => write(at, V1), 'BNNC_E042', `cannot create the lock file '${join(at, '.bnnc-lock')}': read-only file system (EROFS)`);
    });
    withMount('size=64k', (at) => {
      write(at, new Map([['m.c', 'small\n']]));
      const before = tree(at);
      const big = new Map([['m.c', 'x'.repeat(256 * 1024)]]);
      const e = expectError(() => write(at, big), 'BNNC_E042', 'no space left on device (ENOSPC)', join(at, '.bnnc-tmp-'));
      expect(e.message).not.toContain('ENOSPC:');
      expect(tree(at)).toEqual(before);
      // so full that the lock's few bytes do not fit: no empty lock is left to block the next run
      writeFileSync(join(at, 'filler'), '');
      for (let k = 0; k < 64; k++) try { writeFileSync(join(at, 'filler'), 'x'.repeat(1024), { flag: 'a' }); } catch { break; }
      expectError(() => write(join(at, 'out'), V1), 'BNNC_E042', `'${join(at, 'out', '.bnnc-lock')}': no space left on device (ENOSPC)`);
      expect(existsSync(join(at, 'out'))).toBe(false);
    });
  });
});

describe('a failed run leaves the previous output as it was', () => {
  /** The commit steps of a V1 → V2 rewrite, as the hook reports them. */
  function steps(): string[] {
    const out = join(cwd, 'probe');
    write(out, V1);
    const seen: string[] = [];
    write(out, V2, { onStep: (s) => seen.push(s) });
    return seen;
  }

  it('a failure at any step of the commit restores every file and the manifest, and leaves no temporary folder', () => {
    const all = steps();
    expect(all).toEqual(['marker', 'place m.c', 'place m.h', 'place extra.yml', 'remove README.md', 'manifest']);
    for (const step of all) {
      const out = join(cwd, `fail-${step.replace(/\W/g, '_')}`);
      write(out, V1);
      const before = tree(out);
      expect(() => write(out, V2, { onStep: (s) => { if (s === step) throw new Error(`injected at ${s}`); } })).toThrow(`injected at ${step}`);
      expect(tree(out), step).toEqual(before);
    }
  });

  it('a real rename failure half-way (a folder appears at a generated name) is BNNC_E042 and is rolled back', () => {
    const out = join(cwd, 'out');
    write(out, V1);
    const before = tree(out);
    const e = compileError(() => write(out, V2, {
      onStep: (s) => { if (s === 'place extra.yml') { mkdirSync(join(out, 'extra.yml')); writeFileSync(join(out, 'extra.yml', 'f'), 'user'); } },
    }));
    expect(e.code).toBe('BNNC_E042');
    expect(e.message).toContain(join(out, 'extra.yml'));
    expect(tree(out)).toEqual({ ...before, 'extra.yml': 'dir', 'extra.yml/f': 'user' });
  });

  it('when undoing fails too (a folder put where a restored file goes), BNNC_E042 says where the previous versions are, and keeps them', () => {
    const out = join(cwd, 'out');
    write(out, V1);
    const e = compileError(() => write(out, V2, {
      onStep: (s) => {
        if (s !== 'place m.h') return;
        rmSync(join(out, 'm.c'));
        mkdirSync(join(out, 'm.c'));
        writeFileSync(join(out, 'm.c', 'f'), 'user');
        throw new Error('injected');
      },
    }));
    expect(e.code).toBe('BNNC_E042');
    const at = /previous versions are in '([^']+)'/.exec(e.message)![1];
    expect(e.message).toContain('injected; then restoring the previous m.c failed too');
    expect(readFileSync(join(at, 'm.c'), 'utf8')).toBe(V1.get('m.c'));
    expect(tree(out)['m.c/f']).toBe('user');
    expect(tree(out)['m.h']).toBe(V1.get('m.h'));
  });

  it('a failing run into a new folder removes the folders it made', () => {
    const out = join(cwd, 'a', 'b');
    expect(() => write(out, V1, { onStep: () => { throw new Error('injected'); } })).toThrow('injected');
    expect(existsSync(join(cwd, 'a'))).toBe(false);
  });
});

describe('interrupted and concurrent runs', () => {
  /** A pid that is surely dead: a child that has exited. */
  function deadPid(): number {
    const r = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' });
    return Number(r.stdout);
  }

  it('a run killed at any step leaves a state the next run recognises, cleans up and completes without --force', () => {
    const probe = join(cwd, 'probe');
    write(probe, V1);
    const seen: string[] = [];
    write(probe, V2, { onStep: (s) => seen.push(s) });
    const host = hostname();
    for (const step of seen) {
      const out = join(cwd, `killed-${step.replace(/\W/g, '_')}`), frozen = `${out}-frozen`;
      write(out, V1);
      // what a kill at this step leaves: a copy of the folder taken at that moment (lock and staging included)
      expect(() => write(out, V2, { onStep: (s) => { if (s === step) { cpSync(out, frozen, { recursive: true }); throw new Error('killed'); } } })).toThrow('killed');
      writeFileSync(join(frozen, '.bnnc-lock'), `${deadPid()} ${host} 00ff\n`);
      expect(readdirSync(frozen).some((f) => f.startsWith('.bnnc-tmp-'))).toBe(true);
      write(frozen, V1);
      expect(tree(frozen), step).toEqual(tree(out));
      expect(readdirSync(frozen).filter((f) => f.startsWith('.bnnc-')), step).toEqual([MARKER]);
    }
  });

  it('a live lock stops the run with BNNC_E043 naming the pid; a garbled one too; a dead pid\'s lock is taken over', () => {
    const out = join(cwd, 'out');
    write(out, V1);
    const before = tree(out);
    const host = hostname();
    writeFileSync(join(out, '.bnnc-lock'), `${process.ppid} ${host} 0123abcd\n`);
    expectError(() => write(out, V2), 'BNNC_E043', `another bnnc is writing here (pid ${process.ppid})`, '.bnnc-lock');
    expect(tree(out)).toEqual({ ...before, '.bnnc-lock': `${process.ppid} ${host} 0123abcd\n` });
    writeFileSync(join(out, '.bnnc-lock'), '');
    expectError(() => write(out, V2), 'BNNC_E043', 'pid unknown', 'if no bnnc is running, delete');
    writeFileSync(join(out, '.bnnc-lock'), `${deadPid()} ${host} 0123abcd\n`);
    write(out, V2);
    expect(withoutMarker(tree(out))).toEqual(Object.fromEntries(V2));
    // our own pid: a leftover of an earlier process that had it (writeOutputDir never runs twice at once)
    writeFileSync(join(out, '.bnnc-lock'), `${process.pid} ${host} 0123abcd\n`);
    write(out, V1);
    expect(tree(out)).toEqual(before);
  });
});

describe('two real processes', () => {
  // A second process runs writeOutputDir from the sources (through Vite's SSR loader, which vitest brings):
  // it can hold the lock while this process tries to write, or be killed with SIGKILL half-way.
  const vite = (() => { try { return createRequire(join(REPO, 'package.json')).resolve('vite'); } catch { return undefined; } })();
  const CHILD = join(ROOT, 'child.mjs');
  writeFileSync(CHILD, `
    const [vite, repo, args] = process.argv.slice(2);
    const a = JSON.parse(args);
    const { createServer } = await import(vite);
    const server = await createServer({ root: repo, configFile: false, appType: 'custom', logLevel: 'silent',
      server: { middlewareMode: true, hmr: false, watch: null }, optimizeDeps: { noDiscovery: true, include: [] } });
    const { writeOutputDir } = await server.ssrLoadModule('/src/output.ts');
    const fs = await import('node:fs');
    const nap = new Int32Array(new SharedArrayBuffer(4));
    try {
      writeOutputDir(a.out, new Map(a.files), { stamp: 'bnnc child', cwd: a.cwd, home: a.home, onStep: (s) => {
        if (s !== a.step) return;
        if (a.mode === 'die') process.kill(process.pid, 'SIGKILL');
        fs.writeFileSync(a.ready, String(process.pid));
        for (let i = 0; i < 12000 && !fs.existsSync(a.go); i++) Atomics.wait(nap, 0, 0, 10);
      } });
    } catch (e) {
      process.stdout.write(e.message);
      process.exitCode = 2;
    }
    await server.close();
  `);
  const args = (out: string, mode: string, step: string) => [CHILD, vite!, REPO, JSON.stringify({ out, cwd, home, mode, step, files: [...V2], ready: join(cwd, 'ready'), go: join(cwd, 'go') })];

  it.runIf(available('vite (to run the sources in a second process)', vite !== undefined))('while one writes, a second gets BNNC_E043 naming its pid; the first completes', async () => {
    const out = join(cwd, 'out');
    write(out, V1);
    const child = spawn(process.execPath, args(out, 'hold', 'place m.c'), { stdio: 'inherit' });
    const exited = new Promise<number | null>((res) => child.on('exit', (code) => res(code)));
    for (let i = 0; i < 3000 && !existsSync(join(cwd, 'ready')); i++) await new Promise((r) => setTimeout(r, 20));
    expect(readFileSync(join(cwd, 'ready'), 'utf8')).toBe(String(child.pid));
    expectError(() => write(out, V1), 'BNNC_E043', `another bnnc is writing here (pid ${child.pid})`);
    expectError(() => write(out, V1, { force: true }), 'BNNC_E043');
    writeFileSync(join(cwd, 'go'), '');
    expect(await exited).toBe(0);
    expect(withoutMarker(tree(out))).toEqual(Object.fromEntries(V2));
  });

  // the child runs bnnc from this checkout as nobody: every folder above the checkout must let others in
  // (a clone inside a 0700 folder, such as one from mktemp -d, cannot run as nobody at all)
  const othersReach = (d: string): boolean => { for (; d !== dirname(d); d = dirname(d)) if ((statSync(d).mode & 0o001) === 0) return false; return true; };
  const asNobody = process.getuid?.() === 0 && othersReach(REPO);
  if (process.getuid?.() === 0 && !asNobody) console.warn(`output-safety: the EACCES test is skipped: a folder above ${REPO} does not let other users in, so bnnc cannot run as nobody there`);
  it.runIf(vite !== undefined && asNobody)('a folder this user may not write (run as nobody): BNNC_E042 permission denied (EACCES)', () => {
    const out = join(cwd, 'out');
    write(out, V1);
    const before = tree(out);
    for (let d = out; d.startsWith(ROOT); d = dirname(d)) chmodSync(d, 0o755); // mkdtemp made ROOT 0700
    const r = spawnSync(process.execPath, args(out, 'run', ''), { uid: 65534, gid: 65534, encoding: 'utf8' });
    expect(r.status, r.stderr).toBe(2);
    expect(r.stdout).toBe(`BNNC_E042: cannot write the output folder: cannot create the lock file '${join(out, '.bnnc-lock')}': permission denied (EACCES)`);
    expect(tree(out)).toEqual(before);
  });

  it.runIf(vite !== undefined)('a writer killed half-way (SIGKILL) leaves a lock and a staging folder that the next run takes over and removes', () => {
    const out = join(cwd, 'out');
    write(out, V1);
    const r = spawnSync(process.execPath, args(out, 'die', 'place m.h'), { stdio: 'inherit' });
    expect(r.signal).toBe('SIGKILL');
    const left = readdirSync(out);
    expect(left).toContain('.bnnc-lock');
    expect(left.some((f) => f.startsWith('.bnnc-tmp-'))).toBe(true);
    expect(readFileSync(join(out, 'm.c'), 'utf8')).toBe(V2.get('m.c'));
    expect(readFileSync(join(out, 'm.h'), 'utf8')).toBe(V1.get('m.h'));
    write(out, V1);
    expect(tree(out)).toEqual({ [MARKER]: readFileSync(join(out, MARKER), 'utf8'), ...Object.fromEntries(V1) });
  });
});

describe('the command line', () => {
  async function cli(...args: string[]): Promise<{ code: number; err: string }> {
    let err = '';
    const code = await main(['node', 'bnnc', ...args], { out: () => {}, err: (s) => { err += s; } });
    return { code, err };
  }

  /** Runs `f` with HOME and the working folder set to this case's throwaway ones. */
  async function inBox<T>(f: () => Promise<T>): Promise<T> {
    const [oldHome, oldCwd] = [process.env.HOME, process.cwd()];
    process.env.HOME = home;
    process.chdir(cwd);
    try {
      return await f();
    } finally {
      process.env.HOME = oldHome;
      process.chdir(oldCwd);
    }
  }

  function realModel(): void {
    writeFileSync(model, buildModel({
      inputs: [{ name: 'x', dtype: 'float32', shape: [1, 4] }],
      outputs: [{ name: 'y', dtype: 'float32' }],
      initializers: { two: tensor('float32', [], [2]), one: tensor('float32', [], [1]), W: tensor('float32', [3, 4], [1, -1, 1, 1, -1, -1, 1, -1, 1, 1, 1, 1]) },
      nodes: [
        { op: 'Mul', inputs: ['x', 'two'], outputs: ['x2'] },
        { op: 'Sub', inputs: ['x2', 'one'], outputs: ['xc'] },
        { op: 'Sign', inputs: ['xc'], outputs: ['s'] },
        { op: 'Gemm', inputs: ['s', 'W'], outputs: ['y'], attrs: { transB: 1 } },
      ],
    }));
  }

  it('-o ~, ., .., the model\'s folder with --force: exit 2 with BNNC_E040, nothing touched', async () => {
    realModel();
    const before = tree(home);
    for (const o of [home, '.', '..', 'models', '/']) {
      const r = await inBox(() => cli('models/m.onnx', '-t', 'host', '--input-scale', '1/255', '-o', o, '--force'));
      expect(r.code, o).toBe(2);
      expect(r.err, o).toMatch(/BNNC_E040/);
    }
    expect(tree(home)).toEqual(before);
  });

  it('filesystem failures, /proc and a busy folder are exit 2 with a code, never 70 with a stack trace', async () => {
    realModel();
    const host = hostname();
    mkdirSync(join(cwd, 'busy'));
    writeFileSync(join(cwd, 'busy', '.bnnc-lock'), `${process.ppid} ${host} 0123abcd\n`);
    const cases: [string, RegExp][] = [
      ['x'.repeat(300), /BNNC_E042.*name too long \(ENAMETOOLONG\)/],
      ['/proc/self/x/y', /BNNC_E044.*proc filesystem/],
      ['busy', new RegExp(`BNNC_E043.*another bnnc is writing here \\(pid ${process.ppid}\\)`)],
      ['models/m.onnx', /BNNC_E044.*not a folder/],
    ];
    for (const [o, msg] of cases) {
      const r = await inBox(() => cli('models/m.onnx', '-t', 'host', '--input-scale', '1/255', '-o', o));
      expect(r.code, o).toBe(2);
      expect(r.err, o).toMatch(msg);
      expect(r.err, o).not.toMatch(/\n\s+at /);
    }
    const ok = await inBox(() => cli('models/m.onnx', '-t', 'host', '--input-scale', '1/255', '-o', 'out'));
    expect(ok.code).toBe(0);
    expect(readdirSync(join(cwd, 'out'))).toContain('m.c'); // the prefix from the file name
  });
});
