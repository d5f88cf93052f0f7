// One writer at a time per output folder: `.bnnc-lock` inside it, created exclusively (O_EXCL), holding
// "pid host nonce". A lock whose pid is dead on this host is stale and taken over; a live one stops the run
// with BNNC_E043. writeOutputDir is synchronous, so a lock naming our own pid is a leftover (pid reuse).
import { randomBytes } from 'node:crypto';
import { closeSync, linkSync, lstatSync, openSync, readFileSync, renameSync, unlinkSync, writeSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { fail } from '../errors.js';
import { errno, io, ioMaybe } from './fs.js';

export const LOCK = '.bnnc-lock';
/** Where a stale lock is moved while it is taken over (cleaned up by the next run). */
export const STALE_LOCK_PREFIX = `${LOCK}.stale-`;

export interface Lock {
  path: string;
  /** Fails with BNNC_E043 unless the lock still holds our token (someone took it over). */
  verify(): void;
  release(): void;
}

export function acquireLock(dir: string): Lock {
  const path = join(dir, LOCK);
  const token = `${process.pid} ${hostname()} ${randomBytes(8).toString('hex')}\n`;
  for (let attempt = 0; attempt < 3; attempt++) {
    try {
      create(path, token);
      return {
        path,
        verify: () => {
          const now = readLock(path);
          if (now !== token) busy(path, now);
        },
        release: () => {
          if (readLock(path) === token) io('remove', path, () => unlinkSync(path));
        },
      };
    } catch (e) {
      if (errno(e) !== 'EEXIST') io('create the lock file', path, () => { throw e; });
    }
    const held = readLock(path);
    if (held === undefined) continue; // released meanwhile
    if (!isStale(held)) busy(path, held);
    takeOver(path, held);
  }
  busy(path, readLock(path));
}

/** Creates the lock exclusively; if writing its content fails (a full disk), removes it again. */
function create(path: string, token: string): void {
  const fd = openSync(path, 'wx');
  try {
    writeSync(fd, token);
  } catch (e) {
    closeSync(fd);
    unlinkSync(path);
    throw e;
  }
  closeSync(fd);
}

function readLock(path: string): string | undefined {
  const st = ioMaybe('inspect', path, () => lstatSync(path));
  if (st === undefined) return undefined;
  if (!st.isFile()) fail('BNNC_E043', `'${path}' is not a lock file bnnc wrote; remove it if no bnnc is running`);
  return ioMaybe('read', path, () => readFileSync(path, 'utf8'));
}

function busy(path: string, held: string | undefined): never {
  const [pid, host] = (held ?? '').split(' ');
  const who = /^\d+$/.test(pid ?? '') ? `pid ${pid}${host && host !== hostname() ? ` on ${host}` : ''}` : 'pid unknown';
  fail('BNNC_E043', `another bnnc is writing here (${who}); wait for it, or if no bnnc is running, delete '${path}'`);
}

/** A lock is stale when its pid is dead on this host; one we cannot read is never stale. */
function isStale(held: string): boolean {
  const m = /^(\d+) (\S+) [0-9a-f]+\n$/.exec(held);
  if (!m || m[2] !== hostname()) return false;
  const pid = Number(m[1]);
  if (pid === process.pid) return true;
  try {
    process.kill(pid, 0);
    return false;
  } catch (e) {
    return errno(e) === 'ESRCH';
  }
}

/**
 * Moves the stale lock aside under a unique name and checks that what moved is the lock judged stale;
 * if another run took it over in between, its lock is put back (link fails rather than overwrite).
 */
function takeOver(path: string, stale: string): void {
  const aside = `${path.slice(0, -LOCK.length)}${STALE_LOCK_PREFIX}${process.pid}-${randomBytes(4).toString('hex')}`;
  try {
    renameSync(path, aside);
  } catch (e) {
    if (errno(e) === 'ENOENT') return;
    io('take over the stale lock', path, () => { throw e; });
  }
  const moved = io('read', aside, () => readFileSync(aside, 'utf8'));
  if (moved !== stale) {
    try {
      linkSync(aside, path);
      unlinkSync(aside);
    } catch (e) {
      if (errno(e) === 'EEXIST') unlinkSync(aside); // a third run holds it now; the owner's verify() notices
      else renameSync(aside, path); // no hard links on this filesystem
    }
    busy(path, moved);
  }
  io('remove the stale lock', aside, () => unlinkSync(aside));
}
