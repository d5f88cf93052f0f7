// Targets are JSON descriptions (targets/*.json): core, ISA features, compiler and flags, emulator, memory,
// validated against target.schema.json (beside this file) when loaded. Back ends read capabilities from them
// and never test a target's name, family, arch or core.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv';
import { fail } from '../errors.js';
import SCHEMA from './target.schema.json' with { type: 'json' };
import { listChips, resolveTarget, type ChipProfile } from './chip.js';

/** ISA features: what the kernels may use. The schema says which are read and which are descriptive. */
export interface TargetFeatures {
  readonly dsp: boolean;
  readonly mve: boolean;
  /** RISC-V Zbb; descriptive (its cpop is `popcountInstruction`, declared beside it). */
  readonly zbb: boolean;
  /** A single-instruction popcount; without one the kernels use an inline SWAR count, not a libgcc call. */
  readonly popcountInstruction: boolean;
  /** Descriptive: the generated code never divides at run time. */
  readonly hardwareDivide: boolean;
  /** Descriptive: the float code is the same everywhere; the compiler flags choose hard or soft float. */
  readonly fpu: 'none' | 'sp' | 'dp';
  /** Arm's USAD8 (sum of absolute byte differences), used by the int8 first-layer kernels. */
  readonly usad8: boolean;
  /** Arm's SBFX (signed bit-field extract): a bit of a word as 0 or −1 in one instruction. */
  readonly sbfx: boolean;
  /** Xtensa EXTUI and ADDX4: the bit-sliced kernels load a column or its complement by the activation bit (optional). */
  readonly extui?: boolean;
  /** Only the 16-bit Thumb-1 instructions (Armv6-M): 8 low registers, the kernels' hand-allocated blocks. */
  readonly thumb1Only: boolean;
}

export interface Region { readonly origin: number; readonly length: number }

export interface Emulator {
  readonly command: string;
  readonly machine: string;
  readonly cpu: string;
  /** The test image's startup code, templates/runner/<startup>, and its entry symbol. */
  readonly startup: string;
  readonly entry: string;
  /** C files of templates/runner/ built into every test image after the startup code: the Arm semihosting
   *  calls the runners make (bnnc_semihost) carried out with this emulator's own host calls, and the
   *  compiler-support routines a stand-in toolchain lacks. */
  readonly support?: readonly string[];
  /** Where the test image's data and stack go; its code and constants go to `rom`, or the first half of `ram`. */
  readonly ram: Region;
  readonly rom?: Region;
  readonly args: readonly string[];
}

/** The cycle cost tables of `bnnc bench` (src/bench/cycles.ts). */
export type CostModel = 'cortex-m3/m4' | 'cortex-m0+' | 'rv32';

export interface Target {
  readonly name: string;
  readonly description: string;
  /** What the back end writes: C, or a TypeScript module. */
  readonly language: 'c' | 'ts';
  /** Names the template override folder, templates/<family>/. */
  readonly family: string;
  /** Descriptive (reports). */
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
  /** How verify runs the code: natively, under the emulator with semihosting, in Node (the ts module), or not at all. */
  readonly runner: 'host' | 'semihost' | 'ts' | 'none';
  /** The default build files emitted beside the C (`--package` overrides it): templates/common/packages/<package>/, or none. */
  readonly package: Package;
  /** The core's cycle counter, read by the <prefix>_timing.h helpers (docs/integration.md). */
  readonly cycleCounter: 'dwt-cyccnt' | 'systick' | 'riscv-mcycle' | 'esp-pccr' | 'xtensa-ccount' | 'none';
  readonly memory: { readonly flashBytes: number; readonly ramBytes: number };
  readonly emulator: Emulator | null;
  /** The bench's cycle cost table, or null (instructions only). */
  readonly costModel: CostModel | null;
  readonly note?: string;
  /** Set when `--target` named a chip (targets/chips/): the chip this core target stands for. */
  readonly chip?: ChipProfile;
}

/** The kinds of build files bnnc writes beside the C (docs/integration.md). */
export const PACKAGES = ['cmake', 'esp-idf', 'arduino', 'platformio', 'zephyr', 'none'] as const;
export type Package = (typeof PACKAGES)[number];

export const TARGETS_DIR = fileURLToPath(new URL('../../targets/', import.meta.url));

/** The target names in `dir` (default: the package's targets/), sorted. */
export function listTargets(dir: string = TARGETS_DIR): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir).filter((f) => f.endsWith('.json')).map((f) => f.slice(0, -5)).sort();
}

let validator: ValidateFunction | undefined;

function validate(): ValidateFunction {
  validator ??= new Ajv({ allErrors: true }).compile(SCHEMA);
  return validator;
}

/** One line per schema violation: `/features/popcountInstruction must be boolean`. */
function describe(e: ErrorObject): string {
  const at = e.instancePath || '/';
  const p = e.params as { additionalProperty?: string; allowedValues?: unknown[] };
  if (p.additionalProperty !== undefined) return `${at} has an unknown field '${p.additionalProperty}'`;
  if (p.allowedValues !== undefined) return `${at} must be one of ${p.allowedValues.map((v) => JSON.stringify(v)).join(', ')}`;
  return `${at} ${e.message ?? 'is invalid'}`;
}

/** Loads and validates targets/<name>.json (or `dir`/<name>.json); a bad file is BNNC_E060 naming the file and field. */
export function loadTarget(name: string, dir: string = TARGETS_DIR): Target {
  const known = listTargets(dir);
  // a chip (targets/chips/): its core target plus the chip (src/backend/chip.ts)
  if (dir === TARGETS_DIR && !known.includes(name) && listChips().includes(name)) return resolveTarget(name, { list: listTargets, load: (n) => loadTarget(n) });
  if (!known.includes(name)) {
    fail('BNNC_E019', `unknown target '${name}'; known targets: ${known.join(', ')}; chips: ${listChips().join(', ')}`);
  }
  const file = join(dir, `${name}.json`);
  let data: unknown;
  try {
    data = JSON.parse(readFileSync(file, 'utf8'));
  } catch (e) {
    fail('BNNC_E060', `${file}: ${(e as Error).message}`);
  }
  const v = validate();
  if (!v(data)) {
    // an `if` wrapper repeats what its `then` says
    const lines = [...new Set((v.errors ?? []).filter((e) => e.keyword !== 'if').map(describe))];
    fail('BNNC_E060', `${file}: ${lines.join('; ')}`);
  }
  const t = data as Target;
  if (t.name !== name) fail('BNNC_E060', `${file}: /name must be '${name}', the file's name`);
  return t;
}
