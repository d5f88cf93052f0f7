// The C back ends: targets, emission, verification on the host or an emulator.
export { listTargets, loadTarget, type Target } from './target.js';
export { emitC, type EmitOptions } from './emit.js';
export { verifyOnTarget, compileCheck, tensorBytes, type VerifyReport, type VerifyOptions, type Mismatch } from './verify.js';
