// `--target <chip>` on the command line: `targets` lists chips beside cores, compile reports the fit and refuses
// a model that does not fit the chip minus the reserve (nothing written), bench adds ms and µJ estimates.
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { main } from '../../src/cli.js';
import { loadTarget } from '../../src/backend/target.js';
import { available, hasTool, ROOT } from '../helpers/resources.js';

async function cli(...args: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '', err = '';
  const code = await main(['node', 'bnnc', ...args], { out: (s) => { out += s; }, err: (s) => { err += s; } });
  return { code, out, err };
}

const MLP = `${ROOT}examples/mlp/mlp.onnx`;
const dir = mkdtempSync(join(tmpdir(), 'bnnc-chip-cli-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('chips on the command line', () => {
  it('targets lists the chips with their core', async () => {
    const t = await cli('targets');
    expect(t.code).toBe(0);
    expect(t.out).toMatch(/^nrf52840\s+chip: cortex-m4\s+64 MHz, flash 1024 KB, RAM 256 KB/m);
    expect(t.out).toMatch(/^rp2040\s+chip: cortex-m0plus/m);
    expect(t.out).toMatch(/^cortex-m4\s/m);
  });

  it('compile --target rp2040: the core\'s C and the fit', async () => {
    const t = loadTarget('rp2040');
    expect(t.name).toBe('cortex-m0plus');
    if (!available(t.compiler.cc, hasTool(t.compiler.cc))) return;
    const r = await cli(MLP, '--target', 'rp2040', '-o', join(dir, 'rp'), '--input-scale', '1/255', '--reserve-ram', '64K');
    expect(r.err).toBe('');
    expect(r.code).toBe(0);
    expect(r.out).toContain('(rp2040, core cortex-m0plus)');
    expect(r.out).toMatch(/fits: flash [\d,]+ B of rp2040's 2,097,152 B \([\d,]+ B left\); RAM [\d,]+ B of rp2040's 270,336 B − reserve 65,536 B/);
  });

  it('a reserve that leaves too little flash is BNNC_E091 with the numbers, and nothing is written', async () => {
    const t = loadTarget('nrf52840');
    if (!available(t.compiler.cc, hasTool(t.compiler.cc))) return;
    const out = join(dir, 'nrf');
    const r = await cli(MLP, '--target', 'nrf52840', '-o', out, '--input-scale', '1/255', '--reserve-flash', '1000K');
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/BNNC_E091: the model does not fit the chip's flash: model flash [\d,]+ B \(constants [\d,]+ B \+ code [\d,]+ B\) > nrf52840 flash 1,048,576 B − reserve 1,024,000 B = 24,576 B/);
    expect(existsSync(out)).toBe(false);
    const bad = await cli(MLP, '--target', 'nrf52840', '-o', out, '--reserve-ram', 'lots');
    expect(bad.code).toBe(2);
    expect(bad.err).toContain('BNNC_E093');
  });

  it('bench --target nrf52840 adds ms and µJ per inference, labelled estimates', async () => {
    const t = loadTarget('nrf52840');
    if (!available(`${t.compiler.cc} and ${t.emulator!.command}`, hasTool(t.compiler.cc) && hasTool(t.emulator!.command))) return;
    const r = await cli('bench', MLP, '--target', 'nrf52840', '--input-scale', '1/255');
    expect(r.err).toBe('');
    expect(r.code).toBe(0);
    const cycles = Number(/\| \| \*\*inference\*\* \|[^|]*\|[^|]*\|[^|]*\|[^|]*\|[^|]*\| ([\d,]+) \|/.exec(r.out)![1].replace(/,/g, ''));
    // 64 MHz, 3.3 mA at 3.0 V (targets/chips/nrf52840.json): t = cycles / 64,000 ms, E = 3.3 · 3.0 · t µJ
    const ms = cycles / 64_000;
    expect(r.out).toContain(`estimate at 64 MHz: ${ms.toFixed(ms < 10 ? 3 : 2)} ms per inference (${cycles.toLocaleString('en-US')} cycles)`);
    expect(r.out).toContain(`${(3.3 * 3.0 * ms).toFixed(1)} µJ per inference (estimate: 3.30 mA at 3 V)`);
    expect(r.out).toMatch(/chip nrf52840 .*: fit flash [\d,]+ B of nrf52840's 1,048,576 B/);
    expect(r.out).toContain('not confirmed by a source');
  });

  it('verify --target rp2040 runs the Cortex-M0+ code under its emulator', async () => {
    const t = loadTarget('rp2040');
    if (!available(`${t.compiler.cc} and ${t.emulator!.command}`, hasTool(t.compiler.cc) && hasTool(t.emulator!.command))) return;
    const r = await cli('verify', MLP, '--target', 'rp2040', '--input-scale', '1/255', '--random', '3');
    expect(r.err).toBe('');
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/^cortex-m0plus: 3 vectors, every output bit-exact/);
  });
});
