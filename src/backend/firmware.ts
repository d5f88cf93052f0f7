// Builds a user's firmware (a main.c and the generated model) into a bare-metal image with bnnc's startup
// code and runs it under the target's emulator (runner.ts), returning what it printed through semihosting
// and its exit status: how the examples' firmware is tested, exactly as a user would build it for a board.
import { copyFileSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { TEMPLATES_DIR } from './emit.js';
import { buildImage, runImage, semihostEmulator, type GuestRun } from './runner.js';
import type { Target } from './target.js';
import { runLimit } from './toolchain.js';

export type FirmwareRun = GuestRun;

/**
 * `files`: the generated model's files; `sources`: the user's C files; `includeDirs`: extra -I folders.
 * `timeoutMs` limits every step (build and run); default: each step's own, derived from its work.
 */
export function runFirmware(target: Target, files: ReadonlyMap<string, string>, sources: readonly string[], includeDirs: readonly string[], timeoutMs?: number): FirmwareRun {
  const emu = semihostEmulator(target, `running firmware on ${target.name}`);
  const dir = mkdtempSync(join(tmpdir(), 'bnnc-fw-'));
  try {
    for (const [name, text] of files) writeFileSync(join(dir, name), text);
    for (const s of sources) copyFileSync(s, join(dir, basename(s)));
    copyFileSync(`${TEMPLATES_DIR}runner/firmware-support.c`, join(dir, 'firmware-support.c'));
    const cfiles = [...files.keys()].filter((f) => f.endsWith('.c'));
    buildImage(target, dir, {
      sources: ['firmware-support.c', ...cfiles, ...sources.map((s) => basename(s))],
      flags: ['-DBNNC_SEMIHOSTING', '-I', '.', ...includeDirs.flatMap((d) => ['-I', d])],
      image: 'firmware.elf', what: `building the ${target.name} firmware`, timeoutMs,
    });
    return runImage(target, dir, 'firmware.elf', { what: `${emu.command} -M ${emu.machine} running the ${target.name} firmware`, timeoutMs: timeoutMs ?? runLimit(1) });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
