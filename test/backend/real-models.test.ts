// The three real models on the host (sanitizers), on Cortex-M4 and ESP32-C3 (rv32imc) under QEMU, and a
// few images on every other emulated core: every output byte of the generated C equals the interpreter's.
import { describe, expect, it } from 'vitest';
import { loadTarget } from '../../src/backend/target.js';
import { verifyOnTarget } from '../../src/backend/verify.js';
import { hasShared, hasTool } from '../helpers/resources.js';
import { lowerReal, MNIST, MODELS, mnistInputs } from './helpers.js';

const RUNS: { target: string; tools: string[]; images: number }[] = [
  { target: 'host', tools: ['gcc'], images: 200 },
  { target: 'cortex-m4', tools: ['arm-none-eabi-gcc', 'qemu-system-arm'], images: 50 },
  { target: 'esp32c3', tools: ['riscv64-unknown-elf-gcc', 'qemu-system-riscv32'], images: 50 },
  ...['cortex-m0plus', 'cortex-m3', 'cortex-m7', 'cortex-m33', 'cortex-m55'].map((target) => ({ target, tools: ['arm-none-eabi-gcc', 'qemu-system-arm'], images: 8 })),
];

const material = MODELS.every((m) => hasShared(m.file)) && hasShared(MNIST);

describe.each(RUNS)('real models on $target', ({ target, tools, images }) => {
  const ok = material && tools.every(hasTool);
  it.skipIf(!ok).each(MODELS.map((m) => ({ ...m, name: m.file.split('/').pop() })))('$name: bit-exact on MNIST', (m) => {
    const g = lowerReal(m);
    const report = verifyOnTarget(g, loadTarget(target), mnistInputs(g, images));
    console.log(`${target} ${m.file}: ${report.vectors} images, ${report.mismatchedVectors} mismatched; model text ${report.modelSizes.text} B, data ${report.modelSizes.data}, bss ${report.modelSizes.bss}; ${report.note}`);
    expect(report.ran).toBe(true);
    expect(report.vectors).toBe(images);
    expect(report.firstMismatches).toEqual([]);
    expect(report.mismatchedVectors).toBe(0);
  });
});
