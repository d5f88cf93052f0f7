// What the generated API is called and what it names (issue #14): the default prefix from the model's file name,
// two models compiled with their default prefixes linked into one program (with both timing markers) and both
// run; class names from `--labels` or the model's metadata_props as exporters write them (`<prefix>_labels[]`,
// a wrong count is BNNC_E150 naming both counts); and the byte counts (constants, arena, stack) that the header,
// the README, verify, the fit check and the report state, all equal.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { main } from '../../src/cli.js';
import { loadTarget } from '../../src/backend/index.js';
import { measureFootprint } from '../../src/backend/footprint.js';
import { labelsFromMetadata, parseLabelsText } from '../../src/backend/labels.js';
import { build, defaultPrefix, loadModel, lowerModel } from '../../src/compile.js';
import { decodeModel, encodeModel } from '../../src/onnx/proto.js';
import { modelMetadata } from '../../src/onnx/metadata.js';
import { verify } from '../../src/library.js';
import { buildReport } from '../../src/report/report.js';
import { hasTool, ROOT } from '../helpers/resources.js';

const HAVE_GCC = hasTool('gcc');
const HAVE_ARM_GCC = hasTool('arm-none-eabi-gcc');
const MLP = `${ROOT}examples/mlp/mlp.onnx`;
const CNN = `${ROOT}examples/cnn/cnn.onnx`;
const FASHION = ['T-shirt/top', 'Trouser', 'Pullover', 'Dress', 'Coat', 'Sandal', 'Shirt', 'Sneaker', 'Bag', 'Ankle boot'];

const work = mkdtempSync(join(tmpdir(), 'bnnc-names-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

async function cli(...args: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '', err = '';
  const code = await main(['node', 'bnnc', ...args], { out: (s) => { out += s; }, err: (s) => { err += s; } });
  return { code, out, err };
}

/** mlp.onnx with metadata_props added (through the protobuf encoder, not bnnc's own reader). */
function withMetadata(props: Record<string, string>, name: string): string {
  const m = decodeModel(new Uint8Array(readFileSync(MLP)));
  m.metadataProps = [...(m.metadataProps ?? []), ...Object.entries(props).map(([key, value]) => ({ key, value }))];
  const path = join(work, name);
  writeFileSync(path, encodeModel(m));
  return path;
}

describe('the default prefix', () => {
  it('is the file name as a C identifier (documented rule); --prefix wins', () => {
    expect(defaultPrefix('models/KWS-v2.onnx')).toBe('kws_v2');
    expect(defaultPrefix('/x/mlp.onnx')).toBe('mlp');
    expect(defaultPrefix('tfc_w1a1.qonnx.onnx')).toBe('tfc_w1a1_qonnx');
    expect(defaultPrefix('3x3 net.ONNX')).toBe('m_3x3_net');
    expect(defaultPrefix('--.onnx')).toBe('bnn_model');
    expect(defaultPrefix('ünïcode-name.onnx')).toBe('n_code_name');
    expect(defaultPrefix(`${'a'.repeat(39)}-b.onnx`)).toBe('a'.repeat(39));
    for (const p of ['models/KWS-v2.onnx', '3x3 net.ONNX', `${'a'.repeat(60)}.onnx`]) expect(defaultPrefix(p)).toMatch(/^[A-Za-z_][A-Za-z0-9_]{0,40}$/);
  });

  it.skipIf(!HAVE_GCC)('two models compiled with their default prefixes link into one program, timing markers included, and both run', async () => {
    for (const m of [MLP, CNN]) {
      const r = await cli(m, '--target', 'host', '--input-scale', '1/255', '--package', 'cmake', '-o', join(work, 'two', defaultPrefix(m)));
      expect(r.code, r.err).toBe(0);
    }
    const dir = join(work, 'two');
    writeFileSync(join(dir, 'main.c'), [
      '#include <stdio.h>', '#define BNNC_TIMING_DEFINE_MARK', '#include "mlp_timing.h"', '#include "cnn_timing.h"',
      '#include "mlp.h"', '#include "cnn.h"', '#include "test_image.h"',
      'static float a[MLP_OUTPUT_COUNT], b[CNN_OUTPUT_COUNT];',
      'int main(void) {',
      '    mlp_timing_start(); cnn_timing_start();',
      '    if (mlp_run(test_image, a) != MLP_OK || cnn_run(test_image, b) != CNN_OK) return 2;',
      '    printf("%d %d\\n", (int)mlp_argmax(a), (int)cnn_argmax(b));', '    return 0;', '}', ''].join('\n'));
    const host = loadTarget('host');
    for (const bench of [[], ['-DBNNC_BENCH']]) {
      execFileSync('gcc', [...host.compiler.flags, ...host.compiler.warnFlags, '-Werror', ...bench, '-I', 'mlp', '-I', 'cnn', '-I', `${ROOT}examples/firmware`,
        'mlp/mlp.c', 'cnn/cnn.c', 'main.c', '-o', 'prog'], { cwd: dir, stdio: 'pipe' });
      // image 0 of the Fashion-MNIST test set is an ankle boot (9); both examples classify it so
      expect(execFileSync('./prog', { cwd: dir, encoding: 'utf8' })).toBe('9 9\n');
    }
  }, 600_000);
});

describe('class names', () => {
  it('from metadata_props as exporters write them: a JSON list, a JSON object, a Python dict repr, one a line', () => {
    const names = ['a', "it's", 'c "d"'];
    const cases: Record<string, string>[] = [
      { labels: JSON.stringify(names) },
      { class_names: JSON.stringify({ 0: 'a', 1: "it's", 2: 'c "d"' }) },
      { names: "{0: 'a', 1: \"it's\", 2: 'c \"d\"'}" }, // Ultralytics writes str(dict)
      { classes: 'a\nit\'s\nc "d"\n' },
    ];
    for (const c of cases) expect(labelsFromMetadata(new Map(Object.entries(c)))?.names).toEqual(names);
    expect(labelsFromMetadata(new Map([['author', 'x']]))).toBeUndefined();
    expect(() => labelsFromMetadata(new Map([['names', "{1: 'a', 0: 'b'}"]]))).toThrow(/BNNC_E152.*indices are 1, 0/);
    expect(() => labelsFromMetadata(new Map([['names', '[1, 2]']]))).toThrow(/BNNC_E152.*string/);
    expect(() => labelsFromMetadata(new Map([['names', "{0: 'a'"]]))).toThrow(/BNNC_E152/);
    expect(() => parseLabelsText('a\n\nb\n', 'f')).toThrow(/BNNC_E151.*line 2 is empty/);
    expect(parseLabelsText('a\r\nb\r\n\r\n', 'f').names).toEqual(['a', 'b']);
  });

  it('bnnc reads metadata_props straight from the wire as the protobuf encoder wrote them', () => {
    const path = withMetadata({ author: 'x', names: 'y' }, 'meta-read.onnx');
    expect([...modelMetadata(new Uint8Array(readFileSync(path)))]).toEqual([['author', 'x'], ['names', 'y']]);
    expect(modelMetadata(new Uint8Array(readFileSync(MLP))).size).toBe(0);
  });

  it.skipIf(!HAVE_GCC)('embedded as <prefix>_labels[] (UTF-8 and quotes intact) from metadata_props, or from --labels, which wins', async () => {
    const names = [...FASHION];
    names[0] = 'T-shirt "top" ✓';
    const model = withMetadata({ names: `{${names.map((n, i) => `${i}: ${JSON.stringify(n)}`).join(', ')}}` }, 'fashion.onnx');
    const out = join(work, 'labels-meta');
    expect((await cli(model, '--target', 'host', '--input-scale', '1/255', '-o', out)).code).toBe(0);
    const h = readFileSync(join(out, 'fashion.h'), 'utf8');
    expect(h).toContain('#define FASHION_NUM_CLASSES 10');
    expect(h).toContain("class names (metadata_props 'names')");
    writeFileSync(join(out, 'main.c'), [
      '#include <stdio.h>', '#include "fashion.h"', '#include "test_image.h"', 'static float y[FASHION_OUTPUT_COUNT];',
      'int main(void) {', '    int i;', '    for (i = 0; i < FASHION_NUM_CLASSES; i++) printf("%s\\n", fashion_labels[i]);',
      '    if (fashion_run(test_image, y) != FASHION_OK) return 2;', '    printf("%s\\n", fashion_labels[fashion_argmax(y)]);', '    return 0;', '}', ''].join('\n'));
    const host = loadTarget('host');
    execFileSync('gcc', [...host.compiler.flags, ...host.compiler.warnFlags, '-Werror', '-I', `${ROOT}examples/firmware`, 'fashion.c', 'main.c', '-o', 'prog'], { cwd: out, stdio: 'pipe' });
    expect(execFileSync('./prog', { cwd: out, encoding: 'utf8' })).toBe([...names, 'Ankle boot', ''].join('\n'));

    // --labels wins over the metadata
    const file = join(work, 'classes.txt');
    writeFileSync(file, FASHION.map((n) => n.toUpperCase()).join('\n') + '\n');
    const out2 = join(work, 'labels-file');
    expect((await cli(model, '--target', 'host', '--input-scale', '1/255', '--labels', file, '-o', out2)).code).toBe(0);
    expect(readFileSync(join(out2, 'fashion.c'), 'utf8')).toContain('"ANKLE BOOT",');
    expect(readFileSync(join(out2, 'fashion.h'), 'utf8')).toContain('class names (--labels classes.txt)');
  }, 600_000);

  it('a wrong count stops the compile with BNNC_E150 naming both counts, and writes nothing', async () => {
    const file = join(work, 'nine.txt');
    writeFileSync(file, FASHION.slice(0, 9).join('\n'));
    const r = await cli(MLP, '--target', 'host', '--input-scale', '1/255', '--labels', file, '-o', join(work, 'nine'));
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/BNNC_E150.*--labels nine\.txt holds 9 class names, but the model's first output has 10 values/);
    expect(existsSync(join(work, 'nine'))).toBe(false);
    const missing = await cli(MLP, '--target', 'host', '--input-scale', '1/255', '--labels', join(work, 'none.txt'), '-o', join(work, 'none'));
    expect(missing.err).toMatch(/BNNC_E151.*no such file/);
  });
});

describe.skipIf(!HAVE_ARM_GCC)('byte counts agree: header, README, verify, the fit check, the report', () => {
  it('constants, arena and the measured worst stack on cortex-m4', () => {
    const t = loadTarget('cortex-m4');
    const Q = { dtype: 'uint8', scale: 1, divisor: 255, zeroPoint: 0 } as const;
    const { files, lowered } = build(CNN, t, { inputQuant: Q });
    const h = files.get('bnn_model.h')!, readme = files.get('README.md')!;
    const macro = (m: string) => Number(new RegExp(`#define BNN_MODEL_${m} (\\d+)`).exec(h)![1]);
    const [constBytes, arenaBytes, stack] = [macro('CONST_BYTES'), macro('ARENA_BYTES'), macro('STACK_BYTES')];
    expect(h).toContain('measured with arm-none-eabi-gcc -fstack-usage for cortex-m4');
    expect(stack).toBeGreaterThan(0);
    expect(readme).toContain(`| constants (weights, thresholds, epilogue) | ${constBytes} |`);
    expect(readme).toContain(`| arena (static RAM, or per context) | ${arenaBytes} |`);
    expect(readme).toContain(`| stack, worst case (measured) | ${stack} |`);
    const fp = measureFootprint(lowered, t);
    expect(fp.flash.constants).toBe(constBytes);
    expect(fp.ram.stack).toBe(stack);
    const v = verify(CNN, t, { inputQuant: Q, random: 1 });
    expect([v.constBytes, v.arenaBytes, v.stackBytes]).toEqual([constBytes, arenaBytes, stack]);
    const page = buildReport({ model: 'cnn.onnx', version: '0', float: loadModel(CNN), lowered: lowerModel(loadModel(CNN), { inputQuant: Q }), target: t, bench: false });
    // the page writes counts with thousands separators (en-US)
    const shown = (n: number) => n.toLocaleString('en-US');
    expect(page).toContain(`<dt>constants (flash)</dt><dd>${shown(constBytes)} B</dd>`);
    expect(page).toContain(`<dt>arena (RAM)</dt><dd>${shown(arenaBytes)} B`);
    expect(page).toContain(`STACK_BYTES)</dt><dd>${shown(stack)} B</dd>`);
  }, 900_000);
});
