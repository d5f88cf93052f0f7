// Seeded random binary networks (random-net.ts: the fixed CASES plus random ones per target) on every
// emulated core, bit for bit against the reference interpreter. Many networks share one test image (distinct
// prefixes) and one emulator launch; images are packed to fit the core's RAM.
import { describe, expect, it } from 'vitest';
import { buildCModel } from '../../src/backend/c-data.js';
import { loadTarget, type Target } from '../../src/backend/target.js';
import { verifyManyOnTarget, type VerifyCase, type VerifyReport } from '../../src/backend/verify.js';
import { sizeOf, tensor } from '../../src/ir/tensor.js';
import type { Graph, Tensor } from '../../src/ir/types.js';
import { rng } from '../helpers/onnx-build.js';
import { hasTool } from '../helpers/resources.js';
import { buildNet, CASES, randomCase } from './random-net.js';

const EMULATED = ['cortex-m0plus', 'cortex-m3', 'cortex-m4', 'cortex-m7', 'cortex-m33', 'cortex-m55', 'esp32c3', 'esp32'];
/** Random networks per target (different seeds on each target), beside the fixed CASES, and vectors per network. */
const RANDOM_PER_TARGET = 6;
const VECTORS = 12;
/** RAM and ROM the runner itself needs beside the models (stack, startup, semihosting), and code per layer. */
const RUNNER_RAM = 3072;
const RUNNER_ROM = 16384;
const ROM_PER_LAYER = 4096;

function inputsFor(g: Graph, seed: number): Tensor[] {
  const r = rng(seed), t = g.inputs[0].type, n = sizeOf(t.shape);
  // raw pixels, with some all-0 and all-255 vectors (thresholds at the ends of the range)
  return Array.from({ length: VECTORS }, (_, v) => tensor(t.dtype, t.shape, Array.from({ length: n }, () => (v === 0 ? 0 : v === 1 ? 255 : Math.floor(r() * 256)))));
}

let fixed: { name: string; graph: Graph }[] | undefined;

/**
 * Cases that fit together, in order: each image's arenas and I/O buffers within the core's RAM, and its
 * constants and code (estimated: ROM_PER_LAYER bytes of code per layer) within its ROM.
 */
function pack(cases: VerifyCase[], target: Target): { images: VerifyCase[][]; tooBig: string[] } {
  const emu = target.emulator!;
  const ram = (emu.rom ? emu.ram.length : emu.ram.length / 2) - RUNNER_RAM;
  const rom = (emu.rom ? emu.rom.length : emu.ram.length / 2) - RUNNER_ROM;
  const images: VerifyCase[][] = [];
  const tooBig: string[] = [];
  let cur: VerifyCase[] = [], usedRam = 0, usedRom = 0;
  for (const c of cases) {
    const m = buildCModel(c.graph, target, c.prefix);
    const needRam = m.arenaBytes + m.input.bytes + m.outputs.reduce((s, o) => s + o.bytes, 0) + 16;
    const needRom = m.constBytes + ROM_PER_LAYER * m.layers.length;
    if (needRam > ram || needRom > rom) { tooBig.push(`${c.prefix} (${needRam} B RAM)`); continue; }
    if (usedRam + needRam > ram || usedRom + needRom > rom) { images.push(cur); cur = []; usedRam = 0; usedRom = 0; }
    cur.push(c);
    usedRam += needRam;
    usedRom += needRom;
  }
  if (cur.length) images.push(cur);
  return { images, tooBig };
}

/** Verifies one image; should the estimate miss and the image overflow its memory, in two halves. */
function verifyImage(img: VerifyCase[], target: Target): VerifyReport[] {
  try {
    return verifyManyOnTarget(img, target);
  } catch (e) {
    if (img.length < 2 || !/will not fit|overflowed/.test((e as Error).message)) throw e;
    const h = img.length >> 1;
    return [...verifyImage(img.slice(0, h), target), ...verifyImage(img.slice(h), target)];
  }
}

describe.each(EMULATED)('random networks on %s', (name) => {
  const target = loadTarget(name);
  const ok = hasTool(target.compiler.cc) && hasTool(target.emulator!.command);
  it.skipIf(!ok)('every output bit-exact with the interpreter', () => {
    const small = (target.emulator!.rom ? target.emulator!.ram.length : target.emulator!.ram.length / 2) < 65536;
    fixed ??= CASES.map((c) => ({ name: `case${c.seed}`, graph: buildNet(c) }));
    const ti = EMULATED.indexOf(name);
    const random = Array.from({ length: RANDOM_PER_TARGET }, (_, i) => randomCase(1000 * (ti + 1) + i, small))
      .map((c) => ({ name: `rnd${c.seed}`, graph: buildNet(c) }));
    const cases: VerifyCase[] = [...fixed, ...random].map(({ name: prefix, graph }, i) => ({ graph, prefix, inputs: inputsFor(graph, 97 * i + ti) }));
    const { images, tooBig } = pack(cases, target);
    const reports = images.flatMap((img) => verifyImage(img, target));
    const bad = reports.filter((r) => r.mismatchedVectors > 0 || !r.ran);
    console.log(`${name}: ${reports.length} networks x ${VECTORS} vectors in ${images.length} image(s), ${bad.length} with mismatches`
      + `${tooBig.length ? `; too big for its RAM: ${tooBig.join(', ')}` : ''}`);
    for (const r of bad) console.log(JSON.stringify({ prefix: r.prefix, mismatched: r.mismatchedVectors, first: r.firstMismatches.slice(0, 3), layer: r.firstDifferingLayer }));
    expect(bad.map((r) => r.prefix)).toEqual([]);
    expect(reports.length + tooBig.length).toBe(cases.length);
    expect(reports.length).toBeGreaterThanOrEqual(cases.length - 3);
  });
});
