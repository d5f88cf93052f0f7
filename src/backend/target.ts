// Targets are JSON descriptions (targets/*.json): core, ISA features, compiler and flags, emulator, memory.
// Back ends read capabilities from them and never test a target's name.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { fail } from '../errors.js';

export interface TargetFeatures {
  readonly dsp: boolean;
  readonly mve: boolean;
  readonly zbb: boolean;
  /** A single-instruction popcount; without one the kernels use an inline SWAR count, not a libgcc call. */
  readonly popcountInstruction: boolean;
  readonly hardwareDivide: boolean;
  readonly fpu: 'none' | 'sp' | 'dp';
  /** Arm's USAD8 (sum of absolute byte differences), used by the int8 first-layer kernels. */
  readonly usad8: boolean;
  /** Arm's SBFX (signed bit-field extract): a bit of a word as 0 or −1 in one instruction. */
  readonly sbfx: boolean;
  /** Only the 16-bit Thumb-1 instructions (Armv6-M): 8 low registers, the kernels' hand-allocated blocks. */
  readonly thumb1Only: boolean;
}

export interface Emulator {
  readonly command: string;
  readonly machine: string;
  readonly cpu: string;
  /** Where the test image's data and stack go; its code and constants go to `rom`, or the first half of `ram`. */
  readonly ram: { readonly origin: number; readonly length: number };
  readonly rom?: { readonly origin: number; readonly length: number };
  readonly args: readonly string[];
}

export interface Target {
  readonly name: string;
  readonly description: string;
  /** Selects template overrides (templates/<family>/) and the test-runner startup code. */
  readonly family: 'cortex-m' | 'esp32' | 'riscv' | 'host' | 'ts';
  readonly core: string;
  readonly arch: string;
  readonly features: TargetFeatures;
  readonly compiler: {
    readonly cc: string;
    readonly size: string;
    readonly flags: readonly string[];
    readonly warnFlags: readonly string[];
    readonly linkFlags: readonly string[];
    readonly libs: readonly string[];
    readonly sanitize?: readonly string[];
    /** gcc optimize() options added to the optimized binary kernels' own (BNNC_KERNEL), measured per core. */
    readonly kernelOptimize?: readonly string[];
  };
  /** How verify runs the code: natively, under QEMU with semihosting, in Node (the ts module), or not at all. */
  readonly runner: 'host' | 'semihost-arm' | 'semihost-riscv' | 'ts' | 'none';
  /** The build files emitted beside the C: a CMake library, an ESP-IDF component, or none. */
  readonly package: 'cmake' | 'esp-idf' | 'none';
  readonly memory: { readonly flashBytes: number; readonly ramBytes: number };
  readonly emulator: Emulator | null;
  readonly note?: string;
}

export const TARGETS_DIR = fileURLToPath(new URL('../../targets/', import.meta.url));

export function listTargets(): string[] {
  if (!existsSync(TARGETS_DIR)) return [];
  return readdirSync(TARGETS_DIR).filter((f) => f.endsWith('.json')).map((f) => f.slice(0, -5)).sort();
}

export function loadTarget(name: string): Target {
  const known = listTargets();
  if (!known.includes(name)) {
    fail('BNNC_E019', `unknown target '${name}'; known targets: ${known.join(', ')}`);
  }
  return JSON.parse(readFileSync(`${TARGETS_DIR}${name}.json`, 'utf8')) as Target;
}
