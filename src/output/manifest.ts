// The marker `.bnnc-output` is bnnc's manifest of the folder: the files it wrote there with their size and
// SHA-256 (so a generated file the user edited is noticed), the foreign files a --force run agreed to keep,
// and, while a run is moving files into place, the records of the new files too ("pending").
import { createHash } from 'node:crypto';
import { lstatSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fail } from '../errors.js';
import { io, ioMaybe } from './fs.js';

export const MARKER = '.bnnc-output';

export interface FileRecord {
  size: number;
  sha256: string;
}

export interface Manifest {
  about: string;
  bnnc: string;
  files: Record<string, FileRecord>;
  /** records of the files a run is moving into place; present only while it does */
  pending?: Record<string, FileRecord>;
  /** files bnnc did not write that a --force run kept; later runs keep them without --force */
  kept?: string[];
  /** folders inside -o that bnnc created for nested file names (`src`, `examples/kws`): bnnc writes into
   * these and may delete them once empty; any other folder is the user's */
  folders?: string[];
}

export interface Previous {
  /** the manifest, or undefined for a folder without one */
  manifest?: Manifest;
  /** the marker's bytes, to restore it if the run fails */
  text?: string;
  /** a marker written by a bnnc that kept no manifest: its files are bnnc's but cannot be checked */
  legacy: boolean;
}

const ABOUT = "bnnc's record of the files it wrote here: a later bnnc replaces or deletes only these (see bnnc's docs/output.md)";

export function record(content: string | Uint8Array): FileRecord {
  const bytes = typeof content === 'string' ? Buffer.from(content, 'utf8') : content;
  return { size: bytes.length, sha256: createHash('sha256').update(bytes).digest('hex') };
}

export function manifestText(stamp: string, files: Record<string, FileRecord>, extra: Pick<Manifest, 'pending' | 'kept' | 'folders'> = {}): string {
  const sorted = <T>(r: Record<string, T>) => Object.fromEntries(Object.keys(r).sort().map((k) => [k, r[k]]));
  const m: Manifest = { about: ABOUT, bnnc: stamp, files: sorted(files) };
  if (extra.pending) m.pending = sorted(extra.pending);
  if (extra.kept?.length) m.kept = [...extra.kept].sort();
  if (extra.folders?.length) m.folders = [...new Set(extra.folders)].sort();
  return `${JSON.stringify(m, null, 2)}\n`;
}

export function readPrevious(dir: string): Previous {
  const path = join(dir, MARKER);
  const st = ioMaybe('inspect', path, () => lstatSync(path));
  if (st === undefined) return { legacy: false };
  if (!st.isFile()) fail('BNNC_E041', `'${path}' is not bnnc's marker file (it is not a regular file); move it away`);
  const text = io('read', path, () => readFileSync(path, 'utf8'));
  let m: Partial<Manifest> | undefined;
  try {
    m = JSON.parse(text) as Partial<Manifest>;
  } catch {
    m = undefined;
  }
  const valid = m !== undefined && m !== null && typeof m === 'object' && typeof m.files === 'object' && m.files !== null
    && Object.values(m.files).every(isRecord) && (m.pending === undefined || Object.values(m.pending).every(isRecord))
    && (m.kept === undefined || (Array.isArray(m.kept) && m.kept.every((k) => typeof k === 'string')))
    && (m.folders === undefined || (Array.isArray(m.folders) && m.folders.every((k) => typeof k === 'string' && isRelativeName(k))));
  return valid ? { manifest: m as Manifest, text, legacy: false } : { text, legacy: true };
}

/**
 * A name bnnc writes or records inside -o: plain segments joined by `/` (at most 4), none empty, `.`, `..`, or
 * starting with `.bnnc-` (reserved), no backslash: it can never point outside -o or at bnnc's own files.
 */
export function isRelativeName(name: string): boolean {
  const parts = name.split('/');
  return parts.length <= 4 && parts.every((p) => p !== '' && p !== '.' && p !== '..' && !p.includes('\\') && !p.startsWith('.bnnc-'));
}

/** The folders a nested name lives in, outermost first: `examples/kws/kws.ino` → `examples`, `examples/kws`. */
export function parentFolders(name: string): string[] {
  const parts = name.split('/');
  return parts.slice(0, -1).map((_, i) => parts.slice(0, i + 1).join('/'));
}

function isRecord(r: unknown): r is FileRecord {
  const x = r as FileRecord | null;
  return typeof x === 'object' && x !== null && Number.isSafeInteger(x.size) && typeof x.sha256 === 'string';
}

/** The file at `path` is a regular file matching one of the records (its size first: no big reads). */
export function matchesRecord(path: string, records: readonly (FileRecord | undefined)[]): boolean {
  const st = io('inspect', path, () => lstatSync(path));
  const candidates = records.filter((r): r is FileRecord => r !== undefined && r.size === st.size);
  if (!st.isFile() || candidates.length === 0) return false;
  const now = record(io('read', path, () => readFileSync(path)));
  return candidates.some((r) => r.sha256 === now.sha256);
}
