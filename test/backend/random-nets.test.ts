// Seeded random binary networks (random-net.ts), emitted as C, built on the host with sanitizers and
// compared byte for byte with the reference interpreter.
import { describe, expect, it } from 'vitest';
import { loadTarget } from '../../src/backend/target.js';
import { verifyOnTarget } from '../../src/backend/verify.js';
import { tensor } from '../../src/ir/tensor.js';
import { rng } from '../helpers/onnx-build.js';
import { hasTool } from '../helpers/resources.js';
import { buildNet, CASES } from './random-net.js';

describe('random binary networks on the host', () => {
  const ok = hasTool('gcc');
  it.skipIf(!ok).each(CASES)('seed $seed: C equals the interpreter bit for bit', (c) => {
    const g = buildNet(c);
    const ops = g.nodes.map((n) => n.op);
    expect(ops).toContain('XnorConv');
    const xnor = g.nodes.filter((n) => n.op === 'XnorConv');
    if (c.layers.some((l) => l.group)) expect(xnor.some((n) => ((n.attrs.group as number) ?? 1) > 1)).toBe(true);
    if (c.layers.some((l) => l.padValue)) expect(xnor.filter((n) => n.attrs.pad_value).length).toBeGreaterThan(1);
    const r = rng(1000 + c.seed);
    const t = g.inputs[0].type;
    const inputs = Array.from({ length: 40 }, () => tensor(t.dtype, t.shape, Array.from({ length: t.shape.reduce((a, b) => a * b, 1) }, () => Math.floor(r() * 256))));
    const report = verifyOnTarget(g, loadTarget('host'), inputs);
    console.log(`seed ${c.seed}: ${ops.join(' ')}; ${report.vectors} vectors, ${report.mismatchedVectors} mismatched`);
    expect(report.firstMismatches).toEqual([]);
    expect(report.mismatchedVectors).toBe(0);
  });
});
