// The chip arithmetic, kept pure: does a model fit a chip's flash and RAM next to the application's reserve,
// and how many milliseconds and microjoules one inference takes at the chip's clock (estimates; method in
// docs/benchmarks-method.md, "Milliseconds and microjoules on a chip").
import { fail } from '../errors.js';
import { unconfirmedFigures, type ChipProfile } from '../backend/chip.js';
import type { Footprint } from '../backend/footprint.js';

export type { Footprint };

/** What the application keeps of the chip's flash and RAM (--reserve-flash, --reserve-ram). */
export interface Reserve {
  readonly flash: number;
  readonly ram: number;
}

export interface FitLine {
  /** The model's bytes. */
  readonly model: number;
  readonly chip: number;
  readonly reserve: number;
  /** chip − reserve − model: what is left for more (negative: does not fit). */
  readonly left: number;
}

export interface Fit {
  readonly chip: string;
  readonly flash: FitLine;
  readonly ram: FitLine;
}

const B = (n: number) => `${Math.round(n).toLocaleString('en-US')} B`;

/** `--reserve-flash 64K`: bytes, or with a K (1024) or M (1 048 576) suffix; anything else is BNNC_E093. */
export function parseBytes(flag: string, text: string): number {
  const m = /^\s*(\d+(?:\.\d+)?)\s*([kKmM]i?[bB]?)?\s*$/.exec(text);
  const unit = m?.[2]?.[0]?.toUpperCase();
  const n = m ? Number(m[1]) * (unit === 'K' ? 1024 : unit === 'M' ? 1024 * 1024 : 1) : NaN;
  if (!Number.isSafeInteger(n) || n < 0) fail('BNNC_E093', `${flag} '${text}': expected a whole number of bytes, optionally with K or M (e.g. 65536, 64K, 1M)`);
  return n;
}

/** The model against the chip minus the reserve (a reserve that leaves nothing is BNNC_E093). */
export function fitOf(fp: Footprint, chip: ChipProfile, reserve: Reserve): Fit {
  const line = (model: number, size: number, r: number): FitLine => ({ model, chip: size, reserve: r, left: size - r - model });
  const flash = line(fp.flash.constants + fp.flash.code, chip.flashBytes.value, reserve.flash);
  const ram = line(fp.ram.staticData + fp.ram.stack, chip.ramBytes.value, reserve.ram);
  if (reserve.flash >= flash.chip) fail('BNNC_E093', `--reserve-flash ${B(reserve.flash)} leaves nothing of ${chip.name}'s ${B(flash.chip)} of flash`);
  if (reserve.ram >= ram.chip) fail('BNNC_E093', `--reserve-ram ${B(reserve.ram)} leaves nothing of ${chip.name}'s ${B(ram.chip)} of RAM`);
  return { chip: chip.name, flash, ram };
}

/** fitOf, and a model that does not fit is BNNC_E091 (flash) or BNNC_E092 (RAM) with the numbers. */
export function checkFit(fp: Footprint, chip: ChipProfile, reserve: Reserve): Fit {
  const fit = fitOf(fp, chip, reserve);
  const { flash, ram } = fit;
  const flashText = `model flash ${B(flash.model)} (constants ${B(fp.flash.constants)} + code ${B(fp.flash.code)}) > ${chip.name} flash ${B(flash.chip)} − reserve ${B(flash.reserve)} = ${B(flash.chip - flash.reserve)}`;
  const ramText = `model RAM ${B(ram.model)} (static data ${B(fp.ram.staticData)} + stack ${B(fp.ram.stack)}) > ${chip.name} RAM ${B(ram.chip)} − reserve ${B(ram.reserve)} = ${B(ram.chip - ram.reserve)}`;
  if (flash.left < 0) fail('BNNC_E091', ram.left < 0 ? `${flashText}; and ${ramText}` : flashText);
  if (ram.left < 0) fail('BNNC_E092', ramText);
  return fit;
}

/** One line per memory: "flash 37,640 B of 1,048,576 B − reserve 0 B (1,010,936 B left)". */
export function formatFit(f: Fit): string {
  const one = (what: string, l: FitLine) => `${what} ${B(l.model)} of ${f.chip}'s ${B(l.chip)}${l.reserve ? ` − reserve ${B(l.reserve)}` : ''} (${l.left < 0 ? `DOES NOT FIT: ${B(-l.left)} over` : `${B(l.left)} left`})`;
  return `${one('flash', f.flash)}; ${one('RAM', f.ram)}`;
}

export interface ChipEstimate {
  readonly chip: string;
  readonly clockMHz: number;
  /** The bench's cycle estimate (zero wait states). */
  readonly cycles: number;
  /** Flash wait-state cycles added: wait states × executed instructions, or 0 when a cache hides them or they are unknown. */
  readonly waitCycles: number;
  readonly ms: number;
  /** Active current at the clock (mA) and supply (V), when the profile has both. */
  readonly currentMA?: number;
  readonly volts?: number;
  readonly uJ?: number;
  readonly notes: readonly string[];
}

/**
 * Milliseconds and microjoules of one inference at the chip's default clock f (MHz):
 *   cycles' = cycles + w·N (w wait states per flash access, N executed instructions: one fetch each, an upper
 *             bound; w = 0 when a cache or accelerator hides the wait states or the profile does not know them)
 *   t [ms]  = cycles' / (f · 1000)
 *   I [mA]  = I_ref · f / f_ref (a current stated at f_ref, scaled linearly), or (µA/MHz) · f / 1000
 *   E [µJ]  = I [mA] · V [V] · t [ms]      (1 mA · 1 V · 1 ms = 1 µJ)
 */
export function estimateOnChip(chip: ChipProfile, run: { cycles: number; instructions: number }): ChipEstimate {
  const f = chip.clockDefaultMHz.value;
  const notes: string[] = [];
  const w = chip.flashWaitStates.value;
  let waitCycles = 0;
  if (w === null) notes.push(`flash wait states of ${chip.name} unknown: none added`);
  else if (chip.flashWaitStates.hiddenByCache) notes.push(`${w} flash wait states at ${f} MHz assumed hidden by the cache`);
  else waitCycles = w * run.instructions;
  const ms = (run.cycles + waitCycles) / (f * 1000);
  const c = chip.activeCurrent.value, v = chip.supplyVolts.value;
  const currentMA = c === null ? undefined : 'uAPerMHz' in c ? (c.uAPerMHz * f) / 1000 : (c.mA * f) / c.atMHz;
  if (currentMA === undefined) notes.push(`no active current for ${chip.name}: no µJ`);
  if (v === null) notes.push(`no supply voltage for ${chip.name}: no µJ`);
  const uJ = currentMA !== undefined && v !== null ? currentMA * v * ms : undefined;
  return { chip: chip.name, clockMHz: f, cycles: run.cycles, waitCycles, ms, currentMA, volts: v ?? undefined, uJ, notes };
}

/**
 * Where a cycle table comes from (docs/benchmarks-method.md): none is measured on hardware; the Cortex-M3/M4
 * table is documented counts, and derived for the other cores that use it (Cortex-M33); the others are derived.
 */
export function cycleTableProvenance(costModel: string): string {
  const text: Record<string, string> = {
    'cortex-m3/m4': 'Cortex-M3/M4: documented counts (Arm DDI 0337, TI SWCU192), not measured on hardware; derived (unchecked) for the other cores that use it, the Cortex-M33',
    'cortex-m0+': "Cortex-M0+: derived (the Cortex-M0 table minus the M0+ pipeline's refill cycle), not checked against Arm DDI 0484",
    'rv32': "RV32: derived (the Hazard3 core's timings; Espressif publishes none for the ESP32-C3)",
  };
  return text[costModel] ?? `${costModel}: see docs/benchmarks-method.md`;
}

/** What `bench --target <chip>` adds to its report. */
export interface ChipBench {
  readonly chip: string;
  readonly description: string;
  /** Absent when the core was not run or has no cycle table. */
  readonly estimate?: ChipEstimate;
  /** Where the core's cycle table comes from (derived or documented; none measured). */
  readonly cycleTable?: string;
  readonly fit: Fit;
  /** Profile figures no found source confirms. */
  readonly unconfirmed: readonly string[];
  readonly notes: readonly string[];
}

/** The bench report's measurements as they enter the chip figures. */
export interface BenchFigures {
  readonly ran: boolean;
  readonly total: { readonly instructions?: number; readonly cyclesEstimate?: number };
  readonly cycleModel: string | null;
  readonly flash: { readonly weights: number; readonly thresholds: number; readonly otherConst: number; readonly code: number };
  readonly ram: { readonly staticData: number; readonly stack?: number };
}

/** `bench --target <chip>`: the fit from the bench's own build and painted stack, and ms/µJ from its cycle estimate. */
export function benchChip(chip: ChipProfile, core: string, r: BenchFigures, reserve: Reserve): ChipBench {
  const notes: string[] = [];
  if (r.ram.stack === undefined) notes.push('stack not measured (the code did not run): RAM counts the static data only');
  const fp: Footprint = {
    flash: { constants: r.flash.weights + r.flash.thresholds + r.flash.otherConst, code: r.flash.code },
    ram: { staticData: r.ram.staticData, stack: r.ram.stack ?? 0 },
    notes,
  };
  const t = r.total;
  const estimate = r.ran && t.cyclesEstimate !== undefined && t.instructions !== undefined
    ? estimateOnChip(chip, { cycles: t.cyclesEstimate, instructions: t.instructions }) : undefined;
  return {
    chip: chip.name, description: chip.description, estimate, fit: fitOf(fp, chip, reserve),
    cycleTable: r.cycleModel ? `${cycleTableProvenance(r.cycleModel)} (used here for the ${core})` : undefined, unconfirmed: unconfirmedFigures(chip), notes,
  };
}

export function formatChipBench(c: ChipBench): string[] {
  const out = [`chip ${c.chip} (${c.description}): fit ${formatFit(c.fit)}`];
  const e = c.estimate;
  if (e) {
    const uj = e.uJ === undefined ? 'µJ: —' : `${e.uJ.toFixed(e.uJ < 10 ? 2 : 1)} µJ per inference (estimate: ${e.currentMA!.toFixed(2)} mA at ${e.volts} V)`;
    out.push(`estimate at ${e.clockMHz} MHz: ${e.ms.toFixed(e.ms < 10 ? 3 : 2)} ms per inference (${Math.round(e.cycles + e.waitCycles).toLocaleString('en-US')} cycles${e.waitCycles ? `, of which ${e.waitCycles.toLocaleString('en-US')} flash wait states` : ''}); ${uj}`);
    for (const n of e.notes) out.push(`note: ${n}`);
  } else {
    out.push('estimate: no ms or µJ (no cycle estimate for this core)');
  }
  if (c.cycleTable) out.push(`note: cycle table ${c.cycleTable}`);
  for (const n of c.notes) out.push(`note: ${n}`);
  if (c.unconfirmed.length) out.push(`note: profile figures not confirmed by a source (see targets/chips/${c.chip}.json): ${c.unconfirmed.join(', ')}`);
  return out;
}
