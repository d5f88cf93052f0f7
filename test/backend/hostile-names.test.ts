// Names from the model (node, tensor and graph names) never reach generated C unescaped: a model whose
// names hold comment delimiters, preprocessor lines, quotes, backslashes, trigraphs, newlines and
// non-ASCII text still compiles warning-free and computes exactly what the reference interpreter does.
import { describe, expect, it } from 'vitest';
import { loadTarget, emitC, verifyOnTarget } from '../../src/backend/index.js';
import { lowerModel } from '../../src/compile.js';
import { tensor } from '../../src/ir/tensor.js';
import { importModelBytes } from '../../src/onnx/import.js';
import { IMPORT_PIPELINE, runPipeline } from '../../src/passes/index.js';
import { buildModel, rng } from '../helpers/onnx-build.js';
import { hasTool } from '../helpers/resources.js';

const NASTY = ['x */ int evil; /*', '#include <stdio.h>\n#define A', 'q"uote\\', 'a??/\nb', 'Ünïcødé ✓ 模型', '// line', ''];

const QUANT = { dtype: 'uint8', scale: 1, divisor: 255, zeroPoint: 128 } as const;

function nastyModel(): Uint8Array {
  const r = rng(11);
  const pm1 = (n: number) => Array.from({ length: n }, () => (r() < 0.5 ? -1 : 1));
  const bytes = buildModel({
    inputs: [{ name: NASTY[0], dtype: 'float32', shape: [1, 40] }],
    outputs: [{ name: NASTY[4], dtype: 'float32' }],
    initializers: {
      [NASTY[2]]: tensor('float32', [24, 40], pm1(960)),
      [NASTY[3]]: tensor('float32', [24], Array.from({ length: 24 }, () => r() * 8 - 4)),
      [NASTY[5]]: tensor('float32', [5, 24], pm1(120)),
    },
    nodes: [
      { op: 'Gemm', inputs: [NASTY[0], NASTY[2], NASTY[3]], outputs: ['h'], attrs: { transB: 1 }, name: NASTY[1] },
      { op: 'Sign', inputs: ['h'], outputs: [NASTY[6] || 's'], name: NASTY[3] },
      { op: 'Gemm', inputs: [NASTY[6] || 's', NASTY[5]], outputs: [NASTY[4]], attrs: { transB: 1 }, name: NASTY[4] },
    ],
  });
  return bytes;
}

describe('hostile names in generated C', () => {
  it('are sanitized in every emitted file', () => {
    const g = runPipeline(importModelBytes(nastyModel()), IMPORT_PIPELINE);
    const lowered = lowerModel(g, { inputQuant: QUANT });
    const files = emitC(lowered, loadTarget('host'));
    for (const [name, text] of files) {
      if (!name.endsWith('.c') && !name.endsWith('.h')) continue;
      if (process.env.BNNC_DUMP) require('node:fs').writeFileSync(`/tmp/t/${name}`, text);
      expect(text, name).not.toMatch(/^\s*#\s*(include <stdio|define A)/m);
      expect(text, name).not.toContain('int evil');
      expect(text, name).not.toMatch(/[^\x09\x0a\x20-\x7e]/);
      expect(text, name).not.toContain('??/');
      // every comment opened is closed on its own terms: no stray delimiters from names
      const stripped = text.replace(/\/\*[\s\S]*?\*\//g, '').replace(/"(?:[^"\\\n]|\\.)*"/g, '""');
      expect(stripped, name).not.toMatch(/\/\*|\*\//);
    }
  });

  it.skipIf(!hasTool('gcc'))('compile warning-free and run bit-exact on host', () => {
    const g = runPipeline(importModelBytes(nastyModel()), IMPORT_PIPELINE);
    const lowered = lowerModel(g, { inputQuant: QUANT });
    const r = rng(5);
    const inputs = Array.from({ length: 16 }, () => tensor('uint8', [1, 40], Array.from({ length: 40 }, () => Math.floor(r() * 256))));
    const report = verifyOnTarget(lowered, loadTarget('host'), inputs);
    expect(report.ran).toBe(true);
    expect(report.vectors).toBe(16);
    expect(report.mismatchedVectors).toBe(0);
  });
});
