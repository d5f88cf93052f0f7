// Writes a generated output folder without ever losing a file bnnc did not write (docs/output.md).
// -o is resolved through its symlinks and refused if it is the root, home, the working folder or above,
// the model's folder or a repository; one writer at a time (a lock file); the files are staged in a
// temporary folder inside -o, moved into place one rename each with the previous versions kept aside,
// and the manifest is written last. Any failure before the last step restores the previous output.
import { randomBytes } from 'node:crypto';
import { mkdirSync, readdirSync, renameSync, rmdirSync, rmSync, statSync, unlinkSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';
import { bug, fail } from './errors.js';
import { errno, io } from './output/fs.js';
import { acquireLock, type Lock } from './output/lock.js';
import { isRelativeName, MARKER, manifestText, parentFolders, readPrevious, record, type FileRecord, type Previous } from './output/manifest.js';
import { locateOutput, refuseDangerous, type OutputPlace } from './output/places.js';
import { planOutput, STAGE_PREFIX, type Plan } from './output/plan.js';

export { MARKER } from './output/manifest.js';

export interface OutputOptions {
  /** overwrite bnnc's own files even where the user edited them; keep (and record) every foreign file */
  force?: boolean;
  /** who wrote the folder: "bnnc <version> <target>" */
  stamp: string;
  /** the input model file: its folder is refused */
  model?: string;
  /** the working and home folders checked against -o (default: the process's); tests pass throwaway ones */
  cwd?: string;
  home?: string;
  /** test hook, called before each step of the commit; throwing there simulates a failure at that step */
  onStep?: (step: string) => void;
}

export function writeOutputDir(dir: string, files: ReadonlyMap<string, string>, opts: OutputOptions): void {
  for (const name of files.keys()) {
    bug(isRelativeName(name), `generated file name '${name}' is not a plain relative name`);
    bug(!parentFolders(name).some((f) => files.has(f)), `generated file name '${name}' lies inside another generated file`);
  }
  const places = { cwd: opts.cwd ?? process.cwd(), home: opts.home ?? homedir(), model: opts.model };
  const where = locateOutput(dir, places);
  refuseDangerous(dir, where.real, places);
  const created = createFolders(where);
  const real = where.real;
  let lock: Lock | undefined;
  let stage: string | undefined;
  let done = false;
  try {
    lock = acquireLock(real);
    const prev = readPrevious(real);
    const plan = planOutput(real, dir, new Set(files.keys()), prev, opts.force === true);
    for (const s of plan.stale) io('remove the leftover', join(real, s), () => rmSync(join(real, s), { recursive: true, force: true }));
    stage = join(real, `${STAGE_PREFIX}${process.pid}-${randomBytes(4).toString('hex')}`);
    for (const d of [stage, join(stage, 'new'), join(stage, 'old')]) io('create the folder', d, () => mkdirSync(d));
    const records: Record<string, FileRecord> = {};
    for (const [name, content] of files) {
      const p = join(stage, 'new', name);
      for (const f of parentFolders(name)) {
        const d = join(stage, 'new', f);
        io('create the folder', d, () => mkdirSync(d, { recursive: true }));
      }
      io('write', p, () => writeFileSync(p, content));
      records[name] = record(content);
    }
    lock.verify();
    commit(real, stage, [...files.keys()], plan, records, prev, opts);
    done = true;
  } finally {
    // after a failure, old/ is empty unless undoing failed: then it holds the only previous versions
    const keepStage = !done && stage !== undefined && quietly(() => readdirSync(join(stage!, 'old'), { recursive: true, withFileTypes: true }).some((e) => !e.isDirectory()));
    quietly(() => { if (stage && !keepStage) rmSync(stage, { recursive: true, force: true }); });
    quietly(() => lock?.release());
    if (!done) for (const d of created.reverse()) quietly(() => rmdirSync(d));
  }
}

/** Creates the missing folders of -o one level at a time (mkdir -p never returns on /proc). */
function createFolders(where: OutputPlace): string[] {
  const created: string[] = [];
  let at = where.existing;
  for (const part of where.missing) {
    at = join(at, part);
    const here = at;
    try {
      mkdirSync(here);
      created.push(here);
    } catch (e) {
      if (errno(e) !== 'EEXIST' || !io('inspect', here, () => statSync(here)).isDirectory()) {
        for (const d of created.reverse()) quietly(() => rmdirSync(d));
        io('create the folder', here, () => { throw e; });
      }
    }
  }
  return created;
}

/**
 * Moves the staged files into place. The marker first lists the old and the new records (so a run killed
 * half-way leaves files a later run still recognises), then each present file is moved into the staging
 * folder's old/ and the new one renamed over; files no longer generated go to old/ too; the final manifest
 * comes last. On a failure every step is undone in reverse and the error rethrown; when undoing fails too,
 * BNNC_E042 names what could not be restored and where its previous version is (the staging folder's old/).
 */
function commit(real: string, stage: string, names: string[], plan: Plan, records: Record<string, FileRecord>, prev: Previous, opts: OutputOptions): void {
  const marker = join(real, MARKER);
  const writeMarker = (text: string) => {
    const t = join(stage, MARKER);
    io('write', t, () => writeFileSync(t, text));
    io('replace', marker, () => renameSync(t, marker));
  };
  // every step done, with how to undo it, in order; undone in reverse on a failure
  const done: { name: string; undo: () => void }[] = [];
  const aside = (name: string) => {
    const d = join(stage, 'old', dirname(name));
    io('create the folder', d, () => mkdirSync(d, { recursive: true }));
    return join(stage, 'old', name);
  };
  let markerTouched = false;
  const folders = new Set(plan.folders);
  try {
    opts.onStep?.('marker');
    markerTouched = true;
    writeMarker(manifestText(opts.stamp, prev.manifest?.files ?? {}, { pending: records, kept: plan.kept, folders: [...plan.folders, ...names.flatMap(parentFolders)] }));
    for (const name of names) {
      opts.onStep?.(`place ${name}`);
      const dest = join(real, name);
      // the folders of a nested name: bnnc's own (plan.folders) or created here
      for (const f of parentFolders(name)) {
        if (folders.has(f)) continue;
        const d = join(real, f);
        io('create the folder', d, () => mkdirSync(d));
        folders.add(f);
        done.push({ name: f, undo: () => rmdirSync(d) });
      }
      if (plan.replace.has(name)) {
        const old = aside(name);
        io('move aside', dest, () => renameSync(dest, old));
        done.push({ name, undo: () => renameSync(old, dest) });
      }
      io('move into place', dest, () => renameSync(join(stage, 'new', name), dest));
      done.push({ name, undo: () => unlinkSync(dest) });
    }
    for (const name of plan.remove) {
      opts.onStep?.(`remove ${name}`);
      const old = aside(name);
      io('remove', join(real, name), () => renameSync(join(real, name), old));
      done.push({ name, undo: () => renameSync(old, join(real, name)) });
    }
    // bnnc's folders that no file needs any more, deepest first, where empty (kept files keep theirs)
    const needed = new Set(names.flatMap(parentFolders));
    for (const f of [...plan.folders].filter((x) => !needed.has(x)).sort((a, b) => b.split('/').length - a.split('/').length)) {
      opts.onStep?.(`remove folder ${f}`);
      const d = join(real, f);
      if (io('list', d, () => readdirSync(d)).length > 0) continue;
      io('remove the folder', d, () => rmdirSync(d));
      folders.delete(f);
      done.push({ name: f, undo: () => mkdirSync(d) });
    }
    opts.onStep?.('manifest');
    writeMarker(manifestText(opts.stamp, records, { kept: plan.kept, folders: [...folders] }));
  } catch (e) {
    const unrestored: string[] = [];
    for (const m of done.reverse()) {
      try {
        m.undo();
      } catch {
        unrestored.push(m.name);
      }
    }
    if (markerTouched) {
      try {
        if (prev.text === undefined) unlinkSync(marker);
        else writeMarker(prev.text);
      } catch (r) {
        if (errno(r) !== 'ENOENT') unrestored.push(MARKER);
      }
    }
    if (unrestored.length) {
      fail('BNNC_E042', `${(e as Error).message}; then restoring the previous ${[...new Set(unrestored)].join(', ')} failed too: the previous versions are in '${join(stage, 'old')}'`);
    }
    throw e;
  }
}

/** Cleanup after the work is done or failed: a system error there must not hide the real outcome. */
function quietly<T>(f: () => T): T | undefined {
  try {
    return f();
  } catch (e) {
    if (errno(e) === undefined) throw e;
    return undefined;
  }
}
