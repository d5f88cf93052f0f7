// Filesystem calls for the output folder, with every system error (EACCES, EROFS, ENOSPC, EBUSY, …) turned
// into BNNC_E042 naming the path and the system's reason: a refusal of the user's machine is not a bnnc bug.
// Anything that is not a system error (a thrown bug, a CompileError) passes through unchanged.
import { fail } from '../errors.js';

/** The errno name (`ENOENT`, …) of a Node system error, else undefined. */
export function errno(e: unknown): string | undefined {
  const c = (e as { code?: unknown; syscall?: unknown } | null)?.code;
  return typeof c === 'string' && typeof (e as { syscall?: unknown }).syscall === 'string' ? c : undefined;
}

/** "permission denied (EACCES)": the system's message without Node's "EACCES: …, open '/x'" framing. */
export function reason(e: unknown): string {
  const code = errno(e) ?? 'error';
  const m = /^[A-Z0-9_]+: (.*?), [a-z_]+(?: '.*)?$/s.exec((e as Error).message);
  return `${m ? m[1] : (e as Error).message} (${code})`;
}

/** Runs `f`; a system error becomes BNNC_E042 "cannot <action> '<path>': <reason>". */
export function io<T>(action: string, path: string, f: () => T): T {
  try {
    return f();
  } catch (e) {
    if (errno(e) === undefined) throw e;
    fail('BNNC_E042', `cannot ${action} '${path}': ${reason(e)}`);
  }
}

/** Like `io`, but ENOENT gives undefined (the path is simply not there). */
export function ioMaybe<T>(action: string, path: string, f: () => T): T | undefined {
  try {
    return f();
  } catch (e) {
    if (errno(e) === 'ENOENT') return undefined;
    if (errno(e) === undefined) throw e;
    fail('BNNC_E042', `cannot ${action} '${path}': ${reason(e)}`);
  }
}
