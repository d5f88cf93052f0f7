// Target variants derived in code for the bench (no JSON of their own): ESP32-C3 with the Zbb extension,
// as later RV32 cores have it (the ESP32-C3 itself has none), for the cost of single-instruction popcounts.
import { execFileSync } from 'node:child_process';
import type { Target } from '../backend/target.js';

/**
 * The target with Zbb: `-march=<arch>_zbb` (gcc then emits `cpop` for __builtin_popcount) and QEMU's cpu with
 * zbb on. No multilib matches rv32imc_zbb, so gcc would pick its default (rv64) libgcc: the rv32 one is passed
 * by path, found with the ISA string without Zbb.
 */
export function withZbb(t: Target): Target {
  const march = t.compiler.flags.find((f) => f.startsWith('-march='));
  if (!march || !t.emulator) throw new Error(`withZbb: ${t.name} is not a RISC-V target with an emulator`);
  let libgcc = '-lgcc';
  try {
    const abi = t.compiler.flags.filter((f) => f.startsWith('-march=') || f.startsWith('-mabi='));
    libgcc = execFileSync(t.compiler.cc, [...abi, '-print-libgcc-file-name'], { encoding: 'utf8' }).trim();
  } catch {
    // no compiler here: keep -lgcc (the target is then only emitted, not built)
  }
  return {
    ...t,
    name: `${t.name}-zbb`,
    description: `${t.description} + Zbb`,
    arch: `${t.arch}_zbb`,
    features: { ...t.features, zbb: true, popcountInstruction: true },
    compiler: { ...t.compiler, flags: t.compiler.flags.map((f) => (f === march ? `${march}_zbb` : f)), libs: t.compiler.libs.map((l) => (l === '-lgcc' ? libgcc : l)) },
    emulator: { ...t.emulator, cpu: `${t.emulator.cpu},zbb=true` },
  };
}
