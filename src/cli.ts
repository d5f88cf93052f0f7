// The command line: the only place that reads argv, writes files and sets exit codes.
// Exit codes: 0 success, 2 bad input (a CompileError: code and message, no stack trace), 70 internal error.
import { readFileSync } from 'node:fs';
import { Command, CommanderError, Option } from 'commander';
import { CompileError, fail } from './errors.js';
import { loadModel, type LoadOptions } from './compile.js';
import { formatInspect, inspectGraph } from './inspect.js';
import { printGraph } from './ir/print.js';

const VERSION = (JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string }).version;

interface Io {
  out: (s: string) => void;
  err: (s: string) => void;
}

const STD_IO: Io = { out: (s) => process.stdout.write(s), err: (s) => process.stderr.write(s) };

/** `--input-shape input=1,1,28,28` (repeatable; a lone shape applies to the only input). */
export function parseInputShapes(specs: readonly string[]): Map<string, number[]> {
  const m = new Map<string, number[]>();
  for (const spec of specs) {
    const eq = spec.lastIndexOf('=');
    const name = eq >= 0 ? spec.slice(0, eq) : '';
    const dims = (eq >= 0 ? spec.slice(eq + 1) : spec).split(/[,x]/).map((s) => Number(s.trim()));
    if (dims.length === 0 || dims.some((d) => !Number.isSafeInteger(d) || d <= 0)) {
      fail('BNNC_E019', `--input-shape '${spec}': expected NAME=D1,D2,… with positive integers`);
    }
    m.set(name, dims);
  }
  return m;
}

function loadOptions(o: { inputShape?: string[]; maxTensorBytes?: string; dumpAfter?: string }, io: Io): LoadOptions {
  const shapes = parseInputShapes(o.inputShape ?? []);
  const maxTensorBytes = o.maxTensorBytes === undefined ? undefined : Number(o.maxTensorBytes);
  if (maxTensorBytes !== undefined && !(Number.isSafeInteger(maxTensorBytes) && maxTensorBytes > 0)) {
    fail('BNNC_E019', `--max-tensor-bytes '${o.maxTensorBytes}': expected a positive integer`);
  }
  const dump = o.dumpAfter;
  return {
    inputShapes: shapes.size ? shapes : undefined,
    maxTensorBytes,
    after: dump ? (pass, g) => { if (dump === 'all' || dump === pass) io.err(`; after ${pass}\n${printGraph(g)}`); } : undefined,
  };
}

function modelOptions(cmd: Command): Command {
  return cmd
    .option('--input-shape <name=dims...>', 'static shape for a graph input, e.g. input=1,1,28,28 (symbolic dimensions default to 1)')
    .option('--max-tensor-bytes <n>', 'refuse tensors larger than this many bytes', String(1 << 30))
    .addOption(new Option('--dump-after <pass>', "print the IR after a pass (or 'all') to stderr"));
}

export function buildProgram(io: Io): Command {
  const program = new Command('bnnc')
    .description('Compile trained binarized neural networks (ONNX) into bit-packed C for microcontrollers')
    .version(VERSION, '-V, --version')
    .showHelpAfterError()
    .configureOutput({ writeOut: io.out, writeErr: io.err })
    .exitOverride();

  modelOptions(program.command('inspect')
    .description('list the nodes of a model with output shapes, parameter counts and which weights and activations are binary')
    .argument('<model>', 'ONNX model file')
    .option('--json', 'print the report as JSON'))
    .action((model: string, o: { json?: boolean; inputShape?: string[]; maxTensorBytes?: string; dumpAfter?: string }) => {
      const report = inspectGraph(loadModel(model, loadOptions(o, io)));
      io.out(o.json ? `${JSON.stringify(report, null, 2)}\n` : formatInspect(report));
    });

  return program;
}

export async function main(argv: readonly string[], io: Io = STD_IO): Promise<number> {
  const program = buildProgram(io);
  try {
    await program.parseAsync([...argv]);
    return 0;
  } catch (e) {
    if (e instanceof CommanderError) return e.exitCode === 0 ? 0 : 2;
    if (e instanceof CompileError) {
      io.err(`bnnc: error ${e.message}\n`);
      return 2;
    }
    io.err(`bnnc: internal error (please report this with the model): ${(e as Error).stack ?? String(e)}\n`);
    return 70;
  }
}
