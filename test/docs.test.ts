// docs/ stays true to the code: every op a model may contain (standard ONNX and QONNX) is named in
// docs/supported-ops.md, and every diagnostic code in src/errors.ts is listed in docs/errors.md with its meaning.
// The lowered ops (domain bnnc) are bnnc's own: their op files and registry document them, so adding one
// touches no doc (docs/architecture.md, "Recipes").
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { DIAGNOSTICS } from '../src/errors.js';
import { supportedOps } from '../src/ops/index.js';
import { ROOT } from './helpers/resources.js';

describe('docs', () => {
  it('supported-ops.md names every op a model may contain', () => {
    const doc = readFileSync(`${ROOT}docs/supported-ops.md`, 'utf8');
    const missing = supportedOps().filter((d) => d.domain !== 'bnnc').map((d) => d.op).filter((op) => !new RegExp(`\\b${op}\\b`).test(doc));
    expect(missing).toEqual([]);
  });

  it('errors.md lists every diagnostic code with its meaning', () => {
    const doc = readFileSync(`${ROOT}docs/errors.md`, 'utf8');
    for (const [code, meaning] of Object.entries(DIAGNOSTICS)) expect(doc).toContain(`| ${code} | ${meaning} |`);
  });
});
