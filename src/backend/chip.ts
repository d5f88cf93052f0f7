// Chip profiles (targets/chips/<name>.json): a chip names the core target it runs (targets/<core>.json) and
// gives its clock, flash and RAM, flash wait states and active current, each figure with its source. They
// feed the fit check and the latency/energy estimates (src/bench/estimate.ts), never code generation.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv';
import { fail } from '../errors.js';
import type { Target } from './target.js';
import SCHEMA from './chip.schema.json' with { type: 'json' };

/** A figure and where it comes from; a source starting with 'not confirmed:' says no found source confirms it. */
export interface Figure<T> {
  readonly value: T;
  readonly source: string;
}

export type ActiveCurrent = { readonly mA: number; readonly atMHz: number } | { readonly uAPerMHz: number };

export interface ChipProfile {
  readonly name: string;
  readonly description: string;
  /** The core target, targets/<core>.json: code generation, verify and bench use it. */
  readonly core: string;
  /** The clock of the estimates. */
  readonly clockDefaultMHz: Figure<number>;
  readonly clockMaxMHz: Figure<number>;
  readonly flashBytes: Figure<number>;
  readonly ramBytes: Figure<number>;
  /** Wait states per flash access at the default clock (null: unknown), and whether a cache hides them. */
  readonly flashWaitStates: Figure<number | null> & { readonly hiddenByCache: boolean };
  readonly activeCurrent: Figure<ActiveCurrent | null> & { readonly conditions: string };
  readonly supplyVolts: Figure<number | null>;
  readonly note?: string;
}

/** A core target, or a chip's core target carrying the chip. */
export type ResolvedTarget = Target & { readonly chip?: ChipProfile };

export const CHIPS_DIR = fileURLToPath(new URL('../../targets/chips/', import.meta.url));

/** The chip names in `dir` (default: the package's targets/chips/), sorted. */
export function listChips(dir: string = CHIPS_DIR): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir).filter((f) => f.endsWith('.json')).map((f) => f.slice(0, -5)).sort();
}

let validator: ValidateFunction | undefined;

function describe(e: ErrorObject): string {
  const at = e.instancePath || '/';
  const p = e.params as { additionalProperty?: string; missingProperty?: string; pattern?: string };
  if (p.additionalProperty !== undefined) return `${at} has an unknown field '${p.additionalProperty}'`;
  if (p.pattern === '^not confirmed:') return `${at.replace(/\/source$/, '')} is null, so its source must start with 'not confirmed:'`;
  return `${at} ${e.message ?? 'is invalid'}`;
}

/** Loads and validates targets/chips/<name>.json; a bad file is BNNC_E090 naming the file and the field. */
export function loadChip(name: string, dir: string = CHIPS_DIR): ChipProfile {
  const file = join(dir, `${name}.json`);
  let data: unknown;
  try {
    data = JSON.parse(readFileSync(file, 'utf8'));
  } catch (e) {
    fail('BNNC_E090', `${file}: ${(e as Error).message}`);
  }
  validator ??= new Ajv({ allErrors: true }).compile(SCHEMA);
  if (!validator(data)) {
    const skip = new Set(['if', 'oneOf']);
    const lines = [...new Set((validator.errors ?? []).filter((e) => !skip.has(e.keyword)).map(describe))];
    fail('BNNC_E090', `${file}: ${lines.join('; ')}`);
  }
  const chip = data as ChipProfile;
  if (chip.name !== name) fail('BNNC_E090', `${file}: /name must be '${name}', the file's name`);
  if (chip.clockDefaultMHz.value > chip.clockMaxMHz.value) {
    fail('BNNC_E090', `${file}: /clockDefaultMHz (${chip.clockDefaultMHz.value}) is above /clockMaxMHz (${chip.clockMaxMHz.value})`);
  }
  return chip;
}

/** The fields whose figure no found source confirms (their source starts with 'not confirmed:'). */
export function unconfirmedFigures(chip: ChipProfile): string[] {
  const fields = ['clockDefaultMHz', 'clockMaxMHz', 'flashBytes', 'ramBytes', 'flashWaitStates', 'activeCurrent', 'supplyVolts'] as const;
  return fields.filter((f) => chip[f].source.startsWith('not confirmed'));
}

export interface CoreTargets {
  readonly list: () => readonly string[];
  readonly load: (name: string) => Target;
}

/**
 * `--target <name>`: a core target as it is, or a chip as its core target plus the chip. A chip may not take a
 * core target's name, and its core must exist (BNNC_E090); an unknown name is BNNC_E019 listing both.
 */
export function resolveTarget(name: string, cores: CoreTargets, dir: string = CHIPS_DIR): ResolvedTarget {
  const coreNames = cores.list();
  const chips = listChips(dir);
  if (coreNames.includes(name)) return cores.load(name);
  if (!chips.includes(name)) {
    fail('BNNC_E019', `unknown target '${name}'; cores: ${coreNames.join(', ')}; chips: ${chips.join(', ')}`);
  }
  const chip = loadChip(name, dir);
  if (!coreNames.includes(chip.core)) {
    fail('BNNC_E090', `${join(dir, `${name}.json`)}: /core '${chip.core}' is not a core target (${coreNames.join(', ')})`);
  }
  return { ...cores.load(chip.core), chip };
}

/** Chip names that are also core target names (refused: `--target` would be ambiguous). */
export function chipNameClashes(cores: readonly string[], dir: string = CHIPS_DIR): string[] {
  return listChips(dir).filter((c) => cores.includes(c));
}
