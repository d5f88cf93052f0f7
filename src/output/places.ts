// Where -o really is, and the places bnnc refuses to write into whatever the flags. Every check applies to
// the folder with all symlinks resolved (its realpath), because that is where the files land: a symlink
// named by -o is followed, and refused when its target is refused. realpath.native also gives the on-disk
// spelling on case-insensitive filesystems, so `-o ~/PROJECT` is recognised as the working folder there.
import { existsSync, lstatSync, readlinkSync, realpathSync, statfsSync, statSync } from 'node:fs';
import { basename, dirname, isAbsolute, join, parse, relative, resolve, sep } from 'node:path';
import { fail } from '../errors.js';
import { errno, io, ioMaybe } from './fs.js';

/** The places -o is checked against; the CLI passes the real ones, tests pass throwaway folders. */
export interface Places {
  cwd: string;
  home: string;
  /** the input model file, whose folder is refused */
  model?: string;
}

export interface OutputPlace {
  /** -o with every symlink resolved */
  real: string;
  /** the deepest folder of `real` that exists */
  existing: string;
  /** the folders to create below `existing`, outermost first (empty when -o exists) */
  missing: string[];
}

/** Resolves -o through its symlinks; refuses dangling symlinks, paths through files and non-folders. */
export function locateOutput(dir: string, places: Places): OutputPlace {
  const missing: string[] = [];
  let at = resolve(places.cwd, dir);
  let existing: string | undefined;
  while (existing === undefined) {
    try {
      existing = realpathSync.native(at);
    } catch (e) {
      const code = errno(e);
      if (code === 'ENOTDIR') fail('BNNC_E044', `-o '${dir}': a part of '${at}' is a file, not a folder`);
      if (code !== 'ENOENT') io('resolve', at, () => { throw e; });
      const link = ioMaybe('inspect', at, () => lstatSync(at));
      if (link?.isSymbolicLink()) {
        fail('BNNC_E044', `-o '${dir}': '${at}' is a symlink to '${readlinkSync(at)}', which does not exist; create that folder or name another -o`);
      }
      if (link || dirname(at) === at) io('resolve', at, () => { throw e; });
      missing.unshift(basename(at));
      at = dirname(at);
    }
  }
  const st = io('inspect', existing, () => statSync(existing));
  if (!st.isDirectory()) {
    fail('BNNC_E044', missing.length ? `-o '${dir}': '${existing}' is a file, not a folder` : `-o '${dir}' exists and is not a folder`);
  }
  refusePseudoFs(dir, existing);
  return { real: join(existing, ...missing), existing, missing };
}

/** Refuses the filesystem root, home and above, the working folder and above, the model's folder, a repository. */
export function refuseDangerous(dir: string, real: string, places: Places): void {
  const why = dangerous(real, places);
  if (why) {
    const shown = real === resolve(places.cwd, dir) ? `'${dir}'` : `'${dir}' (really '${real}')`;
    fail('BNNC_E040', `-o ${shown} is ${why}; bnnc never writes there, not even with --force: name a folder of its own, such as '${join(dir, 'bnnc-out')}'`);
  }
}

function dangerous(real: string, places: Places): string | undefined {
  if (real === parse(real).root) return 'the filesystem root';
  if (places.home) {
    const home = realOrSelf(places.home);
    if (real === home) return 'your home folder';
    if (isAbove(real, home)) return 'a folder above your home folder';
  }
  const cwd = realOrSelf(places.cwd);
  if (real === cwd) return 'the working folder';
  if (isAbove(real, cwd)) return 'a folder above the working folder';
  if (places.model !== undefined && real === realOrSelf(dirname(resolve(places.cwd, places.model)))) return 'the folder holding the input model';
  if (existsSync(join(real, '.git'))) return 'a folder holding .git (a repository)';
  if (real.split(sep).includes('.git')) return "inside a repository's .git folder";
  return undefined;
}

function realOrSelf(p: string): string {
  try {
    return realpathSync.native(p);
  } catch {
    return resolve(p);
  }
}

/** `a` is a strict ancestor of `b`. */
function isAbove(a: string, b: string): boolean {
  const r = relative(a, b);
  return r !== '' && !r.startsWith('..') && !isAbsolute(r);
}

// Linux statfs magic numbers of filesystems that expose kernel state rather than store files: writing
// there changes the system or fails in odd ways (mkdir -p on /proc never returns).
const PSEUDO_FS = new Map<number, string>([
  [0x9fa0, 'proc'], [0x62656572, 'sysfs'], [0x27e0eb, 'cgroup'], [0x63677270, 'cgroup2'], [0x64626720, 'debugfs'],
  [0x74726163, 'tracefs'], [0x73636673, 'securityfs'], [0x62656570, 'configfs'], [0x1cd1, 'devpts'],
  [0xcafe4a11, 'bpf'], [0xde5e81e4, 'efivarfs'], [0x6165676c, 'pstore'],
]);

function refusePseudoFs(dir: string, existing: string): void {
  if (process.platform !== 'linux') return;
  const kind = PSEUDO_FS.get(io('inspect', existing, () => statfsSync(existing)).type);
  if (kind) fail('BNNC_E044', `-o '${dir}' is on a ${kind} filesystem ('${existing}'), which holds kernel state, not files`);
}
