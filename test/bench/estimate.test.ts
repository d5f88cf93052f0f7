// The chip arithmetic of src/bench/estimate.ts against figures worked out by hand: milliseconds from cycles,
// wait states and clock; microjoules from current, voltage and time; the fit check's refusals with the numbers.
import { describe, expect, it } from 'vitest';
import type { ChipProfile } from '../../src/backend/chip.js';
import { checkFit, cycleTableProvenance, estimateOnChip, fitOf, formatChipBench, formatFit, parseBytes, type Footprint } from '../../src/bench/estimate.js';
import { compileError as errorOf } from '../robustness/expect-error.js';

const src = 'a test profile, not a chip';
function chip(over: Partial<ChipProfile> = {}): ChipProfile {
  return {
    name: 'testchip', description: 'test', core: 'cortex-m4',
    clockDefaultMHz: { value: 64, source: src }, clockMaxMHz: { value: 64, source: src },
    flashBytes: { value: 1024 * 1024, source: src }, ramBytes: { value: 256 * 1024, source: src },
    flashWaitStates: { value: null, hiddenByCache: true, source: 'not confirmed: test' },
    activeCurrent: { value: { mA: 3.3, atMHz: 64 }, conditions: 'test', source: src },
    supplyVolts: { value: 3.0, source: src },
    ...over,
  };
}

describe('estimateOnChip', () => {
  it('640,000 cycles at 64 MHz are 10 ms; 3.3 mA at 3.0 V for 10 ms are 99 µJ', () => {
    const e = estimateOnChip(chip(), { cycles: 640_000, instructions: 500_000 });
    expect(e.waitCycles).toBe(0);
    expect(e.ms).toBeCloseTo(10, 12);
    expect(e.currentMA).toBeCloseTo(3.3, 12);
    expect(e.uJ).toBeCloseTo(99, 9);
    expect(e.notes.join()).toContain('wait states of testchip unknown');
  });

  it('a current stated at another clock scales with the clock: 2.7 mA at 64 MHz → 5.4 mA at 128 MHz', () => {
    const e = estimateOnChip(chip({ clockDefaultMHz: { value: 128, source: src }, clockMaxMHz: { value: 128, source: src }, activeCurrent: { value: { mA: 2.7, atMHz: 64 }, conditions: 't', source: src } }), { cycles: 1_280_000, instructions: 1 });
    expect(e.ms).toBeCloseTo(10, 12);
    expect(e.currentMA).toBeCloseTo(5.4, 12);
    expect(e.uJ).toBeCloseTo(5.4 * 3.0 * 10, 9);
  });

  it('µA/MHz: 19.5 µA/MHz at 160 MHz and 3.3 V, 1.6 M cycles → 10 ms, 3.12 mA, 102.96 µJ', () => {
    const e = estimateOnChip(chip({ clockDefaultMHz: { value: 160, source: src }, clockMaxMHz: { value: 160, source: src }, activeCurrent: { value: { uAPerMHz: 19.5 }, conditions: 't', source: src }, supplyVolts: { value: 3.3, source: src } }), { cycles: 1_600_000, instructions: 1 });
    expect(e.ms).toBeCloseTo(10, 12);
    expect(e.currentMA).toBeCloseTo(3.12, 12);
    expect(e.uJ).toBeCloseTo(102.96, 9);
  });

  it('wait states not hidden by a cache add w per executed instruction: 2 × 100,000 on 400,000 cycles at 50 MHz → 12 ms', () => {
    const e = estimateOnChip(chip({ clockDefaultMHz: { value: 50, source: src }, flashWaitStates: { value: 2, hiddenByCache: false, source: src } }), { cycles: 400_000, instructions: 100_000 });
    expect(e.waitCycles).toBe(200_000);
    expect(e.ms).toBeCloseTo(12, 12);
  });

  it('wait states hidden by a cache add nothing, and say so', () => {
    const e = estimateOnChip(chip({ flashWaitStates: { value: 5, hiddenByCache: true, source: src } }), { cycles: 640_000, instructions: 100_000 });
    expect(e.waitCycles).toBe(0);
    expect(e.notes.join()).toContain('5 flash wait states at 64 MHz assumed hidden by the cache');
  });

  it('no current or no voltage: no µJ, and a note', () => {
    const a = estimateOnChip(chip({ activeCurrent: { value: null, conditions: 't', source: 'not confirmed: test' } }), { cycles: 64_000, instructions: 1 });
    expect(a.uJ).toBeUndefined();
    expect(a.ms).toBeCloseTo(1, 12);
    expect(a.notes.join()).toContain('no active current');
    const b = estimateOnChip(chip({ supplyVolts: { value: null, source: 'not confirmed: test' } }), { cycles: 64_000, instructions: 1 });
    expect(b.uJ).toBeUndefined();
    expect(b.currentMA).toBeCloseTo(3.3, 12);
  });
});

describe('parseBytes', () => {
  it('bytes, K and M', () => {
    expect(parseBytes('--reserve-ram', '4096')).toBe(4096);
    expect(parseBytes('--reserve-ram', '64K')).toBe(65536);
    expect(parseBytes('--reserve-ram', '64k')).toBe(65536);
    expect(parseBytes('--reserve-flash', '1M')).toBe(1048576);
    expect(parseBytes('--reserve-flash', '1.5M')).toBe(1572864);
    expect(parseBytes('--reserve-flash', '0')).toBe(0);
  });

  it.each(['', 'abc', '-1', '12G', '1.5', '0.3K'])("'%s' is BNNC_E093", (s) => {
    const e = errorOf(() => parseBytes('--reserve-ram', s));
    expect(e.code).toBe('BNNC_E093');
    expect(e.detail).toContain('--reserve-ram');
  });
});

describe('checkFit', () => {
  const fp = (constants: number, code: number, staticData: number, stack: number): Footprint => ({ flash: { constants, code }, ram: { staticData, stack }, notes: [] });

  it('a model that fits: what is left after the reserve', () => {
    const f = checkFit(fp(36_244, 1_396, 80, 460), chip(), { flash: 65536, ram: 8192 });
    expect(f.flash).toEqual({ model: 37_640, chip: 1_048_576, reserve: 65_536, left: 1_048_576 - 65_536 - 37_640 });
    expect(f.ram).toEqual({ model: 540, chip: 262_144, reserve: 8192, left: 262_144 - 8192 - 540 });
    expect(formatFit(f)).toBe("flash 37,640 B of testchip's 1,048,576 B − reserve 65,536 B (945,400 B left); RAM 540 B of testchip's 262,144 B − reserve 8,192 B (253,412 B left)");
  });

  it('exactly full fits; one byte more is BNNC_E091 with the numbers', () => {
    expect(checkFit(fp(1_000_000, 48_576 - 4096, 0, 0), chip(), { flash: 4096, ram: 0 }).flash.left).toBe(0);
    const e = errorOf(() => checkFit(fp(1_000_001, 48_576 - 4096, 0, 0), chip(), { flash: 4096, ram: 0 }));
    expect(e.code).toBe('BNNC_E091');
    expect(e.detail).toBe('model flash 1,044,481 B (constants 1,000,001 B + code 44,480 B) > testchip flash 1,048,576 B − reserve 4,096 B = 1,044,480 B');
  });

  it('RAM over: BNNC_E092 with the numbers', () => {
    const e = errorOf(() => checkFit(fp(10, 10, 262_000, 848), chip(), { flash: 0, ram: 0 }));
    expect(e.code).toBe('BNNC_E092');
    expect(e.detail).toBe('model RAM 262,848 B (static data 262,000 B + stack 848 B) > testchip RAM 262,144 B − reserve 0 B = 262,144 B');
  });

  it('both over: BNNC_E091 naming both', () => {
    const e = errorOf(() => checkFit(fp(2_000_000, 0, 300_000, 0), chip(), { flash: 0, ram: 0 }));
    expect(e.code).toBe('BNNC_E091');
    expect(e.detail).toMatch(/model flash .*; and model RAM 300,000 B/);
  });

  it('a reserve as large as the memory is BNNC_E093', () => {
    expect(errorOf(() => checkFit(fp(1, 1, 1, 1), chip(), { flash: 1_048_576, ram: 0 })).code).toBe('BNNC_E093');
    expect(errorOf(() => checkFit(fp(1, 1, 1, 1), chip(), { flash: 0, ram: 300_000 })).detail).toContain("--reserve-ram 300,000 B leaves nothing of testchip's 262,144 B of RAM");
  });
});

describe('the bench report of a chip', () => {
  it('fitOf reports a model that does not fit without refusing it (bench shows it, compile refuses)', () => {
    const f = fitOf({ flash: { constants: 2_000_000, code: 0 }, ram: { staticData: 10, stack: 10 }, notes: [] }, chip(), { flash: 0, ram: 0 });
    expect(f.flash.left).toBe(1_048_576 - 2_000_000);
    expect(formatFit(f)).toContain('flash 2,000,000 B of testchip\'s 1,048,576 B (DOES NOT FIT: 951,424 B over)');
  });

  it('formatChipBench: ms, µJ with current and voltage, the fit, the notes', () => {
    const c = chip();
    const lines = formatChipBench({
      chip: 'testchip', description: 'test', estimate: estimateOnChip(c, { cycles: 640_000, instructions: 500_000 }),
      cycleTable: cycleTableProvenance('cortex-m3/m4'), fit: fitOf({ flash: { constants: 100, code: 50 }, ram: { staticData: 80, stack: 460 }, notes: [] }, c, { flash: 0, ram: 0 }),
      unconfirmed: ['flashWaitStates'], notes: [],
    });
    expect(lines[1]).toBe('estimate at 64 MHz: 10.00 ms per inference (640,000 cycles); 99.0 µJ per inference (estimate: 3.30 mA at 3 V)');
    expect(lines.join('\n')).toContain('derived (unchecked) for the other cores that use it, the Cortex-M33');
    expect(lines.join('\n')).toContain('not confirmed by a source (see targets/chips/testchip.json): flashWaitStates');
  });

  it('which cycle tables are derived (docs/benchmarks-method.md)', () => {
    expect(cycleTableProvenance('cortex-m3/m4')).toMatch(/documented counts .* derived \(unchecked\) for .* Cortex-M33/);
    expect(cycleTableProvenance('cortex-m0+')).toMatch(/^Cortex-M0\+: derived/);
    expect(cycleTableProvenance('rv32')).toMatch(/^RV32: derived/);
  });
});
