// Diagnostics as data: every user-facing error has a stable code and a message template.
// Bad input raises a CompileError through `fail`; a broken invariant is a bug (`bug`), never a user error.
// Only src/cli.ts turns these into exit codes and printed messages.

export const DIAGNOSTICS = {
  BNNC_E001: 'cannot read the model file',
  BNNC_E002: 'the file is not a valid ONNX model',
  BNNC_E003: 'unsupported ONNX IR version',
  BNNC_E004: 'unsupported opset version',
  BNNC_E005: 'unsupported operators',
  BNNC_E006: 'missing or invalid attribute',
  BNNC_E007: 'wrong number of inputs or outputs',
  BNNC_E008: 'unknown tensor',
  BNNC_E009: 'shape mismatch',
  BNNC_E010: 'unsupported data type',
  BNNC_E011: 'tensor data does not match its declared shape',
  BNNC_E012: 'the graph has a cycle',
  BNNC_E013: 'duplicate tensor name',
  BNNC_E014: 'external data refused',
  BNNC_E015: 'invalid input shape',
  BNNC_E016: 'tensor too large',
  BNNC_E017: 'unsupported attribute value',
  BNNC_E018: 'non-finite value in a constant',
  BNNC_E019: 'invalid command-line argument',
  BNNC_E020: 'invalid data file',
  BNNC_E021: 'dynamic shape not supported here',
  BNNC_E022: 'invalid tensor dimension',
  BNNC_E023: 'graph too large',
  BNNC_E030: 'layer is not binary',
  BNNC_E031: 'cannot lower this pattern',
  BNNC_E040: 'output folder refused',
  BNNC_E041: 'the output folder holds files bnnc did not write',
  BNNC_E042: 'cannot write the output folder',
  BNNC_E043: 'output folder locked',
  BNNC_E044: 'the output path is not a usable folder',
  BNNC_E050: 'data do not fit the model',
  BNNC_E051: 'no data',
  BNNC_E060: 'invalid target description',
  BNNC_E085: 'a float64 constant that float32 cannot hold',
  BNNC_E090: 'invalid chip profile',
  BNNC_E091: "the model does not fit the chip's flash",
  BNNC_E092: "the model does not fit the chip's RAM",
  BNNC_E093: 'invalid memory reserve',
  BNNC_E098: 'the report file was not written by bnnc',
  BNNC_E099: 'the report path is not a usable file',
  BNNC_E100: 'invalid --selftest vector count',
  BNNC_E101: 'the self-test cannot embed these inputs',
  BNNC_E105: 'expected outputs do not fit the model',
  BNNC_E106: 'invalid verify threshold',
  BNNC_E107: 'verify option needs another option',
  BNNC_E108: 'the JUnit report could not be written',
  BNNC_E109: 'a package the target cannot have',
  BNNC_E110: 'activation quantizer with a computed scale',
  BNNC_E111: 'activation quantizer wider than 8 bits',
  BNNC_E112: 'activation scale varies inside a channel',
  BNNC_E113: 'activation scale differs between channels',
  BNNC_E114: 'activation zero point is not one integer',
  BNNC_E115: 'activation levels the quantizer does not give',
  BNNC_E120: 'float activations need calibration data',
  BNNC_E130: 'invalid integer value range',
  BNNC_E140: 'an integer pool or join would overflow its type',
  BNNC_E141: 'an average pool whose windows hold different numbers of values',
  BNNC_E142: 'a residual join without a quantizer after it',
  BNNC_E143: 'a residual join that cannot be requantized',
  BNNC_E144: 'an average pool over values that are not affine in the integers',
  BNNC_E150: 'the class names do not match the model\'s classes',
  BNNC_E151: 'invalid class names file',
  BNNC_E152: 'invalid class names in the model\'s metadata',
  BNNC_E160: 'an op the lowering would leave in float',
  BNNC_E161: 'an activation that is not two-level',
  BNNC_E162: 'input thresholds that vary within a channel',
  BNNC_E163: 'input arithmetic that cannot be folded',
  BNNC_E164: "XNOR-Net's per-pixel input scaling K",
} as const;

export type DiagnosticCode = keyof typeof DIAGNOSTICS;

export interface Where {
  node?: string;
  op?: string;
  tensor?: string;
}

/** A user-facing error: bad input, not a bug. */
export class CompileError extends Error {
  readonly code: DiagnosticCode;
  readonly where: Where;
  readonly detail: string;

  constructor(code: DiagnosticCode, detail: string, where: Where = {}) {
    super(formatDiagnostic(code, detail, where));
    this.name = 'CompileError';
    this.code = code;
    this.where = where;
    this.detail = detail;
  }
}

export function formatDiagnostic(code: DiagnosticCode, detail: string, where: Where): string {
  const place: string[] = [];
  if (where.node !== undefined) place.push(`node '${where.node}'${where.op ? ` (${where.op})` : ''}`);
  else if (where.op !== undefined) place.push(`op ${where.op}`);
  if (where.tensor !== undefined) place.push(`tensor '${where.tensor}'`);
  const at = place.length ? ` at ${place.join(', ')}` : '';
  return `${code}: ${DIAGNOSTICS[code]}${at}: ${detail}`;
}

export function fail(code: DiagnosticCode, detail: string, where: Where = {}): never {
  throw new CompileError(code, detail, where);
}

/** An internal invariant; its failure is a bnnc bug, reported as such. */
export function bug(condition: unknown, message: string): asserts condition {
  if (!condition) throw new Error(`internal error (a bnnc bug): ${message}`);
}
