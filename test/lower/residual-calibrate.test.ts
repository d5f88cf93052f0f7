// --calibrate on residual networks: Bi-Real nets (test/lower/residual-nets.ts) stripped of the Quant after
// each Add get a calibrated 8-bit quantizer after every join (analyze/calibration.ts), which the join lowering
// (lower/join.ts) takes as the model's own; the lowered network then equals the float model with the
// calibrated quantizers on every sample.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { calibrationPoints } from '../../src/analyze/calibration.js';
import { calibrateModel } from '../../src/calibrate.js';
import { checkModel } from '../../src/check.js';
import { lowerModel } from '../../src/compile.js';
import type { Graph } from '../../src/ir/types.js';
import { Q256, rawSamples } from './net.js';
import { biReal } from './residual-nets.js';

/** The graph without the Quant right after each Add (its readers read the Add). */
function stripJoinQuants(g: Graph): Graph {
  const drop = new Map<string, string>();
  const nodes = g.nodes.filter((n) => {
    const p = g.nodes.find((m) => m.outputs[0] === n.inputs[0]);
    if (n.op === 'Quant' && p?.op === 'Add') { drop.set(n.outputs[0], n.inputs[0]); return false; }
    return true;
  }).map((n) => ({ ...n, inputs: n.inputs.map((s) => drop.get(s) ?? s) }));
  return { ...g, nodes };
}

/** 64 pseudo-random raw inputs [64, 2, 8, 8] as a .npy file. */
function calibrationFile(): string {
  const raw = Array.from({ length: 64 * 128 }, (_, i) => (Math.imul(i + 1, 2654435761) >>> 24) & 255);
  let header = "{'descr': '|u1', 'fortran_order': False, 'shape': (64, 2, 8, 8), }";
  header += ' '.repeat(63 - ((10 + header.length) % 64)) + '\n';
  const h = Buffer.from(header, 'latin1');
  const path = join(mkdtempSync(join(tmpdir(), 'bnnc-rcal-')), 'calib.npy');
  writeFileSync(path, Buffer.concat([Buffer.from([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, 1, 0, h.length & 0xff, h.length >> 8]), h, Buffer.from(raw)]));
  return path;
}

describe('calibrated residual joins', () => {
  const file = calibrationFile();
  const cases = [
    { name: 'two plain Bi-Real blocks', net: () => biReal(11, [{}, {}]), joins: 2 },
    { name: 'quantized stem, RSign block, downsampling block', net: () => biReal(17, [{ rsign: true }, { down: true }], 16, false, true), joins: 2 },
  ];
  for (const c of cases) {
    it(`${c.name}: a quantizer after each Add, lowered as the calibrated float model computes`, () => {
      const g = stripJoinQuants(c.net().float());
      const pts = calibrationPoints(g);
      expect(pts.map((p) => g.nodes.find((n) => n.name === p.producer)!.op)).toEqual(new Array(c.joins).fill('Add'));
      const { graph, calibration } = calibrateModel(g, { inputQuant: Q256, calibrate: file });
      expect(calibration!.tensors.every((t) => t.signed)).toBe(true);
      const lowered = lowerModel(graph, { inputQuant: Q256 });
      expect(lowered.nodes.filter((n) => n.op === 'AddRequant')).toHaveLength(c.joins);
      const r = checkModel(g, lowered, rawSamples(g, lowered, Q256, 60, 3), undefined, [{ name: 'calibrated', graph }]);
      expect(r.references![0].agreement).toBe(1);
    });
  }
});
