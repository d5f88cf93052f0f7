// The generated API beyond `<prefix>_run` (issue #14): the reentrant form (`<prefix>_init` on a caller's arena,
// `<prefix>_run_ctx`) with two contexts interleaved and one run nested inside another (as an interrupt would
// preempt a task), on host (ASan/UBSan) and on emulated Cortex-M4, every output byte equal to the reference
// interpreter's; its return codes; `<prefix>_topk` against the ranking the reference TopK/ArgMax define.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { emitC, loadTarget } from '../../src/backend/index.js';
import { runFirmware } from '../../src/backend/firmware.js';
import { tensorBytes } from '../../src/backend/verify.js';
import { buildCModel } from '../../src/backend/c-data.js';
import { loadModel, lowerModel } from '../../src/compile.js';
import { run } from '../../src/interp/run.js';
import { sizeOf, tensor } from '../../src/ir/tensor.js';
import type { Graph, Tensor } from '../../src/ir/types.js';
import { rng } from '../helpers/onnx-build.js';
import { hasTool, ROOT } from '../helpers/resources.js';

const HAVE_GCC = hasTool('gcc');
const HAVE_ARM = hasTool('arm-none-eabi-gcc') && hasTool('qemu-system-arm');
const Q = { dtype: 'uint8', scale: 1, divisor: 255, zeroPoint: 0 } as const;

const lowered = (model: string): Graph => lowerModel(loadModel(`${ROOT}examples/${model}/${model}.onnx`), { inputQuant: Q, portableMath: true });
const MODELS = { mlp: lowered('mlp'), cnn: lowered('cnn') };

function inputs(g: Graph, n: number, seed: number): Tensor[] {
  const r = rng(seed), t = g.inputs[0].type, count = sizeOf(t.shape);
  return Array.from({ length: n }, () => tensor(t.dtype, t.shape, Array.from({ length: count }, () => Math.floor(r() * 256))));
}

/** The reference interpreter's output bytes (every output, in order, as the targets store them). */
function expected(g: Graph, x: Tensor): number[] {
  const v = run(g, { [g.inputs[0].name]: x });
  return g.outputs.flatMap((o) => Array.from(tensorBytes(v.get(o)!)));
}

const dirs: string[] = [];
afterAll(() => { for (const d of dirs) rmSync(d, { recursive: true, force: true }); });
const tmp = (tag: string) => { const d = mkdtempSync(join(tmpdir(), `bnnc-api-${tag}-`)); dirs.push(d); return d; };

/**
 * A firmware main that counts failed checks (its exit status): the init return codes; contexts A and B on their
 * own arenas, run one after the other and interleaved with the static one-call form; B run to completion from
 * inside A's run after layer NEST (through the debug-layer hook, as an ISR preempting a task), both outputs
 * checked; and, as a control that the check can fail, C on A's arena nested the same way must spoil A's output.
 */
function reentrantMain(g: Graph, xs: Tensor[]): string {
  const model = buildCModel(g, loadTarget('host'), 'bnn_model');
  const outs = model.outputs;
  const bytes = outs.reduce((s, o) => s + o.bytes, 0);
  const arr = (t: Tensor) => `{ ${Array.from(t.data).join(', ')} }`;
  const decl = (tag: string) => outs.map((o) => `static ${o.ctype} ${tag}_${o.cname}[${o.count}];`).join('\n');
  const args = (tag: string) => outs.map((o) => `${tag}_${o.cname}`).join(', ');
  const same = (tag: string, v: number) => outs.map((o, i) => `same((const void *)${tag}_${o.cname}, want[${v}] + ${outs.slice(0, i).reduce((s, p) => s + p.bytes, 0)}, ${o.bytes}u)`).join(' && ');
  const nest = Math.floor(model.layers.length / 2);
  return `#include <stdint.h>
#include "bnn_model.h"
static const ${model.input.ctype} in[${xs.length}][${model.input.count}] = { ${xs.map(arr).join(',\n')} };
static const uint8_t want[${xs.length}][${bytes}] = { ${xs.map((x) => `{ ${expected(g, x).join(', ')} }`).join(',\n')} };
static uint64_t arena_a[BNN_MODEL_ARENA_BYTES / 8], arena_b[BNN_MODEL_ARENA_BYTES / 8];
static bnn_model_ctx_t a, b, c;
${decl('ya')}
${decl('yb')}
${decl('ys')}
static int nest_at = -1, nest_rc = -100, nest_input = 1;
static bnn_model_ctx_t *nest_ctx;
static int same(const void *p, const uint8_t *w, uint32_t n)
{
    const uint8_t *q = (const uint8_t *)p;
    uint32_t i;
    for (i = 0; i < n; i++) if (q[i] != w[i]) return 0;
    return 1;
}
void bnn_model_debug_layer(int32_t layer, const void *data, uint32_t n);
void bnn_model_debug_layer(int32_t layer, const void *data, uint32_t n)
{
    (void)data;
    (void)n;
    if (layer == nest_at) {
        nest_at = -1; /* once */
        nest_rc = bnn_model_run_ctx(nest_ctx, in[nest_input], ${args('yb')});
    }
}
int main(void)
{
    int bad = 0, v;
    bnn_model_ctx_t zero = { 0, 0u };
    /* return codes */
    bad += bnn_model_init(0, arena_a, sizeof arena_a) != BNN_MODEL_ERR_NULL;
    bad += bnn_model_init(&a, 0, sizeof arena_a) != BNN_MODEL_ERR_NULL;
    bad += bnn_model_init(&a, arena_a, BNN_MODEL_ARENA_BYTES - 1u) != BNN_MODEL_ERR_ARENA_SIZE;
    bad += bnn_model_run_ctx(&a, in[0], ${args('ya')}) != BNN_MODEL_ERR_CTX; /* a failed init leaves it unusable */
    bad += bnn_model_init(&a, (uint8_t *)arena_a + 4, BNN_MODEL_ARENA_BYTES) != BNN_MODEL_ERR_ARENA_ALIGN;
    bad += bnn_model_run_ctx(&zero, in[0], ${args('ya')}) != BNN_MODEL_ERR_CTX;
    bad += bnn_model_init(&a, arena_a, sizeof arena_a) != BNN_MODEL_OK;
    bad += bnn_model_init(&b, arena_b, sizeof arena_b) != BNN_MODEL_OK;
    bad += bnn_model_init(&c, arena_a, sizeof arena_a) != BNN_MODEL_OK;
    bad += bnn_model_run_ctx(0, in[0], ${args('ya')}) != BNN_MODEL_ERR_NULL;
    bad += bnn_model_run_ctx(&a, 0, ${args('ya')}) != BNN_MODEL_ERR_NULL;
    /* interleaved: A, B and the static form take turns over the inputs */
    for (v = 0; v + 2 < ${xs.length}; v++) {
        bad += bnn_model_run_ctx(&a, in[v], ${args('ya')}) != BNN_MODEL_OK;
        bad += bnn_model_run_ctx(&b, in[v + 1], ${args('yb')}) != BNN_MODEL_OK;
        bad += bnn_model_run(in[v + 2], ${args('ys')}) != BNN_MODEL_OK;
        bad += !(${same('ya', 0).replace(/want\[0\]/g, 'want[v]')});
        bad += !(${same('yb', 0).replace(/want\[0\]/g, 'want[v + 1]')});
        bad += !(${same('ys', 0).replace(/want\[0\]/g, 'want[v + 2]')});
    }
    /* nested: B runs to completion inside A's run, after layer 0 and after layer ${nest} */
    for (v = 0; v < 2; v++) {
        nest_ctx = &b;
        nest_at = v == 0 ? 0 : ${nest};
        nest_rc = -100;
        bad += bnn_model_run_ctx(&a, in[0], ${args('ya')}) != BNN_MODEL_OK;
        bad += nest_rc != BNN_MODEL_OK;
        bad += !(${same('ya', 0)});
        bad += !(${same('yb', 1)});
    }
    /* control: C shares A's arena, so a run of C nested after layer 0 spoils A's output */
    nest_ctx = &c;
    nest_at = 0;
    bad += bnn_model_run_ctx(&a, in[0], ${args('ya')}) != BNN_MODEL_OK;
    bad += ${same('ya', 0)} ? 100 : 0;
    return bad;
}
`;
}

/** The model's C with the debug-layer hook compiled in (runFirmware and the host build compile every .c given). */
function debugFiles(g: Graph, target: string): Map<string, string> {
  const f = emitC(g, loadTarget(target));
  return new Map([['bnn_model.h', f.get('bnn_model.h')!], ['bnn_model.inc', f.get('bnn_model.c')!], ['bnn_model.c', '#define BNNC_DEBUG_LAYERS\n#include "bnn_model.inc"\n']]);
}

/** Builds `files` + main.c with host gcc (host flags, warnings, sanitizers) and runs it: [exit status, stdout]. */
export function runHost(files: ReadonlyMap<string, string>, main: string, extra: string[] = []): [number, string] {
  const dir = tmp('host');
  for (const [n, t] of files) writeFileSync(join(dir, n), t);
  writeFileSync(join(dir, 'main.c'), main);
  const host = loadTarget('host');
  const cs = [...files.keys()].filter((n) => n.endsWith('.c'));
  execFileSync('gcc', [...host.compiler.flags, ...host.compiler.warnFlags, ...(host.compiler.sanitize ?? []), ...extra, ...cs, 'main.c', '-o', 'prog'], { cwd: dir, stdio: 'pipe' });
  try {
    return [0, execFileSync('./prog', { cwd: dir, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] })];
  } catch (e) {
    const err = e as { status: number; stdout: string };
    return [err.status, err.stdout];
  }
}

describe('reentrant form: two contexts interleaved and nested, equal to the reference interpreter', () => {
  for (const [name, g] of Object.entries(MODELS)) {
    const xs = inputs(g, 5, name === 'mlp' ? 3 : 4);
    it.skipIf(!HAVE_GCC)(`${name}, host (ASan/UBSan)`, () => {
      expect(runHost(debugFiles(g, 'host'), reentrantMain(g, xs))[0]).toBe(0);
    }, 600_000);
    it.skipIf(!HAVE_ARM)(`${name}, Cortex-M4 under QEMU`, () => {
      const dir = tmp('m4');
      writeFileSync(join(dir, 'main.c'), reentrantMain(g, xs));
      expect(runFirmware(loadTarget('cortex-m4'), debugFiles(g, 'cortex-m4'), [join(dir, 'main.c')], []).exitCode).toBe(0);
    }, 600_000);
  }

  it('the layers take their buffers from the arena parameter, not from the static arena', () => {
    const c = emitC(MODELS.cnn, loadTarget('cortex-m4')).get('bnn_model.c')!;
    const body = c.slice(c.indexOf('static int bnn_model_run_on('), c.indexOf('int bnn_model_run(const'));
    expect(body).toContain('(void *)(arena + ');
    expect(body).not.toContain('bnn_model_arena');
    expect(c).toContain('return bnn_model_run_on(bnn_model_arena.bytes, input, output);');
    expect(c).toContain('return bnn_model_run_on(ctx->arena, input, output);');
  });
});

/** The reference ranking (ONNX TopK, largest, sorted; bnnc's ArgMax): larger first, NaN above every number, the lower index on ties. */
function topkRef(v: number[], k: number): number[] {
  const key = (x: number) => (Number.isNaN(x) ? Infinity : x);
  const nanFirst = (a: number, b: number) => Number(Number.isNaN(v[b])) - Number(Number.isNaN(v[a]));
  return v.map((_, i) => i).sort((a, b) => nanFirst(a, b) || (key(v[b]) > key(v[a]) ? 1 : key(v[b]) < key(v[a]) ? -1 : 0) || a - b).slice(0, k);
}

describe.skipIf(!HAVE_GCC)('topk', () => {
  const cases: number[][] = [
    [0.5, -1, 3, 3, 2, -0, 0, NaN, 7, NaN],
    [1, 1, 1, 1, 1, 1, 1, 1, 1, 1],
    [-Infinity, Infinity, -3, 5, 5, -0, 0, 2, 9, -9],
  ];
  const r = rng(9);
  for (let i = 0; i < 5; i++) cases.push(Array.from({ length: 10 }, () => Math.fround(Math.round(r() * 8) / 4 - 1)));

  it('the indices of the k largest for k = 1..10 as the reference ranks them; argmax = topk[0]; -1 for bad k or NULL', () => {
    const bits = cases.map((c) => Array.from(new Uint32Array(Float32Array.from(c).buffer)));
    const main = `#include <stdio.h>
#include <string.h>
#include "bnn_model.h"
static const uint32_t bits[${cases.length}][10] = { ${bits.map((b) => `{ ${b.map((x) => `0x${x.toString(16)}u`).join(', ')} }`).join(', ')} };
int main(void)
{
    float y[10];
    int32_t idx[10], c, k, j;
    if (bnn_model_topk(0, 1, idx) != -1 || bnn_model_topk(y, 1, 0) != -1) return 2;
    memset(y, 0, sizeof y);
    if (bnn_model_topk(y, 0, idx) != -1 || bnn_model_topk(y, 11, idx) != -1 || bnn_model_topk(y, -1, idx) != -1) return 3;
    for (c = 0; c < ${cases.length}; c++) {
        memcpy(y, bits[c], sizeof y);
        for (k = 1; k <= 10; k++) {
            if (bnn_model_topk(y, k, idx) != k) return 4;
            for (j = 0; j < k; j++) printf("%d%s", (int)idx[j], j + 1 < k ? " " : "\\n");
        }
        if (bnn_model_argmax(y) != idx[0]) return 5;
    }
    return 0;
}
`;
    const [status, out] = runHost(emitC(MODELS.mlp, loadTarget('host')), main);
    expect(status).toBe(0);
    const want = cases.flatMap((c) => Array.from({ length: 10 }, (_, k) => topkRef(c, k + 1).join(' ')));
    expect(out.trim().split('\n')).toEqual(want);
  }, 600_000);
});
