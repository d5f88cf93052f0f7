// The instruction-count plugin on Cortex-M4 (mps2-an386) and RV32 (virt): a guest marks around loops of
// exactly 3 instructions per iteration; the counts between marks must be 3·n + a constant that does not
// depend on n, identical across runs, and the limit must stop a guest that never ends.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildPlugin, LIMIT_EXIT_CODE, MARK_SYMBOL, runCounted, symbolAddress } from '../../src/bench/plugin.js';
import { hasTool } from '../helpers/resources.js';

const FIXTURES = fileURLToPath(new URL('./fixtures/', import.meta.url));
const N = 100_000;
const PER_ITER = 3;
/** Kills a run that hangs: a guard only, far beyond what any run here takes, so a loaded machine never hits it. */
const GUARD_MS = 600_000;

interface Arch {
  name: string;
  tools: string[];
  build(out: string, defines: string[]): void;
  qemu(elf: string): string[];
}

const ARCHES: Arch[] = [
  {
    name: 'cortex-m4',
    tools: ['gcc', 'arm-none-eabi-gcc', 'arm-none-eabi-nm', 'qemu-system-arm'],
    build: (out, defines) => execFileSync('arm-none-eabi-gcc', [
      '-mcpu=cortex-m4', '-mthumb', '-O2', '-ffreestanding', '-nostdlib', '-Wall', '-Wextra', '-Werror', ...defines,
      '-T', join(FIXTURES, 'arm.ld'), '-o', out, join(FIXTURES, 'start-arm.c'), join(FIXTURES, 'count.c'),
    ]),
    qemu: (elf) => ['qemu-system-arm', '-M', 'mps2-an386', '-cpu', 'cortex-m4', '-nographic', '-monitor', 'none',
      '-serial', 'none', '-semihosting-config', 'enable=on,target=native', '-kernel', elf],
  },
  {
    name: 'rv32',
    tools: ['gcc', 'riscv64-unknown-elf-gcc', 'riscv64-unknown-elf-nm', 'qemu-system-riscv32'],
    build: (out, defines) => execFileSync('riscv64-unknown-elf-gcc', [
      '-march=rv32imc', '-mabi=ilp32', '-O2', '-ffreestanding', '-nostdlib', '-Wall', '-Wextra', '-Werror', ...defines,
      '-Wl,--no-warn-rwx-segments', '-T', join(FIXTURES, 'rv32.ld'), '-o', out,
      join(FIXTURES, 'start-rv32.S'), join(FIXTURES, 'count.c'),
    ]),
    qemu: (elf) => ['qemu-system-riscv32', '-M', 'virt', '-bios', 'none',
      '-cpu', 'rv32,zba=false,zbb=false,zbc=false,zbs=false', '-nographic', '-monitor', 'none', '-serial', 'none',
      '-semihosting-config', 'enable=on,target=native', '-kernel', elf],
  },
];

for (const arch of ARCHES) {
  describe.runIf(arch.tools.every(hasTool))(`instruction-count plugin on ${arch.name}`, () => {
    let dir = '';
    let spinElf = '';
    let hangElf = '';
    let faultElf = '';
    let plugin = '';
    beforeAll(() => {
      dir = mkdtempSync(join(tmpdir(), `bnnc-plugin-test-${arch.name}-`));
      [spinElf, hangElf, faultElf] = ['spin.elf', 'hang.elf', 'fault.elf'].map((f) => join(dir, f));
      arch.build(spinElf, [`-DSPIN=${N}`]);
      arch.build(hangElf, [`-DSPIN=${N}`, '-DHANG']);
      arch.build(faultElf, [`-DSPIN=${N}`, '-DFAULT']);
      plugin = buildPlugin();
    });
    afterAll(() => rmSync(dir, { recursive: true, force: true }));

    it('counts 3 per iteration plus a constant independent of n, the same on every run', () => {
      const runs = [0, 1].map(() => runCounted({ qemu: arch.qemu(spinElf), elf: spinElf, plugin, timeoutMs: GUARD_MS }));
      for (const r of runs) {
        expect(r.exitCode, r.stderr).toBe(0);
        expect(r.limitHit).toBe(false);
        expect(r.marks).toHaveLength(4);
      }
      expect(runs[1].marks).toEqual(runs[0].marks);
      expect(runs[1].total).toBe(runs[0].total);

      const [m0, m1, m2, m3] = runs[0].marks;
      const overhead = m1 - m0; // back-to-back marks: the call and the marker's return
      const c1 = m2 - m1 - PER_ITER * N;
      const c2 = m3 - m2 - PER_ITER * 2 * N;
      console.log(`${arch.name}: marks ${runs[0].marks.join(' ')}, total ${runs[0].total}; ` +
        `mark overhead ${overhead}, constant ${c1} (n) / ${c2} (2n)`);
      expect(overhead).toBe(2);
      expect(c1).toBe(c2);
      expect(c1 - overhead).toBeGreaterThanOrEqual(0);
      expect(c1 - overhead).toBeLessThanOrEqual(2); // loading the loop count: one or two instructions
      // after the last mark: the marker's return, the exit block set-up, the call, the semihosting trap
      expect(runs[0].total - m3).toBeGreaterThan(3);
      expect(runs[0].total - m3).toBeLessThan(20);
    });

    it('takes the marker address as given, with or without the Thumb bit', () => {
      const addr = symbolAddress(spinElf, MARK_SYMBOL);
      const plain = runCounted({ qemu: arch.qemu(spinElf), markSymbolAddr: addr, plugin, timeoutMs: GUARD_MS });
      const thumb = runCounted({ qemu: arch.qemu(spinElf), markSymbolAddr: addr + 1 /* not addr | 1: RAM at 0x80000000 goes negative */, plugin, timeoutMs: GUARD_MS });
      expect(plain.marks).toHaveLength(4);
      expect(thumb.marks).toEqual(plain.marks);
      const none = runCounted({ qemu: arch.qemu(spinElf), plugin, timeoutMs: GUARD_MS });
      expect(none.marks).toEqual([]);
      expect(none.total).toBe(plain.total);
    });

    it('counts executions per address when asked, adding up to the total', () => {
      const r = runCounted({ qemu: arch.qemu(spinElf), elf: spinElf, plugin, pcs: true, timeoutMs: GUARD_MS });
      const counts = [...r.pcCounts!.values()];
      expect(counts.reduce((a, b) => a + b, 0)).toBe(r.total);
      expect(counts.filter((c) => c === N)).toHaveLength(PER_ITER); // the first loop's three instructions
      expect(counts.filter((c) => c === 2 * N)).toHaveLength(PER_ITER); // the second loop's
      const mark = symbolAddress(spinElf, MARK_SYMBOL);
      expect(r.pcCounts!.get(mark - (mark % 2))).toBe(4); // the marker's return, once per call
    });

    it('stops a guest that never ends at the limit, with the distinctive exit code', () => {
      const limit = 20_000_000;
      // what stops it is the instruction count (the exit code and the totals below), not the clock
      const r = runCounted({ qemu: arch.qemu(hangElf), elf: hangElf, plugin, limit, timeoutMs: GUARD_MS });
      expect(r.exitCode).toBe(LIMIT_EXIT_CODE);
      expect(r.limitHit).toBe(true);
      expect(r.stderr).toContain(`instruction limit ${limit} reached`);
      expect(r.marks).toHaveLength(1);
      // checked at block starts: the count passes the limit by less than one block (here 3 instructions)
      expect(r.total).toBeGreaterThanOrEqual(limit);
      expect(r.total).toBeLessThan(limit + PER_ITER);
    });

    it('counts exactly when a fault leaves a block part-way, and says that blocks were left early', () => {
      // a load faults after one instruction of a straight run of six: counting whole blocks would also
      // count the four nops (and what follows them in the block) that never ran
      const runs = [0, 1].map(() => runCounted({ qemu: arch.qemu(faultElf), elf: faultElf, plugin, timeoutMs: GUARD_MS }));
      expect(runs[0].exitCode, runs[0].stderr).toBe(7);
      expect(runs[0].stderr).toMatch(/bnnc: \d+ instructions skipped by blocks left early/);
      expect(runs[1].total).toBe(runs[0].total);
    });
  });
}
