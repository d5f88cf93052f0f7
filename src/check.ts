// `bnnc check`: runs the float model and the lowered (integer-only) model on the same inputs and reports
// top-1 agreement, the accuracy of each, the fraction of identical activation bits per binary layer, and
// the cause of every disagreement (an accumulator exactly at its threshold, Sign(0), float rounding).
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import { CompileError, fail } from './errors.js';
import { normAxis, sizeOf, tensor } from './ir/tensor.js';
import type { Graph, Tensor } from './ir/types.js';
import { run } from './interp/run.js';
import type { InputQuant } from './ir/types.js';
import { unpackBits } from './numeric/bits.js';

export interface CheckSample {
  /** Raw integer input as the firmware takes it. */
  readonly q: Tensor;
  /** The float model's input, x = (q − zero_point) · scale / divisor in float32. */
  readonly x: Tensor;
  readonly label?: number;
}

export interface LayerAgreement {
  readonly node: string;
  readonly bits: number;
  readonly identical: number;
  /** Float values exactly 0 at the sign (ONNX Sign(0) = 0; bnnc packs 0 as +1). */
  readonly zeros: number;
}

export interface Disagreement {
  readonly sample: number;
  readonly label?: number;
  readonly floatClass: number;
  readonly loweredClass: number;
  readonly cause: string;
}

export interface CheckReport {
  samples: number;
  float_accuracy?: number;
  lowered_accuracy?: number;
  agreement: number;
  /**
   * Further float models on the same samples (check --binarize-weights: 'unbinarized', the model's own
   * weights; --calibrate: 'calibrated', the float model with its 8-bit quantizers): accuracy, and top-1
   * agreement with the lowered network.
   */
  references?: ReferenceResult[];
  layers: LayerAgreement[];
  disagreements: Disagreement[];
}

/** Builds float and raw inputs for each sample from raw integers (a data set of bytes). */
export function sampleFromRaw(floatInput: { shape: readonly number[]; dtype?: string }, raw: ArrayLike<number>, q: InputQuant, loweredShape: readonly number[], label?: number): CheckSample {
  const n = sizeOf(floatInput.shape);
  if (raw.length !== n) fail('BNNC_E050', `a sample holds ${raw.length} values; the model input takes ${n}`);
  // a model whose input is already 8-bit takes the raw values as they are
  if (floatInput.dtype === 'uint8' || floatInput.dtype === 'int8') {
    return { q: tensor(q.dtype, loweredShape, raw), x: tensor(floatInput.dtype, floatInput.shape, raw), label };
  }
  const x = tensor('float32', floatInput.shape, Array.from(raw, (v) => Math.fround(((v - q.zeroPoint) * q.scale) / q.divisor)));
  return { q: tensor(q.dtype, loweredShape, raw), x, label };
}

/**
 * How many classes the model's first output names: every element of a float32 score output (its top-1
 * is the class), or the length of the axis an ArgMax / TopK output indexes; undefined for anything else.
 */
export function outputClasses(float: Graph): number | undefined {
  const out = float.outputs[0];
  const type = float.types.get(out)!;
  if (type.dtype === 'float32') return sizeOf(type.shape);
  const n = float.nodes.find((m) => m.outputs.includes(out));
  if (!n || n.domain !== '' || !(n.op === 'ArgMax' || (n.op === 'TopK' && n.outputs[1] === out))) return undefined;
  const x = float.types.get(n.inputs[0])!.shape;
  const axis = normAxis((n.attrs.axis as number | undefined) ?? (n.op === 'ArgMax' ? 0 : -1), x.length);
  return axis === undefined ? undefined : x[axis];
}

function classOf(t: Tensor, floatIsScore: boolean): number {
  if (!floatIsScore || t.dtype !== 'float32') return t.data[0];
  let best = 0;
  for (let i = 1; i < t.data.length; i++) if (t.data[i] > t.data[best]) best = i;
  return best;
}

/**
 * A float binarizer output at (c, spatial position) against the lowered bit (±1, NHWC order): +1 stands for
 * the higher of the activation's levels (−1 and +1 for a sign, whose 0 packs as +1).
 */
function compareLayer(fv: Tensor, bits: Tensor, C: number, levels: readonly number[]): { identical: number; zeros: number; firstDiff: number } {
  const unpacked = unpackBits(bits, C);
  const HW = fv.shape.length >= 3 ? sizeOf(fv.shape.slice(2)) : 1; // [N, C, L] of a 1-D model too
  const [lo, hi] = levels;
  const bipolar = lo === -1 && hi === 1;
  let identical = 0, zeros = 0, firstDiff = -1;
  for (let c = 0; c < C; c++) {
    for (let p = 0; p < HW; p++) {
      const v = fv.data[c * HW + p];
      const b = unpacked[p * C + c];
      if (bipolar && v === 0) zeros++;
      if (bipolar ? (v >= 0 ? 1 : -1) === b : (v === hi && b === 1) || (v === lo && b === -1)) identical++;
      else if (firstDiff < 0) firstDiff = p * C + c;
    }
  }
  return { identical, zeros, firstDiff };
}

/** Where check reads each binary layer: the float value, the lowered bits, accumulator and thresholds. */
interface LayerRef { name: string; floatOut: string; bitsOut: string; accIn: string; tIn: string; C: number; levels: readonly number[] }

/** A further float model that check runs beside the two it compares (CheckReport.references). */
export interface ReferenceModel {
  readonly name: string;
  readonly graph: Graph;
}

export interface ReferenceResult {
  readonly name: string;
  accuracy?: number;
  /** Top-1 agreement with the lowered network. */
  agreement: number;
}

/** What one sample contributes to the report: its two classes, per-layer counts, and a cause if they differ. */
export interface SampleResult {
  readonly fc: number;
  readonly lc: number;
  /** The class of each reference model. */
  readonly rc?: readonly number[];
  /** Per binary layer: [bits, identical, zeros]. */
  readonly layers: readonly (readonly [number, number, number])[];
  readonly cause?: string;
}

/** The models of a check and what it compares: made once per thread (src/check-worker.ts makes its own). */
export class CheckPlan {
  readonly layers: LayerRef[];
  private readonly fOut: string;
  private readonly lOut: string;
  private readonly scoreOutput: boolean;

  constructor(readonly float: Graph, readonly lowered: Graph, readonly refs: readonly ReferenceModel[] = []) {
    // binary layers: each lowered Threshold carries the name of the float node whose output it packs
    this.layers = lowered.nodes.filter((n) => n.domain === 'bnnc' && n.op === 'Threshold').map((t) => {
      const f = float.nodes.find((n) => n.name === t.name);
      const levels = (t.attrs.levels as number[] | undefined) ?? [-1, 1];
      return f ? { name: t.name, floatOut: f.outputs[0], bitsOut: t.outputs[0], accIn: t.inputs[0], tIn: t.inputs[1], C: lowered.types.get(t.inputs[0])!.shape.at(-1)!, levels } : undefined;
    }).filter((x): x is NonNullable<typeof x> => x !== undefined);
    // a Threshold with layout NCHW (on the raw input) has C on axis 1
    for (const l of this.layers) {
      const node = lowered.nodes.find((n) => n.outputs[0] === l.bitsOut)!;
      if (node.attrs.layout === 'NCHW') l.C = lowered.types.get(node.inputs[0])!.shape[1];
    }
    this.fOut = float.outputs[0];
    this.lOut = lowered.outputs[0];
    this.scoreOutput = float.types.get(this.fOut)!.dtype === 'float32';
  }

  /** Runs both models on one sample. */
  sample(s: CheckSample): SampleResult {
    const { float, lowered, layers } = this;
    const fv = run(float, { [float.inputs[0].name]: s.x }, { keepAll: true });
    const lv = run(lowered, { [lowered.inputs[0].name]: s.q }, { keepAll: true });
    const fc = classOf(fv.get(this.fOut)!, this.scoreOutput);
    const lc = classOf(lv.get(this.lOut)!, this.scoreOutput);
    const rc = this.refs.length ? this.refs.map((r) => classOf(run(r.graph, { [r.graph.inputs[0].name]: s.x }).get(r.graph.outputs[0])!, this.scoreOutput)) : undefined;
    let firstLayer = -1, firstPos = -1;
    const counts = layers.map((l, i) => {
      const r = compareLayer(fv.get(l.floatOut)!, lv.get(l.bitsOut)!, l.C, l.levels);
      if (r.firstDiff >= 0 && firstLayer < 0) { firstLayer = i; firstPos = r.firstDiff; }
      return [sizeOf(lv.get(l.accIn)!.shape), r.identical, r.zeros] as const;
    });
    if (fc === lc) return { fc, lc, rc, layers: counts };
    let cause: string;
    if (firstLayer < 0) cause = 'every binary activation is identical; the last layer\'s float rounding (epilogue vs the float model\'s sum) ranks two classes differently';
    else {
      const l = layers[firstLayer];
      const acc = lv.get(l.accIn)!.data[firstPos];
      const t = lv.get(l.tIn)!.data[firstPos % l.C];
      cause = Math.abs(acc - t) <= 1
        ? `layer '${l.name}' position ${firstPos} (NHWC): accumulator ${acc} is at the threshold ${t}; the float model's rounded sum fell on the other side`
        : `layer '${l.name}' position ${firstPos} (NHWC): accumulator ${acc}, threshold ${t}; the float model's value differs by its own rounding of the layer sum`;
    }
    return { fc, lc, rc, layers: counts, cause };
  }
}

/** Sums sample results, taken in sample order, into the report. */
export class CheckTally {
  private readonly stats: LayerAgreement[];
  private readonly disagreements: Disagreement[] = [];
  private count = 0;
  private agree = 0;
  private fCorrect = 0;
  private lCorrect = 0;
  private labelled = 0;
  private readonly refs: { name: string; correct: number; agree: number }[];

  constructor(plan: CheckPlan) {
    this.stats = plan.layers.map((l) => ({ node: l.name, bits: 0, identical: 0, zeros: 0 }));
    this.refs = plan.refs.map((r) => ({ name: r.name, correct: 0, agree: 0 }));
  }

  /** Adds the next sample's result; returns how many samples are done. */
  add(r: SampleResult, label: number | undefined): number {
    r.layers.forEach(([bits, identical, zeros], i) => {
      const st = this.stats[i] as { bits: number; identical: number; zeros: number };
      st.bits += bits;
      st.identical += identical;
      st.zeros += zeros;
    });
    r.rc?.forEach((c, i) => {
      if (c === r.lc) this.refs[i].agree++;
      if (label !== undefined && c === label) this.refs[i].correct++;
    });
    if (r.fc === r.lc) this.agree++;
    else this.disagreements.push({ sample: this.count, label, floatClass: r.fc, loweredClass: r.lc, cause: r.cause! });
    if (label !== undefined) {
      this.labelled++;
      if (r.fc === label) this.fCorrect++;
      if (r.lc === label) this.lCorrect++;
    }
    return ++this.count;
  }

  report(): CheckReport {
    const { count, labelled } = this;
    if (count === 0) fail('BNNC_E051', 'no samples to check: an agreement or accuracy of nothing means nothing');
    return {
      samples: count,
      float_accuracy: labelled ? this.fCorrect / labelled : undefined,
      lowered_accuracy: labelled ? this.lCorrect / labelled : undefined,
      agreement: count ? this.agree / count : 1,
      layers: this.stats,
      disagreements: this.disagreements,
      ...(this.refs.length ? { references: this.refs.map((r) => ({ name: r.name, accuracy: labelled ? r.correct / labelled : undefined, agreement: r.agree / count })) } : {}),
    };
  }
}

export function checkModel(float: Graph, lowered: Graph, samples: Iterable<CheckSample>, onProgress?: (done: number) => void, refs: readonly ReferenceModel[] = []): CheckReport {
  const plan = new CheckPlan(float, lowered, refs);
  const tally = new CheckTally(plan);
  for (const s of samples) {
    const done = tally.add(plan.sample(s), s.label);
    onProgress?.(done);
  }
  return tally.report();
}

/** A chunk of samples for a worker (src/check-worker.ts), and its answer: results in order, or the error. */
export interface ChunkRequest { readonly first: number; readonly samples: readonly CheckSample[] }
export type ChunkReply =
  | { readonly first: number; readonly results: readonly SampleResult[] }
  | { readonly first: number; readonly compileError: Pick<CompileError, 'code' | 'detail' | 'where'> }
  | { readonly first: number; readonly error: { readonly message: string; readonly stack?: string } };

/** The compiled worker beside this module; absent when bnnc runs from its TypeScript sources (tests). */
const WORKER = new URL('./check-worker.js', import.meta.url);
export const WORKER_AVAILABLE = existsSync(fileURLToPath(WORKER));
const CHUNK = 16;

/**
 * checkModel over `jobs` worker threads: samples are read here and sent in chunks of CHUNK to whichever
 * worker is free; results are taken back in sample order, so the report and the progress calls are those
 * of checkModel. An error in a worker ends the check with that error (a CompileError keeps its code).
 * With jobs ≤ 1, or without the compiled worker, this is checkModel.
 */
export async function checkModelThreaded(float: Graph, lowered: Graph, samples: Iterable<CheckSample>, jobs: number, onProgress?: (done: number) => void, refs: readonly ReferenceModel[] = []): Promise<CheckReport> {
  if (jobs <= 1 || !WORKER_AVAILABLE) return checkModel(float, lowered, samples, onProgress, refs);
  const tally = new CheckTally(new CheckPlan(float, lowered, refs));
  const it = samples[Symbol.iterator]();
  const labels: (number | undefined)[] = [];
  const done = new Map<number, readonly SampleResult[]>();
  let read = 0, taken = 0, exhausted = false;
  const workers = Array.from({ length: jobs }, () => new Worker(WORKER, { workerData: { float, lowered, refs } }));
  try {
    return await new Promise<CheckReport>((resolve, rejectOnce) => {
      let stopped = false;
      const reject = (e: unknown) => { stopped = true; rejectOnce(e); };
      const feed = (w: Worker): boolean => {
        const chunk: CheckSample[] = [];
        while (!exhausted && chunk.length < CHUNK) {
          const r = it.next();
          if (r.done) exhausted = true;
          else { chunk.push(r.value); labels.push(r.value.label); }
        }
        if (!chunk.length) return false;
        w.postMessage({ first: read, samples: chunk } satisfies ChunkRequest);
        read += chunk.length;
        return true;
      };
      let busy = 0;
      const start = (w: Worker) => { if (feed(w)) busy++; };
      for (const w of workers) {
        w.on('message', (m: ChunkReply) => {
          if (stopped) return;
          try {
            busy--;
            if ('compileError' in m) throw new CompileError(m.compileError.code, m.compileError.detail, m.compileError.where);
            if ('error' in m) throw Object.assign(new Error(m.error.message), { stack: m.error.stack });
            done.set(m.first, m.results);
            for (let rs = done.get(taken); rs; rs = done.get(taken)) {
              done.delete(taken);
              for (const r of rs) {
                const n = tally.add(r, labels[taken++]);
                onProgress?.(n);
              }
            }
            start(w);
            if (busy === 0) resolve(tally.report());
          } catch (e) {
            reject(e);
          }
        });
        w.on('error', reject);
        w.on('exit', (code) => { if (!stopped && busy > 0) reject(new Error(`a check worker stopped (exit code ${code}) with samples unanswered`)); });
      }
      try {
        // two chunks in flight per worker, so none waits for the next while its answer travels
        for (const w of [...workers, ...workers]) start(w);
        if (busy === 0) resolve(tally.report());
      } catch (e) {
        reject(e);
      }
    });
  } finally {
    await Promise.all(workers.map((w) => w.terminate()));
  }
}

const REFERENCE_TEXT: Record<string, string> = {
  unbinarized: 'float model before --binarize-weights',
  calibrated: 'float model with the calibrated 8-bit quantizers',
};

export function formatCheck(r: CheckReport): string {
  const pct = (x: number | undefined) => (x === undefined ? '—' : `${(100 * x).toFixed(2)} %`);
  const lines = [
    `samples: ${r.samples}`,
    `top-1 agreement (float vs lowered): ${pct(r.agreement)}`,
    `accuracy: float ${pct(r.float_accuracy)}, lowered ${pct(r.lowered_accuracy)}`,
    ...(r.references ?? []).map((m) => `${REFERENCE_TEXT[m.name] ?? m.name}: accuracy ${pct(m.accuracy)}, top-1 agreement with lowered ${pct(m.agreement)}`),
    '',
    'binary layer            identical bits   Sign(0) in float',
    ...r.layers.map((l) => `${l.node.padEnd(22)}  ${pct(l.bits ? l.identical / l.bits : 1).padStart(14)}   ${l.zeros}`),
  ];
  if (r.disagreements.length) {
    lines.push('', `${r.disagreements.length} disagreement${r.disagreements.length > 1 ? 's' : ''}:`);
    for (const d of r.disagreements.slice(0, 50)) {
      lines.push(`  sample ${d.sample}${d.label !== undefined ? ` (label ${d.label})` : ''}: float ${d.floatClass}, lowered ${d.loweredClass}: ${d.cause}`);
    }
    if (r.disagreements.length > 50) lines.push(`  … ${r.disagreements.length - 50} more (see --json)`);
  }
  return `${lines.join('\n')}\n`;
}
