// Writes a generated output folder atomically: every file goes into a temporary sibling, which then
// replaces the folder in one rename. A previous output stays as it was if anything fails; bnnc writes
// nowhere but inside -o; a non-empty folder that bnnc did not create is replaced only with --force.
import { existsSync, mkdirSync, readdirSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { basename, dirname, join, resolve, sep } from 'node:path';
import { fail } from './errors.js';

/** Marks a folder as bnnc's own output, so that a later run may replace it without --force. */
export const MARKER = '.bnnc-output';

export function writeOutputDir(dir: string, files: ReadonlyMap<string, string>, opts: { force?: boolean; stamp: string }): void {
  const target = resolve(dir);
  for (const name of files.keys()) {
    // generated names are plain relative paths inside the folder
    if (name === '' || name.startsWith('/') || name.split(/[\\/]/).some((p) => p === '..' || p === '') || name === MARKER) {
      fail('BNNC_E019', `refusing to write '${name}': generated file names must stay inside the output folder`);
    }
  }
  if (existsSync(target)) {
    if (!statSync(target).isDirectory()) fail('BNNC_E019', `-o '${dir}' exists and is not a folder`);
    const entries = readdirSync(target);
    if (entries.length > 0 && !entries.includes(MARKER) && !opts.force) {
      fail('BNNC_E019', `-o '${dir}' exists, is not empty and was not written by bnnc; pass --force to replace it`);
    }
  }
  const parent = dirname(target);
  mkdirSync(parent, { recursive: true });
  const tag = `${process.pid}-${Date.now().toString(36)}`;
  const tmp = join(parent, `.${basename(target)}.bnnc-tmp-${tag}`);
  const old = join(parent, `.${basename(target)}.bnnc-old-${tag}`);
  try {
    mkdirSync(tmp);
    for (const [name, content] of [...files, [MARKER, `${opts.stamp}\n`] as const]) {
      const path = join(tmp, name);
      if (!path.startsWith(tmp + sep)) fail('BNNC_E019', `refusing to write '${name}' outside the output folder`);
      mkdirSync(dirname(path), { recursive: true });
      writeFileSync(path, content);
    }
    if (existsSync(target)) renameSync(target, old);
    renameSync(tmp, target);
  } catch (e) {
    rmSync(tmp, { recursive: true, force: true });
    if (!existsSync(target) && existsSync(old)) renameSync(old, target);
    throw e;
  }
  rmSync(old, { recursive: true, force: true });
}
