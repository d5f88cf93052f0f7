// The compiler's driver, one screen: load (decode → import → infer-and-fold), then (later stages) lower
// and emit. Pure functions of their inputs; only src/cli.ts touches argv, files and exit codes.
import { readFileSync, statSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fail } from './errors.js';
import type { Graph } from './ir/types.js';
import { importModelBytes, type ImportOptions } from './onnx/import.js';
import { IMPORT_PIPELINE, runPipeline, type PipelineOptions } from './passes/index.js';

/** ONNX's protobuf format caps a model file at 2 GiB. */
export const MAX_MODEL_BYTES = 2 ** 31;

export interface LoadOptions extends Omit<ImportOptions, 'modelDir'>, PipelineOptions {}

export function readModelFile(path: string): Uint8Array {
  let size: number;
  try {
    const st = statSync(path);
    if (!st.isFile()) fail('BNNC_E001', `'${path}' is not a regular file`);
    size = st.size;
  } catch (e) {
    if ((e as { code?: string }).code?.startsWith('BNNC_')) throw e;
    fail('BNNC_E001', `'${path}': ${(e as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (e as Error).message}`);
  }
  if (size > MAX_MODEL_BYTES) fail('BNNC_E001', `'${path}' is ${size} bytes; an ONNX model file is at most 2 GiB`);
  return readFileSync(path);
}

/** Reads a model file into the float IR: imported, shapes inferred, constants folded. */
export function loadModel(path: string, opts: LoadOptions = {}): Graph {
  const g = importModelBytes(readModelFile(path), { ...opts, modelDir: dirname(resolve(path)) });
  return runPipeline(g, IMPORT_PIPELINE, opts);
}
