// Shared by the robustness tests: run the user's load path and demand a CompileError with a given code whose
// message names the node and tensor at fault. Any other exception fails the test as it is (a crash).
import { expect } from 'vitest';
import { CompileError, type DiagnosticCode } from '../../src/errors.js';
import type { Graph } from '../../src/ir/types.js';
import { importModelBytes, type ImportOptions } from '../../src/onnx/import.js';
import { IMPORT_PIPELINE, runPipeline } from '../../src/passes/index.js';

/** Import and the import pipeline (shape inference, folding), as `bnnc compile` starts. */
export function load(bytes: Uint8Array, opts: ImportOptions = {}): Graph {
  return runPipeline(importModelBytes(bytes, opts), IMPORT_PIPELINE);
}

export function compileError(f: () => unknown): CompileError {
  try {
    f();
  } catch (e) {
    if (e instanceof CompileError) return e;
    throw e;
  }
  throw new Error('expected a CompileError; it succeeded');
}

/** `f` fails with `code`, and the message contains every one of `mentions` (node, tensor, expectation). */
export function expectError(f: () => unknown, code: DiagnosticCode, ...mentions: string[]): CompileError {
  const e = compileError(f);
  expect(e.code, e.message).toBe(code);
  for (const m of mentions) expect(e.message).toContain(m);
  return e;
}
