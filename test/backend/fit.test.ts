// The fit check on real lowered models: a network whose packed activation maps outgrow an RP2040's 264 KB of
// RAM, and one whose dense weights outgrow an nRF52840's 1 MB of flash, are refused with the numbers; the
// example MLP fits both. Flash and RAM come from the cross-compiled object (measureFootprint).
import { describe, expect, it } from 'vitest';
import { listTargets, loadTarget } from '../../src/backend/target.js';
import { resolveTarget } from '../../src/backend/chip.js';
import { measureFootprint, STACK_BOUND_BYTES } from '../../src/backend/footprint.js';
import { checkFit } from '../../src/bench/estimate.js';
import { loadModel, lowerModel, parseInputQuant } from '../../src/compile.js';
import { available, hasTool, ROOT } from '../helpers/resources.js';
import { buildNet } from './random-net.js';
import { compileError as errorOf } from '../robustness/expect-error.js';

const CORES = { list: listTargets, load: loadTarget };
const NONE = { flash: 0, ram: 0 };

describe('fit on chips', () => {
  it('two 128-channel 128×128 binary maps (2 × 256 KB packed, live together) do not fit an RP2040', () => {
    const t = resolveTarget('rp2040', CORES);
    if (!available(t.compiler.cc, hasTool(t.compiler.cc))) return;
    const g = buildNet({ seed: 1, c0: 1, h: 128, layers: [{ m: 128, k: 3, s: 1, pad: 1 }, { m: 128, k: 3, s: 1, pad: 1 }], dense: 2 });
    const fp = measureFootprint(g, t);
    // the arena holds both packed maps: 2 · 128 · 128 · 128 / 8 bytes at least
    expect(fp.ram.staticData).toBeGreaterThanOrEqual(2 * 128 * 128 * 128 / 8);
    expect(fp.ram.stack).toBeGreaterThan(0);
    const e = errorOf(() => checkFit(fp, t.chip!, NONE));
    expect(e.code).toBe('BNNC_E092');
    const total = fp.ram.staticData + fp.ram.stack;
    expect(e.detail).toBe(`model RAM ${total.toLocaleString('en-US')} B (static data ${fp.ram.staticData.toLocaleString('en-US')} B + stack ${fp.ram.stack.toLocaleString('en-US')} B) > rp2040 RAM 270,336 B − reserve 0 B = 270,336 B`);
    // its weights (~0.5 MB) fit the Pico's 2 MB flash: only the RAM is refused
    expect(fp.flash.constants + fp.flash.code).toBeLessThan(2 * 1024 * 1024);
  });

  it('a dense layer of 33 × 262,144 binary weights (≈1.08 MB packed) does not fit an nRF52840', () => {
    const t = resolveTarget('nrf52840', CORES);
    if (!available(t.compiler.cc, hasTool(t.compiler.cc))) return;
    const g = buildNet({ seed: 2, c0: 1, h: 64, layers: [{ m: 64, k: 3, s: 1, pad: 1 }], dense: 33 });
    const fp = measureFootprint(g, t);
    expect(fp.flash.constants).toBeGreaterThanOrEqual(33 * 64 * 64 * 64 / 8);
    const e = errorOf(() => checkFit(fp, t.chip!, NONE));
    expect(e.code).toBe('BNNC_E091');
    const f = (n: number) => n.toLocaleString('en-US');
    expect(e.detail).toBe(`model flash ${f(fp.flash.constants + fp.flash.code)} B (constants ${f(fp.flash.constants)} B + code ${f(fp.flash.code)} B) > nrf52840 flash 1,048,576 B − reserve 0 B = 1,048,576 B`);
  });

  it('the example MLP fits an nRF52840 and an RP2040; a reserve can make it not fit', () => {
    const lo = {};
    const g = lowerModel(loadModel(`${ROOT}examples/mlp/mlp.onnx`, lo), { ...lo, inputQuant: parseInputQuant('1/255', undefined, 'uint8', undefined) });
    for (const name of ['nrf52840', 'rp2040']) {
      const t = resolveTarget(name, CORES);
      if (!available(t.compiler.cc, hasTool(t.compiler.cc))) continue;
      const fp = measureFootprint(g, t);
      const fit = checkFit(fp, t.chip!, NONE);
      expect(fit.flash.model).toBeGreaterThan(30_000);
      expect(fit.ram.model).toBeLessThan(STACK_BOUND_BYTES + 1024);
      const reserve = { flash: t.chip!.flashBytes.value - fit.flash.model + 1, ram: 0 };
      expect(errorOf(() => checkFit(fp, t.chip!, reserve)).code).toBe('BNNC_E091');
    }
  });

  it('without the cross compiler: the constant bytes, the arena and the stack bound, and a note saying so', () => {
    const t = resolveTarget('rp2040', CORES);
    const missing = { ...t, compiler: { ...t.compiler, cc: 'bnnc-no-such-cc' } };
    const g = buildNet({ seed: 3, c0: 1, h: 8, layers: [{ m: 32, k: 3, s: 1, pad: 1 }], dense: 4 });
    const fp = measureFootprint(g, missing);
    // constants: 32 filters of 9 taps (first layer, packed ±1 weights or int8) and 4 × 2048 dense weight bits at least
    expect(fp.flash.constants).toBeGreaterThanOrEqual(4 * 32 * 8 * 8 / 8);
    expect(fp.flash.code).toBe(0);
    expect(fp.ram.stack).toBe(STACK_BOUND_BYTES);
    expect(fp.notes.join()).toMatch(/bnnc-no-such-cc is not installed: flash counts the constants only/);
  });
});
