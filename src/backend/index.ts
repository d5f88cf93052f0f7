// The C back ends: targets, emission, verification on the host or an emulator.
export { listTargets, loadTarget, type Target, type TargetFeatures } from './target.js';
export { ToolchainError } from './toolchain.js';
export { emitC, type EmitOptions } from './emit.js';
export { verifyOnTarget, verifyManyOnTarget, compileCheck, tensorBytes, type VerifyReport, type VerifyOptions, type VerifyCase, type Mismatch, type LayerDiff } from './verify.js';
export { buildTsModule, emitTs } from './ts-target.js';
