// Optional test resources (../shared material, cross compilers, emulators). A test that lacks one skips
// with a message; under BNNC_REQUIRE_ALL=1 (set by .ci/run) a missing resource fails the run instead, so CI
// can never pass by skipping.
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { execFileSync } from 'node:child_process';

export const ROOT = fileURLToPath(new URL('../../', import.meta.url));
export const SHARED = fileURLToPath(new URL('../../../shared/', import.meta.url));

export const STRICT = process.env.BNNC_REQUIRE_ALL === '1';

/** True when the resource is there; otherwise warns (or throws under BNNC_REQUIRE_ALL=1). */
export function available(what: string, present: boolean): boolean {
  if (present) return true;
  const msg = `${what} is not available: skipping the tests that need it`;
  if (STRICT) throw new Error(`${msg}, but BNNC_REQUIRE_ALL=1 requires it`);
  console.warn(`SKIP: ${msg}`);
  return false;
}

export function sharedFile(rel: string): string {
  return `${SHARED}${rel}`;
}

export function hasShared(rel: string): boolean {
  return available(`../shared/${rel} (shared reference material; a user's clone has none)`, existsSync(sharedFile(rel)));
}

export function hasTool(cmd: string): boolean {
  let ok = true;
  try {
    execFileSync('sh', ['-c', `command -v ${cmd}`], { stdio: 'ignore' });
  } catch {
    ok = false;
  }
  return available(`the tool '${cmd}'`, ok);
}
