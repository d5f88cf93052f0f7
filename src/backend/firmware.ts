// Builds a user's firmware (a main.c and the generated model) into a bare-metal image with bnnc's startup
// code and runs it under the target's emulator, returning what it printed through semihosting and its
// exit status: how the examples' firmware is tested, exactly as a user would build it for a board.
import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { render, TEMPLATES_DIR } from './emit.js';
import type { Target } from './target.js';
import { cflags, emulatorArgs, exec } from './toolchain.js';
import { memoryMap } from './verify.js';

export interface FirmwareRun {
  /** The guest's exit status (main's return value). */
  exitCode: number;
  /** What the guest printed through semihosting (QEMU writes it to its stderr). */
  console: string;
}

/** `files`: the generated model's files; `sources`: the user's C files; `includeDirs`: extra -I folders. */
export function runFirmware(target: Target, files: ReadonlyMap<string, string>, sources: readonly string[], includeDirs: readonly string[], timeoutMs = 60_000): FirmwareRun {
  const emu = target.emulator;
  if (!emu || (target.runner !== 'semihost-arm' && target.runner !== 'semihost-riscv')) {
    throw new Error(`target ${target.name} has no emulator here to run firmware on`);
  }
  const riscv = target.runner === 'semihost-riscv';
  const dir = mkdtempSync(join(tmpdir(), 'bnnc-fw-'));
  try {
    for (const [name, text] of files) writeFileSync(join(dir, name), text);
    for (const s of sources) copyFileSync(s, join(dir, basename(s)));
    writeFileSync(join(dir, 'startup.S'), readFileSync(`${TEMPLATES_DIR}runner/${riscv ? 'startup-riscv.S' : 'startup-arm.S'}`, 'utf8'));
    copyFileSync(`${TEMPLATES_DIR}runner/firmware-support.c`, join(dir, 'firmware-support.c'));
    writeFileSync(join(dir, 'link.ld'), render('runner', 'link.ld.hbs', { entry: riscv ? '_start' : 'reset_handler', ...memoryMap(emu) }));
    const cfiles = [...files.keys()].filter((f) => f.endsWith('.c'));
    exec(target.compiler.cc, [...cflags(target), '-DBNNC_SEMIHOSTING', '-I', '.', ...includeDirs.flatMap((d) => ['-I', d]), ...target.compiler.linkFlags,
      '-T', 'link.ld', 'startup.S', 'firmware-support.c', ...cfiles, ...sources.map((s) => basename(s)), '-o', 'firmware.elf', ...target.compiler.libs],
    { cwd: dir, what: `building the ${target.name} firmware` });
    const { cmd, args } = emulatorArgs(target, 'firmware.elf');
    const r = spawnSync(cmd, args, { cwd: dir, timeout: timeoutMs, encoding: "utf8" });
    if (r.error) throw new Error(`${cmd}: ${r.error.message}`);
    if (r.signal) throw new Error(`${cmd} -M ${emu.machine}: the firmware did not finish within ${timeoutMs / 1000} s (killed)`);
    return { exitCode: r.status ?? -1, console: r.stderr };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
