// The generated C is bit-exact whatever the build flags (issue #14): the example MLP (whose float epilogue
// gcc fuses into a vfma under -std=gnu11's default -ffp-contract=fast unless the file forbids it) and a
// random CNN verified with the user's flags appended after the target's, on host and emulated Cortex-M4;
// flags that cannot be defended stop the build with #error naming the flag; and the core-specific C builds
// on a host with -DBNNC_PORTABLE (bit-exact) and stops with #error naming its target without it.
import { describe, expect, it } from 'vitest';
import { loadTarget, type Target } from '../../src/backend/target.js';
import { verifyOnTarget } from '../../src/backend/verify.js';
import { loadModel, lowerModel } from '../../src/compile.js';
import { sizeOf, tensor } from '../../src/ir/tensor.js';
import type { Graph, Tensor } from '../../src/ir/types.js';
import type { InputQuant } from '../../src/ir/types.js';
import { rng } from '../helpers/onnx-build.js';
import { hasTool, ROOT } from '../helpers/resources.js';
import { buildNet, CASES } from './random-net.js';

const Q: InputQuant = { dtype: 'uint8', scale: 1, divisor: 255, zeroPoint: 0 };
const HAVE_ARM = hasTool('arm-none-eabi-gcc') && hasTool('qemu-system-arm');
const HAVE_GCC = hasTool('gcc');

function inputs(g: Graph, n: number, seed: number): Tensor[] {
  const r = rng(seed), t = g.inputs[0].type, count = sizeOf(t.shape);
  return Array.from({ length: n }, () => tensor(t.dtype, t.shape, Array.from({ length: count }, () => Math.floor(r() * 256))));
}

let mlp: Graph | undefined;
const example = (): Graph => (mlp ??= lowerModel(loadModel(`${ROOT}examples/mlp/mlp.onnx`), { inputQuant: Q, portableMath: true }));

// gcc's defaults a build system gives: -std=gnu11 means -ffp-contract=fast; the target's own -ffp-contract=off
// and -fno-strict-aliasing are overridden by the later flags
const FLAG_SETS = ['-O0', '-Os', '-O2', '-O3', '-O2 -flto', '-O2 -funsafe-math-optimizations -fno-signed-zeros -freciprocal-math', '-std=gnu11 -ffp-contract=fast -fstrict-aliasing', '-std=gnu11 -ffp-contract=fast -O3 -flto'];

function check(target: Target, flags: string, g: Graph, n: number): void {
  const r = verifyOnTarget(g, target, inputs(g, n, 7), { cflags: flags.split(' '), layerDebug: false });
  expect(r.ran, `${target.name} ${flags}`).toBe(true);
  expect(r.vectors).toBe(n);
  expect(r.mismatchedVectors, `${target.name} with ${flags}: ${JSON.stringify(r.firstMismatches)}`).toBe(0);
}

describe.skipIf(!HAVE_ARM)('cortex-m4: bit-exact under the user\'s flags', () => {
  for (const flags of FLAG_SETS) {
    it(`example MLP with ${flags}`, () => check(loadTarget('cortex-m4'), flags, example(), 60), 1_800_000);
  }
  it('random CNN (optimized kernels) with -std=gnu11 -ffp-contract=fast -O3 -flto', () => {
    check(loadTarget('cortex-m4'), '-std=gnu11 -ffp-contract=fast -O3 -flto', buildNet(CASES[0]), 12);
  }, 1_800_000);
});

describe.skipIf(!HAVE_GCC)('host: bit-exact under the user\'s flags', () => {
  for (const flags of FLAG_SETS) {
    it(`example MLP with ${flags}`, () => check(loadTarget('host'), flags, example(), 30), 1_800_000);
  }
});

describe.skipIf(!HAVE_GCC)('flags that cannot be defended stop the build, naming the flag', () => {
  for (const [flag, named] of [['-ffast-math', '-ffast-math'], ['-ffinite-math-only', '-ffinite-math-only']]) {
    it(flag, () => {
      expect(() => verifyOnTarget(example(), loadTarget('host'), inputs(example(), 1, 1), { cflags: [flag] })).toThrow(named);
    }, 1_800_000);
  }
});

/** The C generated for `gen`, built and run by host gcc (its flags, ASan+UBSan) with `cflags`. */
function onHost(gen: Target): Target {
  const host = loadTarget('host');
  return { ...gen, compiler: host.compiler, runner: 'host', emulator: null };
}

describe.skipIf(!HAVE_GCC)('BNNC_PORTABLE: the same file on a host', () => {
  for (const name of ['cortex-m4', 'cortex-m0plus', 'cortex-m55']) {
    it(`${name} C built by host gcc with -DBNNC_PORTABLE is bit-exact (fixed cases 0 and 5, the example MLP)`, () => {
      for (const g of [buildNet(CASES[0]), buildNet(CASES[5]), example()]) {
        const r = verifyOnTarget(g, onHost(loadTarget(name)), inputs(g, 8, 3), { cflags: ['-DBNNC_PORTABLE'], layerDebug: false });
        expect(r.ran).toBe(true);
        expect(r.mismatchedVectors, `${name}: ${JSON.stringify(r.firstMismatches)}`).toBe(0);
      }
    }, 1_800_000);
    it(`${name} C built by host gcc without it stops with #error naming ${name}`, () => {
      const g = buildNet(CASES[0]);
      expect(() => verifyOnTarget(g, onHost(loadTarget(name)), inputs(g, 1, 3), { layerDebug: false })).toThrow(`generated for ${name}`);
    }, 1_800_000);
  }
});

describe.skipIf(!HAVE_ARM)('built for the wrong core', () => {
  it('cortex-m4 C (USAD8) built for a Cortex-M3 stops with #error naming cortex-m4 and the DSP extension', () => {
    const m4 = loadTarget('cortex-m4'), m3 = loadTarget('cortex-m3');
    const g = buildNet(CASES[0]);
    expect(() => verifyOnTarget(g, { ...m4, compiler: m3.compiler, emulator: m3.emulator }, inputs(g, 1, 3), { layerDebug: false }))
      .toThrow(/generated for cortex-m4 \(Cortex-M4F\) and needs an Arm core with the DSP extension/);
  }, 1_800_000);
});
