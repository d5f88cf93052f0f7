// bnnc as a library: `import { compile, check, verify } from 'bnnc'` (docs/library-api.md). Every function
// takes a model (a path or the bytes of an .onnx file) and returns data: files as a Map, reports as plain
// objects. Bad input throws a CompileError with a stable code (docs/errors.md); nothing is written to disk.
export { compile, build, prepare, loadModel, lowerModel, parseInputQuant, MAX_MODEL_BYTES } from './compile.js';
export type { CompileOptions, LoadOptions, LowerOptions, ModelSource } from './compile.js';
export { check, verify, inspect, bench } from './library.js';
export type { CheckOptions, VerifyOptions, BenchOptions, SampleOptions } from './library.js';
export type { CheckReport, LayerAgreement, Disagreement } from './check.js';
export type { InspectReport, InspectRow } from './inspect.js';
export type { BenchReport, BenchLayer } from './bench/bench.js';
export type { VerifyReport, Mismatch, LayerDiff, Target } from './backend/index.js';
export type { ExpectReport } from './backend/expect.js';
export type { Package } from './backend/target.js';
export { listTargets, loadTarget, ToolchainError } from './backend/index.js';
export type { KernelVariant } from './backend/kernels.js';
export type { Graph, InputQuant } from './ir/types.js';
export { CompileError } from './errors.js';
export type { DiagnosticCode } from './errors.js';
