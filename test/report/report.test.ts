// `bnnc report`: the page of a small model built here (with hostile node and tensor names) and of the
// example MLP: every layer row, the figures against the C model's own totals and the generated C, names
// escaped, nothing fetched from outside; the file written under bnnc's output rules; and the page rendered
// by headless Chromium, whose DOM holds one bar per C layer in every chart, and whose screenshot is a PNG.
import { execFileSync } from 'node:child_process';
import { existsSync, lstatSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, readlinkSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { emitC } from '../../src/backend/emit.js';
import { loadTarget, type Target } from '../../src/backend/target.js';
import { bench } from '../../src/bench/bench.js';
import { main } from '../../src/cli.js';
import { loadModel, lowerModel, parseInputQuant } from '../../src/compile.js';
import { CompileError } from '../../src/errors.js';
import { tensor } from '../../src/ir/tensor.js';
import { reportFigures } from '../../src/report/analyze.js';
import { buildReport } from '../../src/report/report.js';
import { isOwnReport, writeReportFile } from '../../src/report/write.js';
import { buildModel, rng } from '../helpers/onnx-build.js';
import { hasTool, ROOT } from '../helpers/resources.js';

const dir = mkdtempSync(join(tmpdir(), 'bnnc-report-'));
const MLP = `${ROOT}examples/mlp/mlp.onnx`;

// hostile names: markup, attribute breakers, entities, a URL, a character outside the BMP
const EVIL = {
  conv: '<script>alert("gemm")</script>',
  bn: '"><img src=x onerror=alert(1)>',
  sign: "a&b'c <b>bold</b> \u{1F600}",
  out: '</title><svg onload=alert(2)>http://evil.example/x.js',
};

// x = q/255 → 2x − 1 → Sign → Gemm(±1) → BN → Sign → Gemm(±1) → scores
const r = rng(11);
const pm1 = (n: number) => Array.from({ length: n }, () => (r() < 0.5 ? -1 : 1));
const smallPath = join(dir, 'small.onnx');
writeFileSync(smallPath, buildModel({
  inputs: [{ name: 'x', dtype: 'float32', shape: [1, 40] }],
  outputs: [{ name: EVIL.out, dtype: 'float32' }],
  initializers: {
    two: tensor('float32', [], [2]), one: tensor('float32', [], [1]),
    W1: tensor('float32', [36, 40], pm1(36 * 40)), W2: tensor('float32', [5, 36], pm1(5 * 36)),
    g: tensor('float32', [36], Array.from({ length: 36 }, () => r() * 2 - 1)), b: tensor('float32', [36], Array.from({ length: 36 }, () => r() - 0.5)),
    m: tensor('float32', [36], Array.from({ length: 36 }, () => r() * 4 - 2)), v: tensor('float32', [36], Array.from({ length: 36 }, () => r() + 0.5)),
  },
  nodes: [
    { op: 'Mul', inputs: ['x', 'two'], outputs: ['x2'] },
    { op: 'Sub', inputs: ['x2', 'one'], outputs: ['xc'] },
    { op: 'Sign', inputs: ['xc'], outputs: ['s0'], name: 'sign0' },
    { op: 'Gemm', inputs: ['s0', 'W1'], outputs: ['h'], attrs: { transB: 1 }, name: EVIL.conv },
    { op: 'BatchNormalization', inputs: ['h', 'g', 'b', 'm', 'v'], outputs: ['hb'], name: EVIL.bn },
    { op: 'Sign', inputs: ['hb'], outputs: ['s1'], name: EVIL.sign },
    { op: 'Gemm', inputs: ['s1', 'W2'], outputs: [EVIL.out], attrs: { transB: 1 }, name: 'last' },
  ],
}));

const Q = parseInputQuant('1/255', undefined, undefined);
function lowered(path: string) {
  const float = loadModel(path);
  return { float, lowered: lowerModel(float, { inputQuant: Q }) };
}

/** Layer functions the generated C defines: static [BNNC_KERNEL] void <prefix>_l<i>_… (an independent count of the layers). */
function cLayerCount(low: ReturnType<typeof lowered>['lowered'], target: string): number {
  const c = emitC(low, loadTarget(target)).get('bnn_model.c')!;
  return new Set([...c.matchAll(/^static\b[^(\n]*\b(bnn_model_l\d+_\w+)\(/gm)].map((m) => m[1])).size;
}

/** The rows of the table following the heading with this id (between <tbody> and </tbody>). */
function tableRows(html: string, id: string): string[] {
  const at = html.indexOf(`<h2 id="${id}">`);
  const body = html.slice(html.indexOf('<tbody>', at), html.indexOf('</tbody>', at));
  return body.split('<tr').slice(1);
}

/** The bars of each chart: <g class="bar"> inside <svg data-chart="…">…</svg>. */
function bars(dom: string): Record<string, number> {
  const out: Record<string, number> = {};
  for (const m of dom.matchAll(/<svg[^>]*data-chart="([a-z]+)"[^>]*>([\s\S]*?)<\/svg>/g)) out[m[1]] = (m[2].match(/<g class="bar">/g) ?? []).length;
  return out;
}

function expectSelfContained(html: string): void {
  expect(html).not.toMatch(/https?:|\/\/[a-z]|src\s*=|url\(|@import|<link|<script|<img|<iframe|<object|<embed/i);
  for (const m of html.matchAll(/href="([^"]*)"/g)) expect(m[1]).toMatch(/^#/);
  expect(html).toContain("Content-Security-Policy\" content=\"default-src 'none'");
}

describe('report figures', () => {
  it.each([['small', smallPath], ['mlp', MLP]])('%s: constants per layer add up to the C model\'s, live arena peaks at its lower bound', (_n, path) => {
    const m = lowered(path);
    for (const t of ['cortex-m4', 'cortex-m0plus', 'esp32c3']) {
      const f = reportFigures({ ...m, target: loadTarget(t), kernels: 'optimized' });
      expect(f.notes).toEqual([]);
      expect(f.unclaimedConsts).toEqual([]);
      expect(f.layers.reduce((s, l) => s + l.constBytes, 0)).toBe(f.model.constBytes);
      expect(f.liveMax).toBe(f.model.arenaLowerBound);
      expect(f.layers.length).toBe(cLayerCount(m.lowered, t));
      // every lowered node is computed by a layer, or is a view with no code
      for (const rows of f.lowering) for (const l of rows) if (l.layer === undefined) expect(l.op).not.toMatch(/^bnnc\./);
    }
  });

  it('the small model: each float node lowered as expected', () => {
    const f = reportFigures({ ...lowered(smallPath), target: loadTarget('cortex-m4'), kernels: 'optimized' });
    const by = new Map(f.inspect.nodes.map((n, i) => [n.name, f.lowering[i]]));
    expect(by.get(EVIL.conv)!.map((l) => l.op)).toEqual(['bnnc.XnorConv']);
    expect(by.get(EVIL.sign)!.map((l) => l.op)).toEqual(['bnnc.Threshold']);
    expect(by.get(EVIL.bn)).toEqual([]); // folded into the thresholds
    // the conv and its threshold are one C function (fused)
    expect(by.get(EVIL.conv)![0].layer).toBe(by.get(EVIL.sign)![0].layer);
  });

  const armTools = ['gcc', 'arm-none-eabi-gcc', 'qemu-system-arm'];
  it.skipIf(!armTools.every(hasTool))('the MLP on cortex-m4: per-layer constants equal bench\'s own accounts, instructions are bench\'s', () => {
    const m = lowered(MLP);
    const t = loadTarget('cortex-m4');
    const b = bench(m.lowered, t, { kernels: 'optimized', estimate: false });
    expect(b.ran).toBe(true);
    const f = reportFigures({ ...m, target: t, kernels: 'optimized', bench: b });
    expect(f.layers.map((l) => l.constBytes)).toEqual(b.layers.map((l) => l.weightBytes + l.thresholdBytes + l.otherConstBytes));
    expect(f.layers.map((l) => l.instructions)).toEqual(b.layers.map((l) => l.instructions));
    expect(f.layers.every((l) => (l.instructions ?? 0) > 0)).toBe(true);
  });
});

/** A C target without an emulator: the ESP32 as it was before its builds ran under QEMU. */
const noEmulator = (): Target => ({ ...loadTarget('esp32'), runner: 'none', emulator: null });

describe('report page', () => {
  const small = lowered(smallPath);
  const html = buildReport({ model: smallPath, version: 'test', ...small, target: noEmulator(), inputQuant: Q, samples: { random: '30', seed: '3' } });
  const f = reportFigures({ ...small, target: noEmulator(), kernels: 'optimized' });

  it('a row per node and per C layer, with the lowering, the figures and the check section', () => {
    const rows = tableRows(html, 'nodes');
    expect(rows.length).toBe(f.inspect.nodes.length);
    expect(tableRows(html, 'layers').length).toBe(f.layers.length);
    f.layers.forEach((l, i) => expect(tableRows(html, 'layers')[i]).toContain(l.fn));
    expect(html).toContain('bnnc.XnorConv');
    expect(html).toContain('esp32 (Xtensa LX6) has no emulator here');
    expect(bars(html)).toEqual({ flash: f.layers.length, ram: f.layers.length });
    expect(html).toContain('<h2 id="check">');
    expect(html).toContain('30 random inputs, seed 3');
  });

  it('escapes every name from the model and refers to nothing outside the page', () => {
    for (const s of Object.values(EVIL)) expect(html).not.toContain(s);
    expect(html).toContain('&lt;script&gt;alert(&quot;gemm&quot;)&lt;/script&gt;');
    expect(html).toContain('&quot;&gt;&lt;img src&#x3D;x onerror&#x3D;alert(1)&gt;');
    expect(html).toContain('a&amp;b&#x27;c &lt;b&gt;bold&lt;/b&gt; \u{1F600}');
    expectSelfContained(html.replace(/http:\/\/evil\.example/g, ''));
    expect(html.match(/http:/g)?.length).toBe((html.match(/http:\/\/evil\.example/g) ?? []).length);
  });

  it('a bench that cannot run (a missing cross compiler) leaves a note on the page and a line on stderr', () => {
    const t = loadTarget('cortex-m4');
    const broken = { ...t, compiler: { ...t.compiler, cc: 'bnnc-test-no-such-cc' } };
    const warned: string[] = [];
    const page = buildReport({ model: smallPath, version: 'test', ...small, target: broken, inputQuant: Q, warn: (l) => warned.push(l) });
    expect(warned.join('')).toContain("'bnnc-test-no-such-cc' is not installed");
    expect(page).toContain('instructions were not counted: bnnc bench could not run on cortex-m4');
    expect(bars(page)).toEqual({ flash: f.layers.length, ram: f.layers.length });
  });

  it('marks itself: an edit is noticed', () => {
    expect(isOwnReport(html)).toBe(true);
    expect(isOwnReport(html.replace('bnnc.XnorConv', 'bnnc.XnorConw'))).toBe(false);
    expect(isOwnReport('<!DOCTYPE html>\n<html></html>\n')).toBe(false);
  });
});

describe('report file', () => {
  const page = buildReport({ model: smallPath, version: 'test', ...lowered(smallPath), target: loadTarget('esp32'), inputQuant: Q, bench: false });
  const code = (f: () => unknown) => {
    try {
      f();
    } catch (e) {
      if (e instanceof CompileError) return e.code;
      throw e;
    }
    return 'ok';
  };

  it('writes, replaces its own page, refuses another file unless --force, never the model', () => {
    const d = mkdtempSync(join(dir, 'w-'));
    const out = join(d, 'sub', 'r.html');
    expect(code(() => writeReportFile(out, page))).toBe('ok');
    expect(readFileSync(out, 'utf8')).toBe(page);
    expect(code(() => writeReportFile(out, page))).toBe('ok');
    writeFileSync(out, `${page}<!-- edited -->`);
    expect(code(() => writeReportFile(out, page))).toBe('BNNC_E098');
    expect(readFileSync(out, 'utf8')).toBe(`${page}<!-- edited -->`);
    expect(code(() => writeReportFile(out, page, { force: true }))).toBe('ok');
    const mine = join(d, 'notes.html');
    writeFileSync(mine, '<p>mine</p>');
    expect(code(() => writeReportFile(mine, page))).toBe('BNNC_E098');
    expect(readFileSync(mine, 'utf8')).toBe('<p>mine</p>');
    const model = join(d, 'm.onnx');
    writeFileSync(model, 'model');
    expect(code(() => writeReportFile(model, page, { force: true, model }))).toBe('BNNC_E098');
    expect(readFileSync(model, 'utf8')).toBe('model');
    // no temporary file left behind
    expect(readdirSync(join(d, 'sub'))).toEqual(['r.html']);
  });

  it('refuses folders, FIFOs, dangling symlinks and .git; follows a symlink to its page', () => {
    const d = mkdtempSync(join(dir, 'p-'));
    mkdirSync(join(d, 'folder'));
    expect(code(() => writeReportFile(join(d, 'folder'), page, { force: true }))).toBe('BNNC_E099');
    expect(code(() => writeReportFile(`${d}/`, page))).toBe('BNNC_E099');
    symlinkSync(join(d, 'nowhere.html'), join(d, 'dangling.html'));
    expect(code(() => writeReportFile(join(d, 'dangling.html'), page))).toBe('BNNC_E099');
    expect(existsSync(join(d, 'nowhere.html'))).toBe(false);
    mkdirSync(join(d, '.git'));
    expect(code(() => writeReportFile(join(d, '.git', 'r.html'), page))).toBe('BNNC_E099');
    writeFileSync(join(d, 'file'), 'x');
    expect(code(() => writeReportFile(join(d, 'file', 'r.html'), page))).toBe('BNNC_E044');
    writeReportFile(join(d, 'real.html'), page);
    symlinkSync('real.html', join(d, 'link.html'));
    expect(code(() => writeReportFile(join(d, 'link.html'), page))).toBe('ok');
    expect(lstatSync(join(d, 'link.html')).isSymbolicLink()).toBe(true);
    expect(readlinkSync(join(d, 'link.html'))).toBe('real.html');
    if (hasTool('mkfifo')) {
      execFileSync('mkfifo', [join(d, 'pipe.html')]);
      expect(code(() => writeReportFile(join(d, 'pipe.html'), page, { force: true }))).toBe('BNNC_E099');
    }
  });

  it('the command: exit 0 and a page, exit 2 with BNNC_E098 on a file bnnc did not write', async () => {
    const d = mkdtempSync(join(dir, 'c-'));
    const run = async (...args: string[]) => {
      let out = '', err = '';
      const c = await main(['node', 'bnnc', 'report', smallPath, '--target', 'esp32c3', '--input-scale', '1/255', '--no-bench', ...args], { out: (s) => { out += s; }, err: (s) => { err += s; } });
      return { c, out, err };
    };
    const a = await run('-o', join(d, 'r.html'));
    expect(a).toMatchObject({ c: 0, err: '' });
    expect(a.out).toContain('wrote');
    expect(readFileSync(join(d, 'r.html'), 'utf8')).toContain('instructions were not counted: --no-bench');
    writeFileSync(join(d, 'other.html'), 'x');
    const b = await run('-o', join(d, 'other.html'));
    expect(b.c).toBe(2);
    expect(b.err).toContain('BNNC_E098');
    const t = await run('-o', join(d, 'ts.html'), '--target', 'ts');
    expect(t.c).toBe(2);
    expect(t.err).toContain('BNNC_E019');
  });
});

/** A .npy file of uint8 values (NumPy's format description, NEP 1). */
function npyU8(path: string, shape: number[], values: number[]): void {
  let header = `{'descr': '|u1', 'fortran_order': False, 'shape': (${shape.join(', ')}${shape.length === 1 ? ',' : ''}), }`;
  header += ' '.repeat(63 - ((10 + header.length) % 64)) + '\n';
  const h = Buffer.from(header, 'latin1');
  writeFileSync(path, Buffer.concat([Buffer.from([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, 1, 0, h.length & 0xff, h.length >> 8]), h, Buffer.from(values)]));
}

describe('report with --data and --labels', () => {
  it('shows the figures bnnc check reports for the same options', async () => {
    const d = mkdtempSync(join(dir, 'd-'));
    const rr = rng(5);
    npyU8(join(d, 'x.npy'), [25, 40], Array.from({ length: 25 * 40 }, () => Math.floor(rr() * 256)));
    npyU8(join(d, 'y.npy'), [25], Array.from({ length: 25 }, () => Math.floor(rr() * 5)));
    const flags = ['--input-scale', '1/255', '--data', join(d, 'x.npy'), '--labels', join(d, 'y.npy'), '--limit', '20'];
    let out = '';
    const io = { out: (t: string) => { out += t; }, err: () => {} };
    expect(await main(['node', 'bnnc', 'check', smallPath, ...flags, '--json'], io)).toBe(0);
    const c = JSON.parse(out) as { samples: number; agreement: number; float_accuracy: number; lowered_accuracy: number; layers: { node: string; bits: number }[] };
    expect(await main(['node', 'bnnc', 'report', smallPath, '--target', 'cortex-m7', '--no-bench', '-o', join(d, 'r.html'), ...flags], io)).toBe(0);
    const page = readFileSync(join(d, 'r.html'), 'utf8');
    const sec = page.slice(page.indexOf('<h2 id="check">'));
    const pc = (x: number) => `${(100 * x).toFixed(2)} %`;
    expect(c.samples).toBe(20);
    expect(sec).toContain(`<dt>samples</dt><dd>20 (${join(d, 'x.npy')}, labels ${join(d, 'y.npy')})</dd>`);
    expect(sec).toContain(`<dt>top-1 agreement</dt><dd>${pc(c.agreement)}</dd>`);
    expect(sec).toContain(`<dt>accuracy, float</dt><dd>${pc(c.float_accuracy)}</dd>`);
    expect(sec).toContain(`<dt>accuracy, lowered</dt><dd>${pc(c.lowered_accuracy)}</dd>`);
    expect(tableRows(page, 'check').length).toBe(c.layers.length);
  });
});

describe('report in headless Chromium', () => {
  const ok = hasTool('chromium');
  const chromium = (args: string[]): string => {
    const profile = mkdtempSync(join(tmpdir(), 'bnnc-chromium-'));
    try {
      return execFileSync('chromium', ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--no-first-run',
        `--user-data-dir=${profile}`, ...args], { encoding: 'utf8', timeout: 900_000, maxBuffer: 64 << 20, stdio: ['ignore', 'pipe', 'pipe'] });
    } finally {
      rmSync(profile, { recursive: true, force: true });
    }
  };
  const armTools = ['gcc', 'arm-none-eabi-gcc', 'qemu-system-arm'];

  it.skipIf(!ok)('the MLP renders: one bar per C layer in each chart, no element from a model name, a screenshot', () => {
    const withBench = armTools.every(hasTool);
    const target = withBench ? 'cortex-m4' : 'esp32';
    const t = withBench ? loadTarget(target) : noEmulator();
    const m = lowered(MLP);
    const page = join(dir, 'mlp.html');
    writeReportFile(page, buildReport({ model: 'examples/mlp/mlp.onnx', version: 'test', ...m, target: t, inputQuant: Q, samples: { random: '10' } }));
    const dom = chromium(['--dump-dom', `file://${page}`]);
    const n = cLayerCount(m.lowered, target);
    expect(dom).toContain('</html>');
    expect(bars(dom)).toEqual(withBench ? { flash: n, ram: n, instructions: n } : { flash: n, ram: n });
    const png = join(dir, 'mlp.png');
    chromium([`--screenshot=${png}`, '--window-size=1200,2000', `file://${page}`]);
    const b = readFileSync(png);
    expect(b.subarray(0, 8)).toEqual(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]));
    expect([b.readUInt32BE(16), b.readUInt32BE(20)]).toEqual([1200, 2000]);
    console.log(`screenshot: ${png} (${b.length} B)`);
  });

  it.skipIf(!ok)('the hostile names stay text in the DOM', () => {
    const page = join(dir, 'small.html');
    const s = lowered(smallPath);
    writeReportFile(page, buildReport({ model: smallPath, version: 'test', ...s, target: loadTarget('cortex-m0plus'), inputQuant: Q, bench: false }));
    const dom = chromium(['--dump-dom', `file://${page}`]);
    expect(dom).not.toMatch(/<script|<img|<svg onload|<b>/);
    expect(dom).toContain('&lt;script&gt;alert("gemm")&lt;/script&gt;');
    expect(dom).toContain('"&gt;&lt;img src=x onerror=alert(1)&gt;');
    const n = cLayerCount(s.lowered, 'cortex-m0plus');
    expect(bars(dom)).toEqual({ flash: n, ram: n });
  });
});
