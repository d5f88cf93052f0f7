// `bnnc report`: gathers the library's results for one model on one target (bench on the target's emulator
// when it has one, check when samples are given) and renders the page. The CLI loads and lowers the model
// and writes the file (write.ts); this module only computes.
import type { KernelVariant } from '../backend/kernels.js';
import { runsSemihosted } from '../backend/runner.js';
import type { Target } from '../backend/target.js';
import { bench, type BenchReport } from '../bench/bench.js';
import { measureStack } from '../backend/footprint.js';
import { checkModel, type CheckReport } from '../check.js';
import { type SampleFlags, sampleSource } from '../data/samples.js';
import { CompileError, fail } from '../errors.js';
import type { Graph } from '../ir/types.js';
import type { InputQuant } from '../lower/lower.js';
import { reportFigures } from './analyze.js';
import { renderReport } from './page.js';

export interface ReportOptions {
  /** The model file as the user named it (shown on the page). */
  model: string;
  version: string;
  float: Graph;
  lowered: Graph;
  target: Target;
  inputQuant?: InputQuant;
  kernels?: KernelVariant;
  /** Run bench on the target's emulator (default true; a target without one gets a note). */
  bench?: boolean;
  /** check's samples (--data/--labels or --random, --seed, --limit); none: no check section. */
  samples?: SampleFlags;
  /** Where a bench that could not run is reported besides the page (the CLI's stderr). */
  warn?: (line: string) => void;
}

export function buildReport(o: ReportOptions): string {
  const t = o.target;
  if (t.language !== 'c') fail('BNNC_E019', `--target ${t.name}: the report describes the C back ends (layers, constants, arena); name a C target`);
  const kernels = o.kernels ?? 'optimized';
  let benchReport: BenchReport | undefined;
  let benchNote: string | undefined;
  if (o.bench === false) benchNote = 'instructions were not counted: --no-bench';
  else if (!runsSemihosted(t)) {
    benchNote = `instructions were not counted: ${t.name} (${t.core}) has no emulator here, so bnnc bench cannot run it`;
  } else {
    try {
      benchReport = bench(o.lowered, t, { kernels, estimate: false });
    } catch (e) {
      if (e instanceof CompileError) throw e;
      benchNote = `instructions were not counted: bnnc bench could not run on ${t.name}: ${(e as Error).message.split('\n')[0]}`;
      o.warn?.(`bnnc: ${benchNote}\n`);
    }
  }
  let check: CheckReport | undefined;
  let checkSource: string | undefined;
  if (o.samples && (o.samples.data !== undefined || o.samples.random !== undefined || o.samples.labels !== undefined)) {
    const src = sampleSource(o.float, o.lowered, o.inputQuant, o.samples);
    check = checkModel(o.float, o.lowered, src);
    checkSource = o.samples.data !== undefined
      ? `${o.samples.data}${o.samples.labels !== undefined ? `, labels ${o.samples.labels}` : ''}`
      : `${src.count} random inputs, seed ${o.samples.seed ?? '1'}`;
  }
  const figures = reportFigures({ float: o.float, lowered: o.lowered, target: t, kernels, bench: benchReport, check });
  // the worst stack chain as the generated header states it (<PREFIX>_STACK_BYTES), when the compiler is here
  const stack = measureStack(o.lowered, t, { kernels });
  return renderReport(figures, { model: o.model, version: o.version, target: t, kernels, benchNote, checkSource, stackBytes: stack?.bytes });
}
