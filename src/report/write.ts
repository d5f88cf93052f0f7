// Writes the report page to one file under bnnc's output rules (docs/report.md): a file is replaced only
// when bnnc wrote it and nobody changed it since (its mark holds the SHA-256 of the rest), or with --force;
// the input model is never overwritten; folders, FIFOs and devices are never opened; the new page goes to
// a temporary file in the same folder, renamed over the old one (the file is always whole, old or new).
// Every system error is BNNC_E042 naming the path (output/fs.ts).
import { createHash, randomBytes } from 'node:crypto';
import { closeSync, lstatSync, mkdirSync, openSync, readFileSync, realpathSync, renameSync, statSync, unlinkSync, writeFileSync } from 'node:fs';
import { basename, dirname, join, resolve, sep } from 'node:path';
import { fail } from '../errors.js';
import { errno, io, ioMaybe } from '../output/fs.js';
import { locateOutput } from '../output/places.js';

/** A page bnnc wrote is a few MB at most; anything far larger is not one (and is not read). */
const MAX_OWN_BYTES = 256 * 1024 * 1024;

export interface ReportWriteOptions {
  force?: boolean;
  /** The input model: never overwritten. */
  model?: string;
  /** Working folder the path is relative to (default: the process's). */
  cwd?: string;
}

/** True when `page` is a page bnnc wrote and nobody edited: its mark holds the SHA-256 of the bytes after it. */
export function isOwnReport(page: string | Buffer): boolean {
  const b = typeof page === 'string' ? Buffer.from(page, 'utf8') : page;
  const first = b.indexOf(0x0a);
  const second = first < 0 ? -1 : b.indexOf(0x0a, first + 1);
  if (second < 0) return false;
  const m = /^<!-- bnnc report sha256=([0-9a-f]{64}) -->$/.exec(b.subarray(first + 1, second).toString('latin1'));
  return m !== null && createHash('sha256').update(b.subarray(second + 1)).digest('hex') === m[1];
}

export function writeReportFile(path: string, html: string, opts: ReportWriteOptions = {}): string {
  const cwd = opts.cwd ?? process.cwd();
  const abs = resolve(cwd, path);
  if (path === '' || path.endsWith('/') || path.endsWith(sep)) fail('BNNC_E099', `-o '${path}' names a folder; name the report file, e.g. '${join(path, 'report.html')}'`);
  // its folder, resolved and checked as output/places.ts does for -o (no path through a file, no /proc),
  // then the file itself through its symlinks: a dangling one is refused, not created
  let where = locateOutput(dirname(abs), { cwd, home: cwd });
  let real = join(where.real, basename(abs));
  if (where.missing.length === 0 && ioMaybe('inspect', real, () => lstatSync(real))?.isSymbolicLink()) {
    const target = ioMaybe('resolve', real, () => realpathSync.native(real));
    if (target === undefined) fail('BNNC_E099', `-o '${path}' is a symlink to a file that does not exist`);
    where = locateOutput(dirname(target), { cwd, home: cwd });
    real = target;
  }
  let at = where.existing;
  for (const part of where.missing) {
    const d = (at = join(at, part));
    io('create the folder', d, () => mkdirSync(d));
  }
  if (real.split(sep).includes('.git')) fail('BNNC_E099', `-o '${path}' is inside a repository's .git folder`);
  if (opts.model !== undefined) {
    const m = ioMaybe('resolve', opts.model, () => realpathSync.native(resolve(cwd, opts.model!)));
    if (m === real) fail('BNNC_E098', `-o '${path}' is the input model; bnnc never overwrites it, not even with --force`);
  }
  const st = ioMaybe('inspect', real, () => statSync(real));
  if (st) {
    if (!st.isFile()) fail('BNNC_E099', `-o '${path}' exists and is ${st.isDirectory() ? 'a folder' : 'not a regular file'}; name a file`);
    const own = st.size <= MAX_OWN_BYTES && isOwnReport(io('read', real, () => readFileSync(real)));
    if (!own && !opts.force) {
      fail('BNNC_E098', `-o '${path}' exists and is not a report bnnc wrote (or was edited since); --force overwrites it`);
    }
  }
  const tmp = join(dirname(real), `.${basename(real)}.bnnc-tmp-${process.pid}-${randomBytes(4).toString('hex')}`);
  let placed = false;
  try {
    const fd = io('create', tmp, () => openSync(tmp, 'wx', 0o644));
    try {
      io('write', tmp, () => writeFileSync(fd, html));
    } finally {
      io('close', tmp, () => closeSync(fd));
    }
    io('replace', real, () => renameSync(tmp, real));
    placed = true;
  } finally {
    if (!placed) {
      try {
        unlinkSync(tmp);
      } catch (e) {
        if (errno(e) === undefined) throw e;
      }
    }
  }
  return real;
}
