// The command line: the only place that reads argv, writes files and sets exit codes.
// Exit codes: 0 success; 1 `verify` found outputs that differ (or broke an --expect threshold); 2 bad input (a CompileError: code and
// message, no stack trace); 3 a toolchain or emulator problem (missing tool, guest fault, time-out);
// 70 an internal error (a bnnc bug).
import { readFileSync, writeFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { basename } from 'node:path';
import { Command, CommanderError, Option } from 'commander';
import { listChips, loadChip } from './backend/chip.js';
import type { ExpectReport } from './backend/expect.js';
import { listTargets, loadTarget, PACKAGES, type Package } from './backend/target.js';
import { ToolchainError } from './backend/toolchain.js';
import type { VerifyReport } from './backend/verify.js';
import { parseBytes, type Reserve } from './bench/estimate.js';
import type { LoadOptions, LowerOptions } from './compile.js';
import { positiveInt } from './data/numbers.js';
import { CompileError, fail } from './errors.js';
import type { SampleOptions } from './library.js';

// Only what every command needs is imported above: each action imports its own modules when it runs, so
// `bnnc --version` does not load the compiler, nor `compile` what only verify or the ts target needs.
const library = () => import('./library.js');

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

interface ModelFlags {
  inputShape?: string[];
  maxTensorBytes?: string;
  dumpAfter?: string;
  binarizeWeights?: string[];
}

async function loadOptions(o: ModelFlags, io: Io): Promise<LoadOptions> {
  const shapes = parseInputShapes(o.inputShape ?? []);
  const maxTensorBytes = positiveInt('--max-tensor-bytes', o.maxTensorBytes);
  const dump = o.dumpAfter;
  const { printGraph } = await import('./ir/print.js');
  const bw = o.binarizeWeights;
  return {
    binarizeWeights: bw === undefined ? undefined : bw.length === 1 && bw[0] === 'all' ? 'all' : bw.flatMap((s) => s.split(',')),
    inputShapes: shapes.size ? shapes : undefined,
    maxTensorBytes,
    after: dump ? (pass, g) => { if (dump === 'all' || dump === pass) io.err(`; after ${pass}\n${printGraph(g)}`); } : undefined,
  };
}

function modelOptions(cmd: Command): Command {
  return cmd
    .option('--input-shape <name=dims...>', 'static shape for a graph input, e.g. input=1,1,28,28 (symbolic dimensions default to 1)')
    .option('--max-tensor-bytes <n>', 'refuse tensors larger than this many bytes', String(1 << 30))
    .option('--binarize-weights <layers...>', "binarize latent float weights XNOR-Net style: 'all' or node names")
    .addOption(new Option('--dump-after <pass>', "print the IR after a pass (or 'all', or 'lower') to stderr"));
}

function quantOptions(cmd: Command): Command {
  return cmd
    .option('--input-scale <s>', 'raw input q maps to the model input as x = (q − zero_point) · s; a fraction such as 1/255 divides')
    .option('--input-zero-point <z>', 'zero point of the raw input', undefined)
    .option('--input-offset <o>', 'or: x = q · scale + offset (offset = −zero_point · scale)')
    .addOption(new Option('--input-type <t>', 'element type of the raw input').choices(['uint8', 'int8']).default('uint8'))
    .option('--calibrate <file>', 'raw inputs (idx, .npy or .pb, as --data) that choose an 8-bit scale for each float activation a binary layer reads (docs/calibration.md)')
    .option('--calibrate-limit <n>', 'calibrate on the first N samples only', '1000')
    .addOption(new Option('--calibrate-method <m>', 'how a scale is chosen from the calibration values').choices(['mse', 'percentile', 'minmax']).default('mse'));
}

/** With a chip target: what the application keeps of its flash and RAM (docs/targets.md, "Chips"). */
function reserveOptions(cmd: Command): Command {
  return cmd
    .option('--reserve-flash <bytes>', "with a chip: flash kept for the application (bytes, or with K or M)", '0')
    .option('--reserve-ram <bytes>', "with a chip: RAM kept for the application (bytes, or with K or M)", '0');
}

function reserveOf(o: { reserveFlash?: string; reserveRam?: string }): Reserve {
  return { flash: parseBytes('--reserve-flash', o.reserveFlash ?? '0'), ram: parseBytes('--reserve-ram', o.reserveRam ?? '0') };
}

interface CheckFlags extends ModelFlags {
  data?: string;
  labels?: string;
  random?: string;
  seed: string;
  limit?: string;
  json?: boolean;
  inputScale?: string;
  inputZeroPoint?: string;
  inputType?: string;
  inputOffset?: string;
  calibrate?: string;
  calibrateLimit?: string;
  calibrateMethod?: string;
}

/** --input-scale and its companions (none: the model's own 8-bit input Quant, or an integer input). */
async function quantOptionsOf(o: CheckFlags): Promise<LowerOptions> {
  const { parseInputQuant } = await import('./compile.js');
  return {
    inputQuant: parseInputQuant(o.inputScale, o.inputZeroPoint, o.inputType, o.inputOffset),
    calibrate: o.calibrate, calibrateLimit: o.calibrateLimit, calibrateMethod: o.calibrateMethod,
  };
}

/** The options that shape the C, as the generated header states them (not the output folder or --force). */
function optionsText(o: CheckFlags & { target: string; prefix?: string; selftest?: string; package?: string }): string {
  return Object.entries({
    target: o.target, prefix: o.prefix, labels: o.labels, package: o.package, 'input-shape': o.inputShape?.join(' '), 'binarize-weights': o.binarizeWeights?.join(' '),
    'input-scale': o.inputScale, 'input-zero-point': o.inputZeroPoint, 'input-offset': o.inputOffset,
    'input-type': o.inputScale ?? o.inputZeroPoint ?? o.inputOffset ? o.inputType : undefined,
    calibrate: o.calibrate, 'calibrate-limit': o.calibrate ? o.calibrateLimit : undefined, 'calibrate-method': o.calibrate ? o.calibrateMethod : undefined,
    selftest: o.selftest, data: o.selftest ? o.data : undefined, seed: o.selftest && !o.data ? o.seed : undefined,
  }).filter(([, v]) => v !== undefined).map(([k, v]) => `--${k} ${v}`).join(' ');
}

/** --data, --labels, --random, --seed, --limit as they are (the sample source checks each). */
function samplesOf(o: CheckFlags): SampleOptions {
  return { data: o.data, labels: o.labels, random: o.random, seed: o.seed, limit: o.limit };
}

interface ExpectFlags {
  expect?: string;
  minTop1?: string;
  maxAbsDiff?: string;
  junit?: string;
}

/** The JUnit report of one verify run: bit-exactness with the interpreter and, with --expect, the thresholds. */
async function writeJunit(path: string, model: string, r: VerifyReport, e: ExpectReport | undefined): Promise<void> {
  const { formatExpect, junitXml } = await import('./backend/expect.js');
  const failures = [
    ...(r.ran && r.mismatchedVectors > 0 ? [`${r.mismatchedVectors} of ${r.vectors} vectors differ from the reference interpreter`] : []),
    ...(e?.failures ?? []),
  ];
  const figures = [`${r.vectors} vectors; ${r.ran ? `${r.vectors - r.mismatchedVectors} bit-exact with the reference interpreter` : 'not run'}`, ...(e ? [formatExpect(e)] : [])];
  const text = junitXml([{ model: basename(model), target: r.target, ran: r.ran, note: r.note, figures, failures }]);
  try {
    writeFileSync(path, text);
  } catch (err) {
    fail('BNNC_E108', `'${path}': ${(err as Error).message}`);
  }
}

/** A toolchain or emulator step that failed (a ToolchainError): its message, exit 3; anything else rethrown. */
function ranInto(e: unknown, what: string, target: string, io: Io): never {
  if (!(e instanceof ToolchainError)) throw e;
  io.err(`bnnc: ${what} could not run on ${target}: ${e.message}\n`);
  throw new ExitCode(3);
}

export function buildProgram(io: Io): Command {
  const program = new Command('bnnc')
    .description('Compile trained binarized neural networks (ONNX) into bit-packed C for microcontrollers')
    .version(VERSION, '-V, --version')
    .showHelpAfterError()
    .configureOutput({ writeOut: io.out, writeErr: io.err })
    .exitOverride();

  quantOptions(modelOptions(program.command('inspect')
    .description('list the nodes of a model with output shapes, parameter counts and which weights and activations are binary, and mark the first node the lowering refuses')
    .argument('<model>', 'ONNX model file')
    .option('--json', 'print the report as JSON')))
    .action(async (model: string, o: CheckFlags & { json?: boolean }) => {
      const [{ inspect }, { formatInspect }] = await Promise.all([library(), import('./inspect.js')]);
      const report = inspect(model, { ...(await loadOptions(o, io)), ...(await quantOptionsOf(o)) });
      io.out(o.json ? `${JSON.stringify(report, null, 2)}\n` : formatInspect(report));
    });

  reserveOptions(quantOptions(modelOptions(program.command('compile', { isDefault: true })
    .description('compile a model into C for a target (the default command: `bnnc model.onnx --target cortex-m4 -o out/`)')
    .argument('<model>', 'ONNX model file')
    .requiredOption('-t, --target <name>', `target core (${listTargets().join(', ')}) or chip (${listChips().join(', ')})`)
    .requiredOption('-o, --output <dir>', 'output folder: bnnc writes only inside it and replaces only its own files (docs/output.md)')
    .option('--prefix <name>', "C name prefix of the generated API (default: from the model's file name, e.g. kws_v2 for KWS-v2.onnx)")
    .option('--labels <file>', "class names of the first output, one a line, as <prefix>_labels[] (default: the model's metadata_props, if any)")
    .addOption(new Option('--package <kind>', "build files beside the C (docs/integration.md); default: the target's").choices([...PACKAGES, 'espidf']))
    .option('--force', "overwrite bnnc's own files even where edited, keeping every other file in the folder")
    .option('--selftest <n>', 'embed n golden input/output pairs (from --data, else seeded random) and <prefix>_selftest()')
    .option('--data <file>', 'inputs for --selftest as raw integers: idx, .npy or .pb')
    .option('--seed <n>', "seed for --selftest's random inputs", '1'))))
    .action(async (model: string, o: CheckFlags & { target: string; output: string; prefix?: string; package?: Package | 'espidf'; force?: boolean; reserveFlash?: string; reserveRam?: string; selftest?: string }) => {
      const [{ build, defaultPrefix }, { measureFootprint }, { checkFit, formatFit }, { writeOutputDir }] = await Promise.all([
        import('./compile.js'), import('./backend/footprint.js'), import('./bench/estimate.js'), import('./output.js')]);
      const target = loadTarget(o.target);
      const reserve = reserveOf(o);
      const pkg = o.package === 'espidf' ? 'esp-idf' : o.package;
      const n = positiveInt('--selftest', o.selftest);
      const { lowered, files, prefix } = build(model, target, {
        ...(await loadOptions(o, io)), ...(await quantOptionsOf(o)), prefix: o.prefix ?? defaultPrefix(model), labels: o.labels, package: pkg, optionsText: optionsText(o),
        selftest: n === undefined ? undefined : { count: n, data: o.data, seed: o.seed },
      });
      // a chip: the model must fit its flash and RAM next to the application's reserve (BNNC_E091/E092)
      const footprint = target.chip ? measureFootprint(lowered, target, { prefix }) : undefined;
      const fit = target.chip && footprint ? checkFit(footprint, target.chip, reserve) : undefined;
      writeOutputDir(o.output, files, { force: o.force, stamp: `bnnc ${VERSION} ${target.name}`, model });
      io.out(`wrote ${[...files.keys()].join(', ')} to ${o.output} (${target.chip ? `${target.chip.name}, core ` : ''}${target.name})\n`);
      if (fit && footprint) io.out(`fits: ${formatFit(fit)}\n${footprint.notes.map((n) => `note: ${n}\n`).join('')}`);
    });

  program.command('targets')
    .description('list the cores bnnc compiles for and the chips (targets/chips/) that name one')
    .option('--json', 'print the target descriptions as JSON')
    .action((o: { json?: boolean }) => {
      const targets = listTargets().map((n) => loadTarget(n));
      if (o.json) return io.out(`${JSON.stringify(targets, null, 2)}\n`);
      const rows = targets.map((t) => {
        const f = Object.entries(t.features).filter(([, v]) => v === true).map(([k]) => k);
        const runs = { semihost: `${t.emulator?.command} -M ${t.emulator?.machine}`, host: 'native, ASan+UBSan', ts: 'in Node', none: 'compile and size only' }[t.runner];
        return [t.name, t.core, f.join(',') || '-', runs];
      });
      const chips = listChips().map((c) => loadChip(c)).map((c) => [c.name, `chip: ${c.core}`, `${c.clockDefaultMHz.value} MHz, flash ${c.flashBytes.value / 1024} KB, RAM ${c.ramBytes.value / 1024} KB`, c.description]);
      const all = [...rows, ...chips];
      const w = [0, 1, 2].map((i) => Math.max(...all.map((r) => r[i].length)));
      io.out(all.map((r) => r.map((c, i) => (i < 3 ? c.padEnd(w[i]) : c)).join('  ')).join('\n') + '\n');
    });

  quantOptions(modelOptions(program.command('verify')
    .description('compile for a target, run the C on its emulator (or natively for host) and compare every output bit for bit with the reference interpreter')
    .argument('<model>', 'ONNX model file')
    .requiredOption('-t, --target <name>', 'target chip')
    .option('--data <file>', 'inputs as raw integers: idx, .npy or .pb')
    .option('--random <n>', 'seeded random raw inputs (default 20 when --data is not given)')
    .option('--seed <n>', 'seed for --random', '1')
    .option('--limit <n>', 'use the first N samples only')
    .option('--timeout <ms>', 'time limit in ms for every build and run step (default: a limit per step, derived from its work)')
    .option('--expect <file>', 'golden float outputs of the float model on --data, [N, …output] (.npy, .pb or idx; docs/ci.md)')
    .option('--min-top1 <rate>', 'with --expect: the least fraction of vectors whose top-1 class must equal the expected one (exit 1 below)')
    .option('--max-abs-diff <x>', 'with --expect: the largest score difference allowed (exit 1 above)')
    .option('--junit <file>', 'also write a JUnit XML report: one testcase, this model on this target')
    .option('--cflags <flags>', "your own compile flags, after the target's (e.g. \"-std=gnu11 -O3 -flto\")")
    .option('--json', 'print the report as JSON')))
    .action(async (model: string, o: CheckFlags & ExpectFlags & { target: string; timeout?: string; cflags?: string }) => {
      const [{ verify }, { formatExpect }] = await Promise.all([library(), import('./backend/expect.js')]);
      const target = loadTarget(o.target);
      let report;
      try {
        report = verify(model, target, {
          ...(await loadOptions(o, io)), ...(await quantOptionsOf(o)), ...samplesOf(o), timeoutMs: positiveInt('--timeout', o.timeout),
          cflags: o.cflags?.split(/\s+/).filter(Boolean), expect: o.expect, thresholds: { minTop1: o.minTop1, maxAbsDiff: o.maxAbsDiff },
        });
      } catch (e) {
        ranInto(e, 'verify', target.name, io);
      }
      const expected = report.expected;
      if (o.junit !== undefined) await writeJunit(o.junit, model, report, expected);
      if (o.json) io.out(`${JSON.stringify(report, null, 2)}\n`);
      else {
        const sizes = report.modelSizes ? ` (model code ${report.modelSizes.text} B, constants ${report.constBytes} B, arena ${report.arenaBytes} B${report.stackBytes !== undefined ? `, stack ${report.stackBytes} B` : ''})` : '';
        if (!report.ran) io.out(`${target.name}: compiled${sizes}; NOT run: ${report.note}\n`);
        else if (report.mismatchedVectors === 0) io.out(`${target.name}: ${report.vectors} vectors, every output bit-exact with the reference interpreter${sizes}\n`);
        else {
          io.out(`${target.name}: ${report.mismatchedVectors} of ${report.vectors} vectors differ from the reference interpreter\n`);
          for (const m of report.firstMismatches.slice(0, 10)) io.out(`  vector ${m.vector}, output ${m.output}, byte ${m.byte}: expected ${m.expected}, got ${m.actual}\n`);
          const d = report.firstDifferingLayer;
          if (d) {
            io.out(`first layer that differs (debug build, vector ${d.vector}): node '${d.node}', tensor '${d.tensor}' (C function ${d.fn}), ${d.differing} of ${d.elements} ${d.dtype} elements\n`);
            for (const p of d.positions) io.out(`  element ${p.index}: expected ${p.expected}, got ${p.actual}\n`);
          }
        }
      }
      if (o.expect !== undefined && !report.ran && !o.json) io.out(`${target.name}: --expect not compared: the code was not run\n`);
      if (expected && !o.json) {
        io.out(`${target.name}: ${formatExpect(expected)}\n`);
        for (const f of expected.failures) io.out(`  FAILED: ${f}\n`);
      }
      if ((report.ran && report.mismatchedVectors > 0) || (expected?.failures.length ?? 0) > 0) throw new ExitCode(1);
    });

  reserveOptions(quantOptions(modelOptions(program.command('bench')
    .description('run the generated code on the target\'s emulator and report exact executed instructions, binary MACs, estimated cycles, flash and RAM per layer')
    .argument('<model>', 'ONNX model file')
    .requiredOption('-t, --target <name>', 'target core (an emulated one) or chip: a chip adds estimated ms and µJ per inference and its fit')
    .addOption(new Option('--kernels <variant>', 'kernel variant').choices(['optimized', 'reference']).default('optimized'))
    .option('--timeout <ms>', 'time limit in ms for every build and run step (default: a limit per step, derived from its work)')
    .option('--json', 'print the report as JSON'))))
    .action(async (model: string, o: CheckFlags & { target: string; kernels: 'optimized' | 'reference'; timeout?: string; reserveFlash?: string; reserveRam?: string }) => {
      const [{ bench }, { formatBench }] = await Promise.all([library(), import('./bench/format.js')]);
      const target = loadTarget(o.target);
      const reserve = reserveOf(o);
      let report;
      try {
        report = bench(model, target, { ...(await loadOptions(o, io)), ...(await quantOptionsOf(o)), kernels: o.kernels, timeoutMs: positiveInt('--timeout', o.timeout), reserve });
      } catch (e) {
        ranInto(e, 'bench', target.name, io);
      }
      io.out(o.json ? `${JSON.stringify(report, null, 2)}\n` : formatBench(report));
    });

  quantOptions(modelOptions(program.command('check')
    .description('run the float model and the lowered integer-only model on the same inputs and compare them layer by layer')
    .argument('<model>', 'ONNX model file')
    .option('--data <file>', 'inputs as raw integers: idx (MNIST format, .gz ok), .npy or ONNX TensorProto .pb')
    .option('--labels <file>', 'labels for --data (idx or .npy), for accuracies')
    .option('--random <n>', 'seeded random raw inputs instead of --data', undefined)
    .option('--seed <n>', 'seed for --random', '1')
    .option('--limit <n>', 'use the first N samples only')
    .option('--jobs <n>', 'worker threads that run the samples (default: the available CPUs)')
    .option('--json', 'print the report as JSON')))
    .action(async (model: string, o: CheckFlags & { jobs?: string }) => {
      const [{ checkOnThreads }, { formatCheck }] = await Promise.all([library(), import('./check.js')]);
      const jobs = positiveInt('--jobs', o.jobs, 256) ?? availableParallelism();
      const started = Date.now();
      const tty = (process.stderr as { isTTY?: boolean }).isTTY === true && !o.json;
      const onProgress = (done: number) => {
        if (tty && Date.now() - started > 1500 && done % 50 === 0) io.err(`\rchecking… ${done} samples`);
      };
      const report = await checkOnThreads(model, { ...(await loadOptions(o, io)), ...(await quantOptionsOf(o)), ...samplesOf(o), onProgress, jobs });
      if (tty && Date.now() - started > 1500) io.err('\r\x1b[K');
      io.out(o.json ? `${JSON.stringify(report, null, 2)}\n` : formatCheck(report));
    });

  quantOptions(modelOptions(program.command('report')
    .description('write one self-contained HTML page on a model for a target: its layers and how each was lowered, flash, RAM and instructions per layer, and the check figures given --data or --random')
    .argument('<model>', 'ONNX model file')
    .requiredOption('-t, --target <name>', 'target chip')
    .requiredOption('-o, --output <file>', 'the HTML file; replaced only if bnnc wrote it and nobody edited it since (docs/report.md)')
    .addOption(new Option('--kernels <variant>', 'kernel variant').choices(['optimized', 'reference']).default('optimized'))
    .option('--no-bench', 'do not run bench on the emulator (no instruction counts, no code sizes)')
    .option('--data <file>', 'check with these inputs as raw integers: idx (.gz ok), .npy or .pb')
    .option('--labels <file>', 'labels for --data (idx or .npy), for accuracies')
    .option('--random <n>', 'check with seeded random raw inputs instead of --data')
    .option('--seed <n>', 'seed for --random', '1')
    .option('--limit <n>', 'check the first N samples only')
    .option('--force', 'overwrite the file even when bnnc did not write it')))
    .action(async (model: string, o: CheckFlags & { target: string; output: string; kernels: 'optimized' | 'reference'; bench: boolean; force?: boolean }) => {
      const [{ prepare }, { buildReport }, { writeReportFile }] = await Promise.all([import('./compile.js'), import('./report/report.js'), import('./report/write.js')]);
      const target = loadTarget(o.target);
      const quant = await quantOptionsOf(o);
      const { inputQuant } = quant;
      const { float, lowered } = prepare(model, { ...(await loadOptions(o, io)), ...quant });
      const html = buildReport({ model, version: VERSION, float, lowered, target, inputQuant, kernels: o.kernels, bench: o.bench, samples: o, warn: io.err });
      writeReportFile(o.output, html, { force: o.force, model });
      io.out(`wrote ${o.output} (${target.name})\n`);
    });

  return program;
}

/** Ends a command with a given exit code after it has printed its own message. */
class ExitCode extends Error {
  constructor(readonly code: number) {
    super(`exit ${code}`);
  }
}

export async function main(argv: readonly string[], io: Io = STD_IO): Promise<number> {
  const program = buildProgram(io);
  try {
    await program.parseAsync([...argv]);
    return 0;
  } catch (e) {
    if (e instanceof CommanderError) return e.exitCode === 0 ? 0 : 2;
    if (e instanceof ExitCode) return e.code;
    if (e instanceof CompileError) {
      io.err(`bnnc: error ${e.message}\n`);
      return 2;
    }
    if (e instanceof ToolchainError) {
      io.err(`bnnc: ${e.message}\n`);
      return 3;
    }
    io.err(`bnnc: internal error (please report this with the model): ${(e as Error).stack ?? String(e)}\n`);
    return 70;
  }
}
