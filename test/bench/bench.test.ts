// bench on the emulated Cortex-M4 and RV32: per-layer instruction counts that add up to the inference,
// outputs equal to the interpreter's, sizes and stack, and the optimized kernels below the reference ones.
import { describe, expect, it } from 'vitest';
import { loadTarget } from '../../src/backend/target.js';
import { bench } from '../../src/bench/bench.js';
import { formatBench } from '../../src/bench/format.js';
import { hasShared, hasTool } from '../helpers/resources.js';
import { lowerReal, MODELS } from '../backend/helpers.js';

const RUNS = [
  { target: 'cortex-m4', tools: ['gcc', 'arm-none-eabi-gcc', 'qemu-system-arm'] },
  { target: 'esp32c3', tools: ['gcc', 'riscv64-unknown-elf-gcc', 'qemu-system-riscv32'] },
];

describe.each(RUNS)('bench on $target', ({ target, tools }) => {
  const ok = tools.every(hasTool) && hasShared(MODELS[0].file);
  it.skipIf(!ok)('the MLP: exact outputs, layers summing to the inference, optimized below reference', () => {
    const g = lowerReal(MODELS[0]);
    const t = loadTarget(target);
    const opt = bench(g, t, { kernels: 'optimized' });
    const ref = bench(g, t, { kernels: 'reference', estimate: false });
    console.log(formatBench(opt));
    console.log(formatBench(ref));
    for (const r of [opt, ref]) {
      expect(r.ran).toBe(true);
      expect(r.exact).toBe(true);
      expect(r.markCost).toBe(2);
      const layerSum = r.layers.reduce((s, l) => s + l.instructions, 0);
      expect(layerSum).toBeLessThanOrEqual(r.total.instructions!);
      expect(r.total.instructions! - layerSum).toBeLessThan(200); // run()'s own calls and the output copy
      expect(r.total.binaryMacs).toBe(784 * 64 + 64 * 64 * 2 + 64 * 10);
      expect(r.ram.stack).toBeGreaterThan(0);
      expect(r.flash.weights).toBe(4 * (64 * 25 + 64 * 2 * 2 + 10 * 2));
    }
    expect(opt.total.instructionsPer32BinaryMacs!).toBeLessThan(ref.total.instructionsPer32BinaryMacs!);
    expect(opt.total.cyclesEstimate).toBeGreaterThan(0);
  });
});
