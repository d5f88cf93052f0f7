// Chip profiles: every shipped profile passes the schema, cites a source for every figure and names an
// existing core; a broken file is BNNC_E090 naming the file and the field; `--target` resolves chips to their core.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { CHIPS_DIR, chipNameClashes, listChips, loadChip, resolveTarget, unconfirmedFigures, type CoreTargets } from '../../src/backend/chip.js';
import { listTargets, loadTarget } from '../../src/backend/target.js';
import { compileError as errorOf } from '../robustness/expect-error.js';

const CORES: CoreTargets = { list: listTargets, load: loadTarget };
const FIGURES = ['clockDefaultMHz', 'clockMaxMHz', 'flashBytes', 'ramBytes', 'flashWaitStates', 'activeCurrent', 'supplyVolts'] as const;

describe('shipped chip profiles', () => {
  it('include the chips of issue #17', () => {
    expect(listChips()).toEqual(expect.arrayContaining(['nrf52840', 'nrf5340', 'stm32l4r5', 'stm32u575', 'rp2040', 'esp32-c3', 'esp32-s3', 'apollo3']));
  });

  it.each(listChips())('%s: valid, its core exists, every figure has a source', (name) => {
    const chip = loadChip(name);
    expect(listTargets()).toContain(chip.core);
    for (const f of FIGURES) expect(chip[f].source.length, `${name} ${f}`).toBeGreaterThan(10);
    // a figure without a value must say it is not confirmed (the schema's rule, checked on the data too)
    for (const f of FIGURES) if (chip[f].value === null) expect(unconfirmedFigures(chip)).toContain(f);
  });

  it('no chip takes a core target name', () => {
    expect(chipNameClashes(listTargets())).toEqual([]);
  });

  it('the cores the issue names', () => {
    const core = (n: string) => loadChip(n).core;
    expect([core('nrf52840'), core('nrf5340'), core('stm32l4r5'), core('stm32u575'), core('rp2040'), core('esp32-c3'), core('esp32-s3'), core('apollo3')])
      .toEqual(['cortex-m4', 'cortex-m33', 'cortex-m4', 'cortex-m33', 'cortex-m0plus', 'esp32c3', 'esp32s3', 'cortex-m4']);
  });
});

describe('resolveTarget', () => {
  it('a core name gives the core target, without a chip', () => {
    const t = resolveTarget('cortex-m4', CORES);
    expect(t.name).toBe('cortex-m4');
    expect(t.chip).toBeUndefined();
  });

  it('a chip name gives its core target plus the chip', () => {
    const t = resolveTarget('rp2040', CORES);
    expect(t.name).toBe('cortex-m0plus');
    expect(t.compiler).toEqual(loadTarget('cortex-m0plus').compiler);
    expect(t.chip?.name).toBe('rp2040');
    expect(t.chip?.ramBytes.value).toBe(264 * 1024);
  });

  it('an unknown name is BNNC_E019 listing cores and chips', () => {
    const e = errorOf(() => resolveTarget('nrf9999', CORES));
    expect(e.code).toBe('BNNC_E019');
    expect(e.detail).toMatch(/cores: .*cortex-m4/);
    expect(e.detail).toMatch(/chips: .*nrf52840/);
  });
});

describe('schema errors', () => {
  const dir = mkdtempSync(join(tmpdir(), 'bnnc-chips-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const base = () => JSON.parse(readFileSync(join(CHIPS_DIR, 'nrf52840.json'), 'utf8')) as Record<string, unknown>;
  const write = (name: string, data: unknown) => {
    writeFileSync(join(dir, `${name}.json`), typeof data === 'string' ? data : JSON.stringify(data));
    return join(dir, `${name}.json`);
  };

  it('a copy of a shipped profile loads', () => {
    write('nrf52840', base());
    expect(loadChip('nrf52840', dir).flashBytes.value).toBe(1048576);
  });

  it('a missing figure names the field', () => {
    const d = base();
    delete d.ramBytes;
    d.name = 'noram';
    const file = write('noram', d);
    const e = errorOf(() => loadChip('noram', dir));
    expect(e.code).toBe('BNNC_E090');
    expect(e.detail).toContain(file);
    expect(e.detail).toContain("must have required property 'ramBytes'");
  });

  it('a figure without its source names the field', () => {
    const d = base();
    d.name = 'nosource';
    d.flashBytes = { value: 1048576 };
    write('nosource', d);
    expect(errorOf(() => loadChip('nosource', dir)).detail).toContain("/flashBytes must have required property 'source'");
  });

  it('a null figure whose source does not say "not confirmed"', () => {
    const d = base();
    d.name = 'nullcurrent';
    d.activeCurrent = { value: null, conditions: 'CoreMark', source: 'nRF52840 PS v1.7, CPU running' };
    write('nullcurrent', d);
    expect(errorOf(() => loadChip('nullcurrent', dir)).detail).toContain("/activeCurrent is null, so its source must start with 'not confirmed:'");
  });

  it('wrong types, unknown fields, a name that is not the file name, bad JSON', () => {
    const d = base();
    d.name = 'typo';
    d.ramBytes = { value: '256K', source: 'PlatformIO board docs' };
    d.flashSize = 3;
    write('typo', d);
    const e = errorOf(() => loadChip('typo', dir));
    expect(e.detail).toContain('/ramBytes/value must be integer');
    expect(e.detail).toContain("/ has an unknown field 'flashSize'");
    write('renamed', base());
    expect(errorOf(() => loadChip('renamed', dir)).detail).toContain("/name must be 'renamed'");
    write('broken', '{ "name": ');
    expect(errorOf(() => loadChip('broken', dir)).code).toBe('BNNC_E090');
  });

  it('a default clock above the maximum', () => {
    const d = base();
    d.name = 'fast';
    d.clockDefaultMHz = { value: 128, source: 'a test profile, not a chip' };
    write('fast', d);
    expect(errorOf(() => loadChip('fast', dir)).detail).toContain('/clockDefaultMHz (128) is above /clockMaxMHz (64)');
  });

  it('a chip whose core is not a core target', () => {
    const d = base();
    d.name = 'nocore';
    d.core = 'cortex-m99';
    write('nocore', d);
    const e = errorOf(() => resolveTarget('nocore', CORES, dir));
    expect(e.code).toBe('BNNC_E090');
    expect(e.detail).toContain("/core 'cortex-m99' is not a core target");
  });
});
