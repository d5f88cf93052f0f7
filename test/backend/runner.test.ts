// The build-and-run steps shared by verify, bench and the firmware example: vectors streamed in batches (the
// runner built once, run once per batch, the iterable read only as far as the current batch), the time limit
// of every step set by `timeoutMs` (--timeout) and a time-out naming its step, and toolchain failures as a
// ToolchainError that the command line turns into exit code 3.
import { existsSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runFirmware } from '../../src/backend/firmware.js';
import { loadTarget, type Target } from '../../src/backend/target.js';
import { compileLimit, DEFAULT_LIMITS, runLimit, ToolchainError } from '../../src/backend/toolchain.js';
import { tensorBytes, verifyOnTarget } from '../../src/backend/verify.js';
import { bench } from '../../src/bench/bench.js';
import { main } from '../../src/cli.js';
import { run } from '../../src/interp/run.js';
import { sizeOf, tensor } from '../../src/ir/tensor.js';
import type { Graph, Node, Tensor } from '../../src/ir/types.js';
import { rng } from '../helpers/onnx-build.js';
import { hasTool, ROOT } from '../helpers/resources.js';
import { buildNet, CASES } from './random-net.js';

/** Threshold `node` lowered by 32 on every fourth channel: some vectors' outputs change (here 3 and 10 of 0..10). */
function corrupt(g: Graph, node: Node): Graph {
  const t = g.initializers.get(node.inputs[1])!;
  const bad = tensor('int32', t.shape, Array.from(t.data, (v, c) => (c % 4 === 0 ? v - 32 : v)));
  return { ...g, initializers: new Map([...g.initializers, [node.inputs[1], bad]]) };
}

function vector(g: Graph, r: () => number): Tensor {
  const t = g.inputs[0].type;
  return tensor(t.dtype, t.shape, Array.from({ length: sizeOf(t.shape) }, () => Math.floor(r() * 256)));
}

const outBytes = (g: Graph, x: Tensor): Uint8Array[] => {
  const outs = run(g, { [g.inputs[0].name]: x });
  return g.outputs.map((o) => tensorBytes(outs.get(o)!));
};

const RUNS = [
  { target: 'host', tools: ['gcc'] },
  { target: 'cortex-m0plus', tools: ['arm-none-eabi-gcc', 'qemu-system-arm'] },
];

describe.each(RUNS)('verify streams its vectors in batches on $target', ({ target, tools }) => {
  const ok = tools.every(hasTool);
  it.skipIf(!ok)('reads the iterable one batch at a time and counts mismatches across batches', () => {
    const g = buildNet(CASES[0]);
    const bad = corrupt(g, g.nodes.filter((n) => n.op === 'Threshold')[0]);
    const N = 11, B = 3;
    const per = outBytes(g, vector(g, rng(1))).reduce((s, b) => s + b.length, 0);
    const dir = mkdtempSync(join(tmpdir(), 'bnnc-stream-'));
    const outFile = join(dir, 'dbg.out.bin');
    const pulledAtRun: number[] = [];
    let expectedBad = 0, firstBad = -1;
    const r = rng(99);
    // a generator that checks, when it starts a batch, that the previous batch was already run
    const inputs = (function* () {
      for (let v = 0; v < N; v++) {
        if (v > 0 && v % B === 0) {
          pulledAtRun.push(v);
          expect(statSync(outFile).size).toBe(B * per);
        }
        const x = vector(g, r);
        const differs = outBytes(bad, x).some((b, i) => !b.every((byte, k) => byte === outBytes(g, x)[i][k]));
        if (differs) { expectedBad++; if (firstBad < 0) firstBad = v; }
        yield x;
      }
    })();
    try {
      const report = verifyOnTarget(bad, loadTarget(target), inputs, { reference: g, prefix: 'dbg', batchSize: B, workDir: dir });
      console.log(`${target}: ${report.mismatchedVectors}/${report.vectors} vectors differ, first ${firstBad}; batches started at ${pulledAtRun.join(', ')}`);
      expect(pulledAtRun).toEqual([3, 6, 9]);
      expect(report.vectors).toBe(N);
      expect(expectedBad).toBeGreaterThan(0);
      expect(expectedBad).toBeLessThan(N);
      expect(report.mismatchedVectors).toBe(expectedBad);
      expect(report.firstMismatches[0].vector).toBe(firstBad);
      expect(report.firstDifferingLayer?.vector).toBe(firstBad);
      // the first mismatch is in the second batch (its input kept for the debug build); the last run saw 2 vectors
      expect(firstBad).toBeGreaterThanOrEqual(B);
      expect(statSync(outFile).size).toBe((N % B) * per);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('time limits', () => {
  it('default limits grow with the work: per source file and per KB of source, per vector', () => {
    const dir = mkdtempSync(join(tmpdir(), 'bnnc-limits-'));
    try {
      writeFileSync(join(dir, 'a.c'), 'x'.repeat(10 * 1024));
      writeFileSync(join(dir, 'b.c'), 'int b;\n');
      const L = DEFAULT_LIMITS;
      expect(compileLimit(['-O2', '-c', 'a.c'], dir)).toBe(L.compileBaseMs + L.compilePerFileMs + 10 * L.compilePerKbMs);
      expect(compileLimit(['-O2', '-c', 'a.c', 'b.c', '-o', 'x.elf'], dir)).toBe(L.compileBaseMs + 2 * L.compilePerFileMs + 11 * L.compilePerKbMs);
      expect(runLimit(1000) - runLimit(0)).toBe(1000 * L.runPerVectorMs);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it.skipIf(!hasTool('gcc'))('timeoutMs reaches the compile step, and the time-out names it', () => {
    const g = buildNet(CASES[0]);
    let err: unknown;
    try { verifyOnTarget(g, loadTarget('host'), [vector(g, rng(3))], { timeoutMs: 1 }); } catch (e) { err = e; }
    expect(err).toBeInstanceOf(ToolchainError);
    expect((err as Error).message).toMatch(/^compiling 1 model\(s\) for host timed out after 0\.001 s and was killed \(machine busy\? raise --timeout\)/);
  });

  it.skipIf(!hasTool('arm-none-eabi-gcc'))('bench: timeoutMs reaches its compile step too', () => {
    const g = buildNet(CASES[0]);
    expect(() => bench(g, loadTarget('cortex-m4'), { timeoutMs: 1 })).toThrow(/^compiling bnn_model\.c for cortex-m4 timed out after 0\.001 s/);
  });

  it.skipIf(!hasTool('gcc') || !existsSync(`${ROOT}examples/mlp/mlp.onnx`))('the command line: a toolchain time-out is exit 3 with the step named', async () => {
    let err = '';
    const code = await main(['node', 'bnnc', 'verify', `${ROOT}examples/mlp/mlp.onnx`, '-t', 'host', '--input-scale', '1/255', '--random', '2', '--timeout', '1'],
      { out: () => {}, err: (s) => { err += s; } });
    expect(code).toBe(3);
    expect(err).toMatch(/^bnnc: verify could not run on host: compiling 1 model\(s\) for host timed out after 0\.001 s/);
  });
});

describe('the shared runner', () => {
  it('refuses a target without an emulator with a ToolchainError', () => {
    const none: Target = { ...loadTarget('esp32'), runner: 'none', emulator: null };
    expect(() => runFirmware(none, new Map(), [], [])).toThrow(ToolchainError);
    expect(() => runFirmware(none, new Map(), [], [])).toThrow(/running firmware on esp32: target esp32 has no emulator/);
  });
});
