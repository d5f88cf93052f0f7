// Emission: Handlebars (noEscape, strict: C is not HTML, a missing field must throw) over the data of
// c-data.ts. Templates live in templates/common/, with same-name overrides in templates/<family>/ (the
// target's `family`); a package's build files in templates/common/packages/<package>/.
// The result is a Map<filename, content>, byte-identical for the same input.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import Handlebars from 'handlebars';
import { fail } from '../errors.js';
import type { Graph, InputQuant } from '../ir/types.js';
import { buildCModel, type CModel } from './c-data.js';
import type { ConstArray } from '../ops/c-layer.js';
import { cArrayBody, hex32 } from './c-literals.js';
import type { Package, Target } from './target.js';
import { selectKernels, type KernelVariant } from './kernels.js';
import { emitTs } from './ts-target.js';
import { selftestData } from './selftest.js';
import { checkLabels, cStringBody, type Labels } from './labels.js';
import { STACK_BOUND_BYTES, type StackFigure } from './stack.js';
import { cText } from './c-data.js';
import type { Tensor } from '../ir/types.js';

export const TEMPLATES_DIR = fileURLToPath(new URL('../../templates/', import.meta.url));

export interface EmitOptions {
  /** Names the files and the C symbols: <prefix>.c, <prefix>.h, <prefix>_run. Default 'bnn_model'. */
  readonly prefix?: string;
  /** Binary conv kernels: 'optimized' (default; chosen from the target's features) or the portable 'reference'. */
  readonly kernels?: KernelVariant;
  /** The build files written beside the C (docs/integration.md); default: the target's declared `package`. */
  readonly package?: Package;
  /** Where the file comes from, stated in the header: the SHA-256 of the ONNX file's bytes, the options. */
  readonly identity?: { readonly modelSha256?: string; readonly options?: string };
  /** Golden inputs for `<prefix>_selftest()`: their outputs come from the reference interpreter (`--selftest N`). */
  readonly selftest?: readonly Tensor[];
  /** Class names of the first output (`<prefix>_labels[]`), and where they come from (labels.ts checks the count). */
  readonly labels?: Labels;
  /** The worst stack depth of the run functions measured on the target (footprint.ts `measureStack`); without
   * it the header states the bound every target is held to (STACK_BOUND_BYTES), saying it was not measured. */
  readonly stack?: StackFigure;
}

/** bnnc's version, stated in the generated header. */
export const BNNC_VERSION = (JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string }).version;

/** The header's statement of the input quantization: x = (q − zero_point) · scale. */
function quantData(q: InputQuant | undefined): { zeroPoint: number; scale: string; formula: string } {
  if (!q) return { zeroPoint: 0, scale: '1.0f', formula: 'the model takes these integers as they are' };
  const scale = q.divisor === 1 ? `${q.scale}` : `${q.scale} / ${q.divisor}`;
  const f = Math.fround(q.scale / q.divisor);
  if (!Number.isFinite(f) || f === 0) fail('BNNC_E018', `the input scale ${q.scale} / ${q.divisor} is ${f} in float32, which C cannot use`);
  const lit = f.toPrecision(9);
  return { zeroPoint: q.zeroPoint, scale: `${lit}f`, formula: `the model's float input x = (q - ${q.zeroPoint}) * ${scale}` };
}

const envs = new Map<string, typeof Handlebars>();

/** A Handlebars environment per family, with the op templates and partials registered (family first). */
function env(family: string): typeof Handlebars {
  let hb = envs.get(family);
  if (hb) return hb;
  hb = Handlebars.create();
  // numbers become C literals only here (c-literals.ts)
  hb.registerHelper('cArray', (c: ConstArray) => cArrayBody(c));
  hb.registerHelper('hex32', (v: number) => hex32(v));
  for (const dir of ['common/partials', 'common/ops', `${family}/partials`, `${family}/ops`]) {
    const full = `${TEMPLATES_DIR}${dir}`;
    if (!existsSync(full)) continue;
    for (const f of readdirSync(full).sort()) {
      if (f.endsWith('.hbs')) hb.registerPartial(f.replace(/(\.c)?\.hbs$/, ''), readFileSync(`${full}/${f}`, 'utf8'));
    }
  }
  envs.set(family, hb);
  return hb;
}

/** Renders templates/<family>/<rel> if present, else templates/common/<rel>. */
export function render(family: string, rel: string, data: object): string {
  const own = `${TEMPLATES_DIR}${family}/${rel}`;
  const path = existsSync(own) ? own : `${TEMPLATES_DIR}common/${rel}`;
  return env(family).compile(readFileSync(path, 'utf8'), { noEscape: true, strict: true })(data);
}

/**
 * What the optimized kernels of a target rely on, as checks of the compiler's own predefined macros: the
 * generated file stops with #error naming the target when the core it is built for lacks one (unless
 * BNNC_PORTABLE selects the portable C). Read from the target's features, not its name: a target whose
 * kernels are plain C (no feature the C relies on) has no guard.
 */
export function featureGuards(target: Target): { cond: string; what: string }[] {
  const f = target.features;
  const g: { cond: string; what: string }[] = [];
  if (f.usad8) g.push({ cond: 'defined(__ARM_ARCH) && defined(__ARM_FEATURE_DSP) && defined(__GNUC__)', what: 'an Arm core with the DSP extension for USAD8 (__ARM_ARCH, __ARM_FEATURE_DSP) and a GNU C compiler for its builtin (__GNUC__)' });
  if (f.mve) g.push({ cond: 'defined(__ARM_ARCH) && defined(__ARM_FEATURE_MVE)', what: 'the M-profile vector extension (__ARM_FEATURE_MVE)' });
  if (f.zbb) g.push({ cond: 'defined(__riscv_zbb)', what: 'the Zbb extension (__riscv_zbb)' });
  if (f.thumb1Only) g.push({ cond: 'defined(__ARM_ARCH_ISA_THUMB) && defined(__thumb__)', what: 'Thumb code for its inline assembly (__ARM_ARCH_ISA_THUMB, __thumb__)' });
  return g;
}

/** The labels as the templates lay them out: C string bodies, their count checked against the first output. */
function labelData(l: Labels, first: CModel['outputs'][number] | undefined): { names: string[]; count: number; source: string } {
  checkLabels(l, first?.count ?? 0);
  return { names: l.names.map(cStringBody), count: l.names.length, source: cText(l.source) };
}

/** A C string literal's body: printable ASCII kept, quotes, backslashes and the rest escaped. */
const cString = (s: string): string => s.replace(/[^ -~]|["\\?]/g, (c) => `\\${c.charCodeAt(0).toString(8).padStart(3, '0')}`);

export function templateData(model: CModel, target: Target, q?: InputQuant, opts: EmitOptions & { graph?: Graph } = {}): object {
  const first = model.outputs[0];
  const raw = model.input.ctype === 'uint8_t' ? [0, 255] : model.input.ctype === 'int8_t' ? [-128, 127] : undefined;
  const st = opts.selftest ? selftestData(opts.graph!, model.prefix, model.input.ctype, opts.selftest) : undefined;
  let at = 0;
  return {
    ...model,
    version: BNNC_VERSION,
    modelSha256: opts.identity?.modelSha256 ?? 'unknown',
    options: cString(opts.identity?.options ?? `--target ${target.name} --prefix ${model.prefix}${opts.kernels === 'reference' ? ' --kernels reference' : ''}`),
    argmax: first ? { cname: first.cname, ctype: first.ctype, count: first.count, macro: first.macro, float: first.ctype === 'float' } : false,
    // <prefix>_quantize_input: only for a raw 8-bit input with a stated quantization (selftest.ts defines it)
    quantize: q && raw ? { lo: raw[0], hi: raw[1] } : false,
    selftest: st ? { ...st, outs: model.outputs.map((o) => { const r = { ...o, offset: at }; at += o.bytes; return r; }) } : false,
    guards: featureGuards(target),
    labels: opts.labels ? labelData(opts.labels, first) : false,
    stack: opts.stack
      ? { bytes: opts.stack.bytes, measured: true, what: `stack: the worst depth of ${model.prefix}_run and ${model.prefix}_run_ctx, the caller's frame not included,\n * measured with ${cText(opts.stack.how)}` }
      : { bytes: STACK_BOUND_BYTES, measured: false, what: `stack: a bound on the depth of ${model.prefix}_run and ${model.prefix}_run_ctx, not measured (the target's\n * compiler was not run): the bound bnnc's tests hold every target to` },
    quant: quantData(q),
    outArgs: model.outputs.map((o) => o.cname).join(', '),
    flags: target.compiler.flags.join(' '),
    // gcc optimize() options of the optimized binary kernels (BNNC_KERNEL): the schedulers hoist loads and
    // spill in the unrolled trees; no copy loop may become a memcpy call; then the target's own
    kernelOptimize: ['no-schedule-insns', 'no-schedule-insns2', 'no-tree-loop-distribute-patterns', ...(target.compiler.kernelOptimize ?? [])]
      .map((o) => JSON.stringify(o)).join(', '),
    // the bit-sliced kernels' mask by shifts on int32_t (kernels.ts), once per file when a layer uses it
    sraMask: model.layers.some((l) => l.sraMask === true),
  };
}

/**
 * The build files of a package kind: every .hbs under templates/common/packages/<package>/, written without `.hbs` at
 * the same relative path, with `PREFIX` in a file or folder name replaced by the prefix
 * (`examples/PREFIX/PREFIX.ino.hbs` → `examples/kws/kws.ino`); every package but `none` ships the timing header too.
 */
function packageTemplates(pkg: Package): { template: string; name: (prefix: string) => string }[] {
  if (pkg === 'none') return [];
  const dir = `${TEMPLATES_DIR}common/packages/${pkg}`;
  const own = existsSync(dir) ? readdirSync(dir, { recursive: true, encoding: 'utf8' }).map((f) => f.split('\\').join('/')).filter((f) => f.endsWith('.hbs')).sort() : [];
  return [
    ...own.map((f) => ({ template: `packages/${pkg}/${f}`, name: (p: string) => f.slice(0, -4).replaceAll('PREFIX', p) })),
    { template: 'packages/timing.h.hbs', name: (p: string) => `${p}_timing.h` },
  ];
}

/** Where a package keeps the C sources and headers, when not beside its manifest: Arduino's 1.5 `src/` layout. */
const SOURCE_FOLDER: Partial<Record<Package, string>> = { arduino: 'src' };

/** What the package templates add to the model's data: the cycle counter, layer names, CPU flags, version. */
function packageData(model: CModel, target: Target, sha: string | undefined): object {
  const counter = target.cycleCounter;
  return {
    cycles: { [counter.replace(/-([a-z])/g, (_, c: string) => c.toUpperCase())]: true, kind: counter },
    layerNames: model.layers.map((l) => l.fn),
    layerCount: model.layers.length,
    // the -m options the code was generated for: the CMake package's default BNNC_CPU_FLAGS
    cpuFlags: target.compiler.flags.filter((f) => f.startsWith('-m')).join(' '),
    libraryName: model.prefix.replace(/_/g, '-'),
    // the packages' version follows the header's identity: bnnc's version, and the model's SHA-256 (first 12
    // hex digits) as semver build metadata, so a different model or bnnc gives a different package version
    packageVersion: `${BNNC_VERSION}${sha && /^[0-9a-f]{64}$/.test(sha) ? `+${sha.slice(0, 12)}` : ''}`,
  };
}

export function emitC(lowered: Graph, target: Target, opts: EmitOptions = {}): Map<string, string> {
  if (target.language === 'ts') {
    if (opts.package !== undefined && opts.package !== 'none') fail('BNNC_E109', `--package ${opts.package}: the ${target.name} target writes a TypeScript module, not C`);
    return emitTs(lowered, opts.prefix ?? 'bnn_model', lowered.inputQuant);
  }
  const model = selectKernels(buildCModel(lowered, target, opts.prefix ?? 'bnn_model'), target, opts.kernels);
  // the input quantization travels on the lowered graph (none: the model takes integers as they are)
  const data = templateData(model, target, lowered.inputQuant, { ...opts, graph: lowered });
  const p = model.prefix;
  const pkg = opts.package ?? target.package;
  const src = SOURCE_FOLDER[pkg] ? `${SOURCE_FOLDER[pkg]}/` : '';
  const files = new Map<string, string>();
  files.set(`${src}${p}.h`, render(target.family, 'model.h.hbs', data));
  files.set(`${src}${p}.c`, render(target.family, 'model.c.hbs', data));
  const pkgData = { ...data, ...packageData(model, target, opts.identity?.modelSha256) };
  for (const t of packageTemplates(pkg)) {
    const name = t.name(p);
    files.set(name === `${p}_timing.h` ? `${src}${name}` : name, render(target.family, t.template, pkgData));
  }
  files.set('README.md', render(target.family, 'README.md.hbs', data));
  return files;
}
